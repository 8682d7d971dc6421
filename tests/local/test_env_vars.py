"""`--env-vars FILE` in SAM CLI's format: per-function variables over `Parameters`, and clear errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from vcn.local.env_vars import EnvVarsError, read_env_vars

FUNCTIONS = ["ValidationWorkerFunction", "ConfigurationApiFunction"]


def env_file(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "env.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_a_functions_own_entry_wins_over_parameters_which_reach_every_function(tmp_path: Path) -> None:
    worker = {"LOG_LEVEL": "DEBUG", "VALIDATION_FAULT_INJECTION": "enabled"}
    path = env_file(tmp_path, {"Parameters": {"LOG_LEVEL": "INFO", "TZ": "UTC"}, FUNCTIONS[0]: worker})
    assert read_env_vars(path).for_functions(FUNCTIONS) == {
        FUNCTIONS[0]: {"LOG_LEVEL": "DEBUG", "TZ": "UTC", "VALIDATION_FAULT_INJECTION": "enabled"},
        FUNCTIONS[1]: {"LOG_LEVEL": "INFO", "TZ": "UTC"},
    }


def test_an_entry_naming_no_function_is_warned_about_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = env_file(tmp_path, {"ValidationWorker": {"X": "1"}})
    with caplog.at_level(logging.WARNING, logger="vcn.local"):
        assert read_env_vars(path).for_functions(FUNCTIONS) == {name: {} for name in FUNCTIONS}
    (warning,) = caplog.messages
    assert "ValidationWorker names no function of the template" in warning
    assert "ValidationWorkerFunction" in warning  # the names that would have worked


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "is not JSON"),
        ('["ValidationWorkerFunction"]', "must be a JSON object like"),
        ({"Worker": "DEBUG"}, '"Worker" must map variable names to strings'),
        ({"Parameters": {"RETRIES": 3}}, '"Parameters"."RETRIES" is 3, not a string'),
        ({"Worker": {"ON": True}}, '"Worker"."ON" is true, not a string'),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_entry(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = env_file(tmp_path, document)
    with pytest.raises(EnvVarsError, match=f"--env-vars {path}") as raised:
        read_env_vars(path)
    assert message in str(raised.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(EnvVarsError, match=r"--env-vars .*nope\.json: cannot read it"):
        read_env_vars(tmp_path / "nope.json")
