"""EventBridge's API as botocore describes it: every operation, its input shape and the shapes' constraints.

botocore ships the service model the AWS SDKs are generated from. Reading it here keeps the local
EventBridge's list of operations and its request validation in step with the real API, instead of a copy.
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import create_loader
from botocore.model import ServiceModel, StructureShape

SERVICE_NAME = "events"


@cache
def events_model() -> ServiceModel:
    """The installed botocore's EventBridge model (loaded once per process)."""
    return ServiceModel(create_loader().load_service_model(SERVICE_NAME, "service-2"), SERVICE_NAME)


def operation_names() -> list[str]:
    return list(events_model().operation_names)


def input_shape(operation: str) -> StructureShape | None:
    """The request shape of an operation of the model; None when it takes no input."""
    shape = events_model().operation_model(operation).input_shape
    return shape if isinstance(shape, StructureShape) else None


def member_names(shape_name: str) -> tuple[str, ...]:
    """The members of a structure shape in model order (e.g. what a list response carries per item)."""
    shape = events_model().shape_for(shape_name)
    return tuple(shape.members) if isinstance(shape, StructureShape) else ()
