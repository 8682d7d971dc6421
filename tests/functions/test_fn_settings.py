"""Each function reads its settings once: a missing or malformed variable is named, with what to set it to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from handlers.settings import (
    AuthorizerSettings,
    ConfigurationApiSettings,
    SettingsError,
    ValidationWorkerSettings,
    read_settings,
)

from tests.support.function_environment import FUNCTION_ENVIRONMENT
from tests.support.function_specs import local_function
from vcn.invoker import FunctionError
from vcn.lambda_runtime import LambdaRuntime

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_every_missing_variable_is_named_with_what_to_set_it_to() -> None:
    with pytest.raises(SettingsError) as raised:
        read_settings(AuthorizerSettings, {})
    message = str(raised.value)
    for name in ("JWKS_URL", "TOKEN_ISSUER", "TOKEN_AUDIENCE"):
        assert f"{name} is not set; set it to " in message
    assert "JWKS_REFRESH_COOLDOWN_SECONDS" not in message  # it has a default
    assert "template.yaml" in message


def test_an_empty_variable_counts_as_missing() -> None:
    with pytest.raises(SettingsError, match="EVENT_BUS_NAME is not set"):
        read_settings(ConfigurationApiSettings, {**FUNCTION_ENVIRONMENT, "EVENT_BUS_NAME": ""})


def test_the_template_values_are_parsed_into_typed_fields() -> None:
    environment = {**FUNCTION_ENVIRONMENT, "JWKS_REFRESH_COOLDOWN_SECONDS": "30"}
    assert read_settings(AuthorizerSettings, environment) == AuthorizerSettings(
        jwks_url=FUNCTION_ENVIRONMENT["JWKS_URL"],
        token_issuer=FUNCTION_ENVIRONMENT["TOKEN_ISSUER"],
        token_audience=FUNCTION_ENVIRONMENT["TOKEN_AUDIENCE"],
        jwks_refresh_cooldown_seconds=30.0,
    )
    assert read_settings(ConfigurationApiSettings, {**FUNCTION_ENVIRONMENT, "AWS_REGION": ""}).region == ""


@pytest.mark.parametrize("raw", ["soon", "-1", "nan", "inf"])
def test_a_cooldown_that_is_not_a_number_of_seconds_is_refused(raw: str) -> None:
    environment = {**FUNCTION_ENVIRONMENT, "JWKS_REFRESH_COOLDOWN_SECONDS": raw}
    refused = f"JWKS_REFRESH_COOLDOWN_SECONDS is '{raw}', not a number of seconds"
    with pytest.raises(SettingsError, match=refused):
        read_settings(AuthorizerSettings, environment)


@pytest.mark.parametrize(("raw", "enabled"), [("enabled", True), ("disabled", False), (None, False)])
def test_fault_injection_is_off_unless_enabled(raw: str | None, enabled: bool) -> None:
    environment = {"EVENT_BUS_NAME": "vehicle-config"}
    if raw is not None:
        environment["VALIDATION_FAULT_INJECTION"] = raw
    assert read_settings(ValidationWorkerSettings, environment).fault_injection is enabled


@pytest.mark.parametrize("raw", ["true", "ENABLED", "on"])
def test_fault_injection_refuses_anything_but_enabled_or_disabled(raw: str) -> None:
    environment = {"EVENT_BUS_NAME": "vehicle-config", "VALIDATION_FAULT_INJECTION": raw}
    with pytest.raises(SettingsError, match=f"VALIDATION_FAULT_INJECTION is '{raw}', not `enabled` or"):
        read_settings(ValidationWorkerSettings, environment)


def test_on_the_local_runtime_a_missing_variable_is_the_functions_init_error() -> None:
    worker = local_function(
        "ValidationWorkerFunction",
        FUNCTIONS,
        "handlers.validation_worker.handler",
        timeout=10,
        environment={"POWERTOOLS_SERVICE_NAME": "vehicle-config-notifications"},
    )

    async def first_invocation() -> FunctionError:
        runtime = LambdaRuntime([worker])
        try:
            with pytest.raises(FunctionError) as raised:
                await runtime.invoke(worker.name, {})
            return raised.value
        finally:
            await runtime.stop()

    error = asyncio.run(first_invocation())
    assert error.error_type == "SettingsError"
    assert "EVENT_BUS_NAME is not set; set it to the name of the event bus" in error.error_message
