"""Every function is packaged on its own: a functions/Makefile target, a hashed lock file, and a module
closure that holds what its handler imports and nothing it does not (checked without building)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.template.test_template_structure import of_type

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO / "functions"
sys.path.insert(0, str(REPO / "packaging"))
from package_function import LOCKS, first_party_files  # noqa: E402

TARGET = re.compile(
    r"^build-(\w+):\n\t\$\(PACKAGE\) ([\w.]+) ([\w-]+) \"\$\(ARTIFACTS_DIR\)\"$", re.MULTILINE
)
PIN = re.compile(r"^([A-Za-z0-9_.-]+(?:\[[\w,]+\])?)==([^\s;]+)")


def makefile_targets() -> dict[str, tuple[str, str]]:
    text = (FUNCTIONS_DIR / "Makefile").read_text(encoding="utf-8")
    return {function: (module, lock) for function, module, lock in TARGET.findall(text)}


def lock_pins(name: str) -> dict[str, list[str]]:
    """Each pinned distribution of a lock and its hashes; a requirement without `==` fails the test."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (LOCKS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            assert current is not None
            pins[current].append(stripped.removeprefix("--hash=").rstrip(" \\"))
            continue
        match = PIN.match(stripped)
        assert match, f"{name}.txt: {stripped!r} is not pinned with =="
        current = match.group(1).lower()
        pins[current] = []
    return pins


def test_every_function_builds_with_its_own_makefile_target(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    targets = makefile_targets()
    assert set(targets) == set(functions), "a function without a target (or a target without a function)"
    for name, function in functions.items():
        assert function["Metadata"] == {"BuildMethod": "makefile"}, name
        module, _ = targets[name]
        assert function["Properties"]["Handler"] == f"{module}.handler", name


@pytest.mark.parametrize("lock", sorted({lock for _, lock in makefile_targets().values()}))
def test_each_lock_pins_every_distribution_with_hashes_for_lambda_and_this_machine(lock: str) -> None:
    pins = lock_pins(lock)
    assert (REPO / "packaging" / "requirements" / f"{lock}.in").is_file()
    assert "aws-lambda-powertools" in pins
    for distribution, hashes in pins.items():
        assert hashes and all(h.startswith("sha256:") for h in hashes), distribution
    if "botocore" in pins or "boto3" in pins:  # the SDK whole, or its parts could mix with the runtime's
        assert {"boto3", "botocore", "s3transfer", "jmespath"} <= set(pins), lock


@pytest.mark.parametrize(
    ("function", "needed", "never"),
    [
        (
            "TokenAuthorizerFunction",
            {"adapters/token_verifier.py"},
            {"appsync_events_client", "handlers/configuration_api.py"},
        ),
        ("SubscribeGuardFunction", {"vehicle_config/channels.py"}, {"adapters", "vehicle_config/rules.py"}),
        (
            "ConfigurationApiFunction",
            {"appsync_events_client/client.py", "vehicle_config/catalog.json"},
            {"key_keeper"},
        ),
        (
            "ApiKeyKeeperFunction",
            {"key_keeper/lifetime.py", "adapters/appsync_api_keys.py"},
            {"vehicle_config"},
        ),
    ],
)
def test_a_package_holds_the_modules_its_handler_imports_and_no_other(
    function: str, needed: set[str], never: set[str]
) -> None:
    module, _ = makefile_targets()[function]
    files = {str(path.relative_to(FUNCTIONS_DIR)) for path in first_party_files(module, FUNCTIONS_DIR)}
    assert needed <= files
    assert not {f for f in files for part in never if f == part or f.startswith(part + "/")}, files
