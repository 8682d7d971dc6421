"""CloudFormation templates a test writes for the template loader or the local cloud to read.

A test's template may be composed: `template()` puts the parts under their sections, and the fragments here
are resources that many tests need only to be there (a bus to put a rule on, an API to name).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

SAM_TRANSFORM = "Transform: AWS::Serverless-2016-10-31"

# A custom bus named `orders`.
ORDERS_BUS = """
OrdersBus:
  Type: AWS::Events::EventBus
  Properties: {Name: orders}
"""

# An AppSync Events API named `events` that takes API keys.
EVENTS_API = """
EventsApi:
  Type: AWS::AppSync::Api
  Properties: {Name: events, EventConfig: {AuthProviders: [{AuthType: API_KEY}]}}
"""


def template(head: str, *resources: str, outputs: str = "") -> str:
    """A template's text: `head` (the sections before Resources: Transform, Parameters, ...), `Resources:`
    with each of `resources` under it, and `outputs` under `Outputs:`. Each part is written flush left, or
    indented as it stands in the test: it is dedented."""
    text = _flush(head) + "Resources:\n" + "".join(_under(part, 1) for part in resources)
    if outputs:
        text += "Outputs:\n" + _under(outputs, 1)
    return text


def resource(logical_id: str, resource_type: str, properties: str) -> str:
    """One resource, flush left: `properties` (YAML, however indented) under its Properties."""
    return f"{logical_id}:\n  Type: {resource_type}\n  Properties:\n" + _under(properties, 2)


def _flush(text: str) -> str:
    lines = textwrap.dedent(text).strip("\n")
    return lines + "\n" if lines else ""


def _under(text: str, depth: int) -> str:
    return textwrap.indent(_flush(text), "  " * depth)


def write_template(folder: Path, text: str) -> Path:
    """`text` as `folder`/template.yaml (dedented: it may stand indented in the test); the file's path."""
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path
