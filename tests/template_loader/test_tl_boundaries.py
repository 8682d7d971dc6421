"""Services own their config: the template loader imports the services' config types, never the reverse.

Only the loader (`vcn.template`), the wiring that hands its output to the services (`vcn.local`,
`vcn.cli`) and `vcn check`, which reads the loaded template as a whole (`vcn.check`), may import
`vcn.template`; every other module of `vcn` is checked by reading its imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vcn

SRC = Path(vcn.__file__).parent
MAY_IMPORT_THE_LOADER = {"template", "local", "cli", "check"}
SERVICES = {
    "lambda_runtime", "appsync", "eventbridge", "httpapi", "identity", "cloudwatch", "dynamodb", "scheduler",
    "timetable",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved, `from a import b` -> a.b)."""
    package = list(path.relative_to(SRC.parent).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def checked_modules() -> list[Path]:
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] not in MAY_IMPORT_THE_LOADER
    ]


def test_no_service_module_imports_the_template_loader() -> None:
    offenders = [
        f"{path.relative_to(SRC.parent)} imports {name}"
        for path in checked_modules()
        for name in sorted(imported_modules(path))
        if name == "vcn.template" or name.startswith("vcn.template.")
    ]
    assert offenders == [], "services must not import the template loader; it converts into their types"


def test_every_service_package_is_checked() -> None:
    checked = {path.relative_to(SRC).parts[0] for path in checked_modules()}
    assert checked >= SERVICES


def test_the_loader_converts_into_the_services_own_config_types() -> None:
    assert "vcn.lambda_runtime.config.FunctionSpec" in imported_modules(SRC / "template" / "functions.py")
    assert "vcn.httpapi.config.HttpApiConfig" in imported_modules(SRC / "template" / "http_apis.py")
    assert "vcn.appsync.config.EventApiConfig" in imported_modules(SRC / "template" / "appsync_apis.py")
    assert "vcn.cloudwatch.config.AlarmConfig" in imported_modules(SRC / "template" / "alarms.py")
    assert "vcn.scheduler.ScheduleConfig" in imported_modules(SRC / "template" / "schedules.py")
    # relative imports resolve inside the package
    assert "vcn.template.intrinsics.Resolver" in imported_modules(SRC / "template" / "functions.py")
