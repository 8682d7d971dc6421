"""What `vcn check` reports: failures (each naming a template resource) and notes (what it could not verify).

A failure makes the check fail (exit status 1). A note says what was not checked and why, so a pass never
claims more than was proven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Checks, in report order.
PATH = "path"
SOURCES = "sources"
DEAD_END = "dead-end"
TARGETS = "targets"
ALARMS = "alarms"
API_KEY = "api-key"
SECRETS = "secrets"
OUTPUTS = "outputs"
IAM = "iam"
TEMPLATE = "template"
CAPACITY = "capacity"
CHECKS: Mapping[str, str] = {
    TEMPLATE: "the local EventBridge accepts the template's buses, connections, API destinations and rules",
    SOURCES: "only the application's functions may put a trusted source; open ones go through an ingress",
    PATH: "every event the producers can emit, through every rule and target, reaches AppSync intact",
    DEAD_END: "every event type is routed, every rule can match, every channel has possible subscribers",
    TARGETS: "every target keeps what it fails on: an API destination's retry policy, role and dead-letter "
    "queue; a function's (a rule's target or an EVENT-mode handler) queue an alarm watches",
    ALARMS: "every alarm watches a metric, with dimensions, that its resource emits; one on failures fires "
    "on the first",
    API_KEY: "every AppSync API key's lifetime is managed",
    SECRETS: "no output or environment variable exposes a secret",
    OUTPUTS: "the outputs the app profile names lead to AppSync's endpoints, the event bus and the queues",
    IAM: "no IAM statement allows every action, or a write action on every resource; AppSync may invoke its "
    "authorizer and handlers",
    CAPACITY: "the traffic profile stays within the quotas",
}


@dataclass(frozen=True)
class Finding:
    """One failure: which check, which template resource (logical id), and what broke."""

    check: str
    resource: str
    problem: str
    target: str | None = None  # a rule's target id, when the failure is one target's
    hint: str | None = None  # what to change
    counterexample: Mapping[str, Any] | None = None  # a minimal event that breaks the path
    culprit: str | None = None  # how the counterexample differs from an ordinary event
    kind: str | None = (
        None  # what broke, as a word (`body-not-json`, `channel-invalid`, ...) for path failures
    )
    outcome: str | None = None  # what happens to the notification in AWS

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"check": self.check, "resource": self.resource, "problem": self.problem}
        for key, value in (
            ("target", self.target),
            ("kind", self.kind),
            ("outcome", self.outcome),
            ("hint", self.hint),
            ("culprit", self.culprit),
            ("counterexample", self.counterexample),
        ):
            if value is not None:
                document[key] = value
        return document


@dataclass(frozen=True)
class Note:
    """Something the check did not verify, and why."""

    check: str
    text: str


@dataclass
class CheckResults:
    """What the checks found, and what each examined (`examined[check]` is a line for the summary)."""

    findings: list[Finding] = field(default_factory=list)
    # Notifications not delivered but kept where someone is told (refused hostile events in a watched DLQ)
    kept: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    examined: dict[str, str] = field(default_factory=dict)

    def fail(self, finding: Finding) -> None:
        self.findings.append(finding)

    def keep(self, finding: Finding) -> None:
        self.kept.append(finding)

    def note(self, check: str, text: str) -> None:
        self.notes.append(Note(check, text))

    def failures(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check]

    def merge(self, other: CheckResults) -> None:
        self.findings.extend(other.findings)
        self.kept.extend(other.kept)
        self.notes.extend(other.notes)
        self.examined.update(other.examined)


def counted(count: int, noun: str) -> str:
    """`1 rule`, `3 rules`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
