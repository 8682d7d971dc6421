"""template.yaml passes SAM's validation with linting and cfn-lint without a single finding, informational
checks included (`--include-checks I`; cfn-lint's `-I` flag only turns on its own info logging)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    assert Path(command[0]).is_file(), f"{command[0]} is missing: run `make venv` to install the dev tools"
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def test_sam_validate_lint_reports_nothing() -> None:
    result = run_tool(
        str(BIN / "sam"), "validate", "--lint", "--template", "template.yaml", "--region", "us-east-1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{REPO / 'template.yaml'} is a valid SAM Template", result.stdout
    assert result.stderr.strip() == "", result.stderr


def test_cfn_lint_reports_nothing_even_informational() -> None:
    result = run_tool(str(BIN / "cfn-lint"), "--include-checks", "I", "--", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""
