"""Lambda functions of the template (AWS::Lambda::Function after the SAM transform) as `FunctionSpec`s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vcn.lambda_runtime.config import FunctionSpec

from .errors import Location
from .intrinsics import Resolver
from .local_values import LocalResources
from .sam import CodeLocations


def _code_dir(code: Any, locations: CodeLocations, base_dir: Path, at: Location) -> Path:
    if isinstance(code, str) and not code.startswith("s3://"):
        local: str | None = code  # `Code: ./folder`, the form `aws cloudformation package` and sam accept
    elif not isinstance(code, dict):
        raise at.error("Code is required (set CodeUri to the function's folder)")
    elif "ZipFile" in code:
        raise at.error("inline code (InlineCode / Code.ZipFile) is not supported locally", hint="Use CodeUri")
    else:
        local = locations.local_path(code)
    if local is None:
        where = f"s3://{code.get('S3Bucket')}/{code.get('S3Key')}" if "S3Bucket" in code else str(code)
        raise at.error(
            f"code in {where} cannot run locally; the local cloud runs code from a folder",
            hint="Set CodeUri to a folder relative to the template",
        )
    path = (base_dir / local).resolve()
    if not path.is_dir():
        raise at.error(
            f"CodeUri folder {local!r} does not exist (looked for {path})",
            hint="CodeUri is resolved relative to the template's folder",
        )
    return path


def _env_text(value: Any, at: Location) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise at.error(f"an environment variable must be a string, got {value!r}")


def extract_functions(
    resolver: Resolver,
    resources: LocalResources,
    logical_ids: list[str],
    locations: CodeLocations,
    base_dir: Path,
    notes: list[str],
) -> list[FunctionSpec]:
    """Every active AWS::Lambda::Function, with its folder, handler, runtime, limits and environment."""
    functions = []
    for lid in logical_ids:
        props = resources.properties(lid)
        at = Location(lid)

        def prop(name: str, default: Any = None, props: Any = props, at: Location = at) -> Any:
            value = resolver.resolve_optional(props.get(name), at.child(name)) if name in props else None
            return default if value is None else value

        if prop("PackageType", "Zip") != "Zip":
            raise at.child("PackageType").error("container image functions are not supported locally")
        code_dir = _code_dir(prop("Code"), locations, base_dir, at.child("CodeUri"))
        runtime = str(prop("Runtime", ""))
        if not runtime.startswith("python"):
            raise at.child("Runtime").error(
                f"runtime {runtime or '(none)'!r} is not supported locally (python only)"
            )
        handler = prop("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise at.child("Handler").error(f"Handler must be module.function, got {handler!r}")
        architectures = prop("Architectures", ["x86_64"])
        env = prop("Environment", {}).get("Variables") or {}
        if not isinstance(env, dict):
            raise at.child("Environment").error("Environment.Variables must be a mapping")
        if prop("Layers"):
            notes.append(
                f"{lid}: Layers are ignored locally (install their packages in the local environment)"
            )
        dead_letter = prop("DeadLetterConfig", {}).get("TargetArn")
        try:
            timeout = int(prop("Timeout", 3))
            memory = int(prop("MemorySize", 128))
        except (TypeError, ValueError) as exc:
            raise at.error(f"Timeout and MemorySize must be numbers: {exc}") from None
        functions.append(
            FunctionSpec(
                name=lid,
                code_dir=code_dir,
                handler=handler,
                runtime=runtime,
                architecture=str(architectures[0]) if architectures else "x86_64",
                timeout=timeout,
                memory=memory,
                environment={
                    str(k): _env_text(v, at.child("Environment").child("Variables").child(str(k)))
                    for k, v in env.items()
                },
                dead_letter_arn=str(dead_letter) if dead_letter else None,
                region=resolver.region,
                account=resolver.account,
            )
        )
    return functions
