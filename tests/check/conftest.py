"""Copies of a template with a change seeded in, and `vcn check` run on them in process."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vcn.check.findings import Finding
from vcn.check.runner import CheckOptions, CheckReport, run_check
from vcn.local.profile import AppProfile
from vcn.template.yaml_loader import load_template_file

ROOT = Path(__file__).resolve().parents[2]
PROJECT_TEMPLATE = ROOT / "template.yaml"
SHOP_TEMPLATE = Path(__file__).with_name("shop") / "template.yaml"
# Few drawn events: the explicit ones (each field of an ordinary event replaced in turn) find seeded defects.
EXAMPLES = 10

Change = Callable[[dict[str, Any]], object]


def seeded_copy(template: Path, folder: Path, change: Change) -> Path:
    """The template with `change` applied to its parsed document; the code folders it names are linked."""
    folder.mkdir(parents=True, exist_ok=True)
    document = load_template_file(template)
    change(document)
    copy = folder / "template.yaml"
    copy.write_text(json.dumps(document, indent=1))  # JSON is YAML to the loader
    for entry in template.parent.iterdir():
        if (
            entry.name != template.name
            and not entry.name.startswith(".")
            and not (folder / entry.name).exists()
        ):
            os.symlink(entry, folder / entry.name)
    return copy


def check(template: Path, profile: AppProfile, **options: Any) -> CheckReport:
    return run_check(CheckOptions(template, examples=EXAMPLES, **options), profile)


def failure(report: CheckReport, check_name: str, resource: str, **fields: Any) -> Finding:
    """The one failure of a check on a resource whose fields have the given values."""
    found = [
        f
        for f in report.results.findings
        if f.check == check_name
        and f.resource == resource
        and all(getattr(f, key) == value for key, value in fields.items())
    ]
    assert len(found) == 1, f"expected one {check_name} failure on {resource} {fields}, got {found}"
    return found[0]


def keys(report: CheckReport) -> set[tuple[str, str, str | None, str | None]]:
    return {(f.check, f.resource, f.target, f.kind) for f in report.results.findings}


def resources(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["Resources"]
    return found
