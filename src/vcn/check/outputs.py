"""Whether the stack outputs the app profile names lead where their names say.

`--stack` commands, and clients set up from a deployed stack, find AppSync's publish and WebSocket endpoints,
the event bus and the dead-letter queues in outputs the app profile names (`StackOutputs`). An output that is
missing, or that names the WebSocket host where the publish endpoint belongs, sends each of them to the wrong
place: their publishes fail and their subscribers never connect, while the stack itself works and no alarm
sees it. Locally both AppSync hosts resolve to one address, so an endpoint is judged on the attribute it is
built from, as written, and on its resolved text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vcn.check.findings import OUTPUTS, CheckResults, Finding, counted
from vcn.check.publish_endpoint import (
    HTTP_HOST,
    PUBLISH_ENDPOINT,
    REALTIME_ENDPOINT,
    REALTIME_HOST,
    as_written,
)
from vcn.local.profile import StackOutputs
from vcn.template.view import TemplateView, attribute_references

MISSING = "the app profile names this output for `--stack` commands, and the template has none of that name"

# What an output is judged by: its value as written and as resolved; the problem, or None.
Judge = Callable[[Any, str], "str | None"]


def check_outputs(
    view: TemplateView, resolved: Mapping[str, str], names: StackOutputs | None
) -> CheckResults:
    """`resolved`: each output's value as the local cloud resolves it; `names`: the app profile's."""
    results = CheckResults()
    if names is None:
        results.examined[OUTPUTS] = "no outputs: the app profile names none"
        return results
    judges: list[tuple[str, Judge]] = [
        (names.appsync_http, _endpoint(view, HTTP_HOST, PUBLISH_ENDPOINT)),
        (names.appsync_realtime, _endpoint(view, REALTIME_HOST, REALTIME_ENDPOINT)),
        (names.event_bus, lambda raw, text: _resource(view, text, "AWS::Events::EventBus", "a bus's name")),
    ]
    judges += [
        (queue, lambda raw, text: _resource(view, text, "AWS::SQS::Queue", "a queue's URL"))
        for queue in names.dead_letter_queues
    ]
    if names.api_url is not None:
        judges.append((names.api_url, lambda raw, text: None))  # only that it exists: no one form
    for name, judge in judges:
        problem = MISSING if name not in resolved else judge(_value(view, name), resolved[name])
        if problem is not None:
            results.fail(Finding(OUTPUTS, f"Outputs.{name}", problem))
    results.examined[OUTPUTS] = f"{counted(len(judges), 'output')} the app profile names"
    return results


def _endpoint(view: TemplateView, attribute: str, form: str) -> Judge:
    """An AppSync endpoint of the `form` given, built from the API's `attribute`."""

    def judge(raw: Any, text: str) -> str | None:
        shown = as_written(raw, text)
        built_from = attribute_references(raw)
        apis = sorted({api for api, _ in built_from if api in view.logical_ids("AWS::AppSync::Api")})
        if len(apis) != 1:
            return f"it is {shown!r}, built from no single AppSync API of the template"
        expected = view.resolve({"Fn::Sub": form % apis[0]}, apis[0])
        if {a for api, a in built_from if api == apis[0]} != {attribute} or text != expected:
            return f"it is {shown!r}, not {form % apis[0]!r}: whoever reads it goes to the wrong place"
        return None

    return judge


def _resource(view: TemplateView, text: str, resource_type: str, what: str) -> str | None:
    if any(text == view.resolve({"Ref": lid}, lid) for lid in view.logical_ids(resource_type)):
        return None
    return f"it is {text!r}, not {what} ({resource_type}) of the template"


def _value(view: TemplateView, name: str) -> Any:
    output = view.outputs.get(name)
    return output.get("Value") if isinstance(output, Mapping) else None
