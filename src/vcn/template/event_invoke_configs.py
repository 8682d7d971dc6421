"""`AWS::Lambda::EventInvokeConfig` (also what SAM makes of a function's `EventInvokeConfig`): retries, event
age and the on-failure destination of asynchronous invocations, attached to the function's `FunctionSpec`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from vcn.arns import function_name, sqs_queue_name
from vcn.lambda_runtime.config import AsyncInvokeConfig, FunctionSpec

from .errors import Location
from .local_values import LocalResources


def _bounded(value: object, low: int, high: int, at: Location) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise at.error(f"{value!r} is not a number between {low} and {high}") from None
    if not low <= number <= high:
        raise at.error(f"{number} is outside {low}..{high}")
    return number


def apply_event_invoke_configs(
    resources: LocalResources,
    by_type: Callable[[str], list[str]],
    functions: list[FunctionSpec],
    notes: list[str],
) -> list[FunctionSpec]:
    """The functions, each with its EventInvokeConfig (Lambda's defaults where it has none)."""
    by_name = {spec.name: spec for spec in functions}
    configured: dict[str, str] = {}
    for lid in by_type("AWS::Lambda::EventInvokeConfig"):
        props = resources.resolved_properties(lid)
        at = Location(lid)
        function = function_name(str(props.get("FunctionName", "")))
        if function not in by_name:
            raise at.child("FunctionName").error(
                f"{function!r} is not a function of this template (known: {', '.join(by_name) or 'none'})"
            )
        if function in configured:
            raise at.error(f"function {function} already has an EventInvokeConfig ({configured[function]})")
        configured[function] = lid
        qualifier = str(props.get("Qualifier", "$LATEST"))
        if qualifier != "$LATEST":
            notes.append(f"{lid}: applies to {function} (functions run as $LATEST locally, not {qualifier})")
        destinations = props.get("DestinationConfig") or {}
        on_failure = (destinations.get("OnFailure") or {}).get("Destination")
        if on_failure is not None:
            try:
                sqs_queue_name(str(on_failure))
            except ValueError:
                notes.append(
                    f"{lid}: the on-failure destination {on_failure} is not emulated (only SQS queues are); "
                    "failed events are logged"
                )
                on_failure = None
        if (destinations.get("OnSuccess") or {}).get("Destination"):
            notes.append(f"{lid}: the on-success destination is not emulated locally")
        by_name[function] = dataclasses.replace(
            by_name[function],
            async_invoke=AsyncInvokeConfig(
                maximum_retry_attempts=_bounded(
                    props.get("MaximumRetryAttempts", 2), 0, 2, at.child("MaximumRetryAttempts")
                ),
                maximum_event_age_seconds=_bounded(
                    props.get("MaximumEventAgeInSeconds", 21600),
                    60,
                    21600,
                    at.child("MaximumEventAgeInSeconds"),
                ),
                on_failure=str(on_failure) if on_failure else None,
            ),
        )
    return [by_name[spec.name] for spec in functions]
