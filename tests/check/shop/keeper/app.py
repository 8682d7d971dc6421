"""The shop's API key keeper (never run by the tests: `vcn check` reads the template only)."""


def handler(event: dict, context: object) -> None:
    return None
