"""The one error type commands raise for mistakes a user can fix; `main` prints it as one `error:` line."""


class CliError(Exception):
    """A user-facing failure: the message says what was wrong and what to do (exit status 1)."""
