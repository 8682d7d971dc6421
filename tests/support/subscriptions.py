"""Who may subscribe to which channel: one decision table for the domain rule (`may_subscribe`) and for the
subscribe guard that applies it to what AppSync sends. Each test adds the rows where they differ: the rule
takes a channel without its leading slash, which AppSync never sends and the guard refuses."""

from __future__ import annotations

from vehicle_config.channels import Grants

ANALYST_DE = Grants("analyst-de", frozenset({"DE", "FR"}), frozenset({"ZWI"}))
GLOBAL_LEAD = Grants("global-lead", frozenset({"*"}), frozenset({"*"}))
NOBODY = Grants("", frozenset(), frozenset())

DECISIONS: list[tuple[Grants, str, bool]] = [
    (ANALYST_DE, "/users/analyst-de", True),
    (ANALYST_DE, "/users/analyst-us", False),
    (ANALYST_DE, "/users/*", False),
    (GLOBAL_LEAD, "/users/*", False),
    (ANALYST_DE, "/users/analyst-de/*", True),
    (NOBODY, "/users/analyst-de", False),
    (ANALYST_DE, "/markets/DE/VELA", True),
    (ANALYST_DE, "/markets/FR/NOVA", True),
    (ANALYST_DE, "/markets/US/VELA", False),
    (ANALYST_DE, "/markets/DE/*", True),
    (ANALYST_DE, "/markets/US/*", False),
    (ANALYST_DE, "/markets/*", False),
    (GLOBAL_LEAD, "/markets/*", True),
    (GLOBAL_LEAD, "/markets/US/TERRA", True),
    (ANALYST_DE, "/markets/de/VELA", False),
    (ANALYST_DE, "/markets", False),
    (ANALYST_DE, "/plants/ZWI", True),
    (ANALYST_DE, "/plants/WOB", False),
    (ANALYST_DE, "/plants/CHA", False),
    (ANALYST_DE, "/plants/*", False),
    (GLOBAL_LEAD, "/plants/*", True),
    (ANALYST_DE, "/requests/req-1", False),
    (GLOBAL_LEAD, "/requests/req-1", False),
    (GLOBAL_LEAD, "/requests/*", False),
    (GLOBAL_LEAD, "/*", False),
    (GLOBAL_LEAD, "/default/x", False),
    (GLOBAL_LEAD, "/other/thing", False),
    (ANALYST_DE, "/markets/*/VELA", False),
    (ANALYST_DE, "/markets/DE/VELA/", False),
    (ANALYST_DE, "/markets//VELA", False),
    (ANALYST_DE, "/markets/DE/a/b/c/d", False),
    (ANALYST_DE, "", False),
]
