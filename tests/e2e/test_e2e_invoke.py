"""End to end: `vcn local invoke` runs every function of the template with its sample event (sam-like)."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.local_cloud import ROOT, RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
INVOKE = ROOT / "events" / "invoke"
# One sample per function (each worker start costs seconds); a denial shows how a function error is reported.
SAMPLES = [
    ("TokenAuthorizerFunction", "authorizer-connect.json"),
    ("ConfigurationApiFunction", "configuration-api-validate.json"),
    ("SubscribeGuardFunction", "subscribe-guard-market-allowed.json"),
    ("SubscribeGuardFunction", "subscribe-guard-market-denied.json"),
    ("ValidationWorkerFunction", "validation-worker-validation-requested.json"),
    ("ApiKeyKeeperFunction", "api-key-keeper-scheduled.json"),
]
FUNCTIONS = {
    "ApiKeyKeeperFunction",
    "TokenAuthorizerFunction",
    "ConfigurationApiFunction",
    "SubscribeGuardFunction",
    "ValidationWorkerFunction",
}


@pytest.fixture(scope="module")
def invocations(local_cloud: RunningCloud) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every sample invoked at once (each `vcn local invoke` starts its own worker, which takes seconds)."""
    with ThreadPoolExecutor(max_workers=len(SAMPLES)) as pool:
        futures = {
            sample: pool.submit(
                local_cloud.vcn, "local", "invoke", function, "-e", str(INVOKE / sample), timeout=120
            )
            for function, sample in SAMPLES
        }
        return {sample: future.result() for sample, future in futures.items()}


@pytest.mark.parametrize(("function", "sample"), SAMPLES, ids=[sample for _, sample in SAMPLES])
def test_local_invoke_runs_each_function(
    invocations: dict[str, subprocess.CompletedProcess[str]], function: str, sample: str
) -> None:
    result = invocations[sample]
    output = json.loads(result.stdout)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    if sample.endswith("-denied.json"):
        # A guard denies with an answer, not a failure: no Lambda error is counted for a denial.
        assert set(output) == {"error"} and output["error"].startswith("SubscriptionDenied - "), output
        return
    if function == "ConfigurationApiFunction":
        assert output["statusCode"] == 200 and json.loads(output["body"])["configurationId"], output
    elif function == "TokenAuthorizerFunction":
        assert output["isAuthorized"] is False  # the sample's token is not signed by the local key
    elif function == "SubscribeGuardFunction":
        assert output is None  # null allows the subscription
    elif function == "ApiKeyKeeperFunction":
        # It reached the local AppSync control plane and extended the local key to a year.
        (key,) = output["keys"]
        assert key["daysLeft"] > 364 and key["key"].startswith("...")


def test_samples_cover_every_function_of_the_template() -> None:
    assert {function for function, _ in SAMPLES} == FUNCTIONS
    assert all((INVOKE / sample).is_file() for _, sample in SAMPLES)


def test_unknown_function_is_one_clear_error(local_cloud: RunningCloud) -> None:
    result = local_cloud.vcn("local", "invoke", "NoSuchFunction")
    assert result.returncode == 1
    assert result.stderr.startswith("error: No function named 'NoSuchFunction'"), result.stderr


def test_an_env_vars_file_reaches_the_invoked_function(local_cloud: RunningCloud, tmp_path: Path) -> None:
    event = json.loads((INVOKE / "validation-worker-validation-requested.json").read_text())
    event["detail"]["configuration"]["configurationId"] = "FAULT-RAISE-env-vars"
    event_path, env_vars = tmp_path / "event.json", tmp_path / "env.json"
    event_path.write_text(json.dumps(event))
    env_vars.write_text(json.dumps({"ValidationWorkerFunction": {"VALIDATION_FAULT_INJECTION": "enabled"}}))
    result = local_cloud.vcn(
        "local", "invoke", "ValidationWorkerFunction", "-e", str(event_path), "--env-vars", str(env_vars),
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, f"{result.stdout}\n{result.stderr}"
    assert json.loads(result.stdout)["errorType"] == "InjectedFault"
