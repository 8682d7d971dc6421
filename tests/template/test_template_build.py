"""`sam build` packages every function for python3.13 on arm64, dependencies included.

The build needs a python3.13 interpreter on PATH (SAM checks it matches the runtime). It is looked up in
pyenv's versions, PATH and the usual system locations; the test is skipped only when none exists.
The build keeps its state outside the repository, on tmpfs when the machine has one: SAM's cached mode stores
the build graph next to the build directory and the installed dependencies under the working directory, so
a repeated run with unchanged requirements only copies files (~3,000 per function, which a busy disk makes
several times slower than tmpfs). A clean machine, or a changed lock file, pays the pip downloads once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.installs
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ELF_MACHINE_AARCH64 = 183

HANDLER_MODULES = {
    "ConfigurationApiFunction": "handlers/configuration_api.py",
    "ValidationWorkerFunction": "handlers/validation_worker.py",
    "TokenAuthorizerFunction": "handlers/authorizer.py",
    "SubscribeGuardFunction": "handlers/subscribe_guard.py",
    "HistoryRecorderFunction": "handlers/history_recorder.py",
    "HistoryApiFunction": "handlers/history_api.py",
    "ApiKeyKeeperFunction": "handlers/api_key_keeper.py",
    "SupplyIngressFunction": "handlers/supply_ingress.py",
}
# What each package must and must not hold (importable top-level names).
EXPECTED_PACKAGES = {
    "ConfigurationApiFunction": (
        {"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore", "aiohttp", "websockets"},
        {"jwt", "cryptography"},
    ),
    "ValidationWorkerFunction": ({"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore"}, {"aiohttp"}),
    "TokenAuthorizerFunction": (
        {"aws_lambda_powertools", "jwt", "rsa", "ecdsa"},
        # signatures are checked in pure Python: the native `cryptography` wheel alone is 10 MB
        {"cryptography", "cffi", "boto3", "botocore", "aws_xray_sdk", "aiohttp", "websockets"}
        | {"appsync_events_client"},
    ),
    "SubscribeGuardFunction": (
        {"aws_lambda_powertools"},
        {"boto3", "botocore", "aws_xray_sdk", "jwt", "cryptography", "aiohttp", "adapters"},
    ),
    "ApiKeyKeeperFunction": ({"aws_lambda_powertools", "boto3", "botocore"}, {"aiohttp", "jwt"}),
    "HistoryRecorderFunction": (
        {"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore"},
        {"aiohttp", "jwt", "cryptography", "appsync_events_client"},
    ),
    "HistoryApiFunction": (
        {"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore"},
        {"aiohttp", "jwt", "cryptography", "appsync_events_client"},
    ),
    "SupplyIngressFunction": (
        {"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore", "vehicle_config", "adapters"},
        {"aiohttp", "jwt", "cryptography", "appsync_events_client"},
    ),
}
# The functions on the connect and subscribe path: every cold start of theirs delays an analyst. The limit is
# on code; the bytecode of the modules a handler imports comes on top (it halves their cold import).
CODE_LIMIT_BYTES = {"TokenAuthorizerFunction": 15 * 2**20, "SubscribeGuardFunction": 15 * 2**20}


def _reports_python313(interpreter: Path) -> bool:
    try:
        result = subprocess.run(
            [str(interpreter), "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "True"


def _pyenv_root() -> Path:
    if "PYENV_ROOT" in os.environ:
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30, check=False)
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    return Path.home() / ".pyenv"


def python313_directory() -> Path | None:
    """A directory whose `python3.13` really runs Python 3.13 (a pyenv shim may exist and still fail)."""
    candidates = sorted((_pyenv_root() / "versions").glob("3.13*/bin/python3.13"), reverse=True)
    candidates += [Path(d) / "python3.13" for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    candidates += [Path("/usr/local/bin/python3.13"), Path("/usr/bin/python3.13")]
    for interpreter in candidates:
        if interpreter.is_file() and _reports_python313(interpreter):
            return interpreter.parent
    return None


def build_state_dir() -> Path:
    """Where SAM's build graph and dependency cache live between runs; one per user and checkout."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    checkout = hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
    return base / f"vcn-sam-build-{os.getuid()}-{checkout}"


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


@pytest.fixture(scope="module")
def build_dir() -> Iterator[Path]:
    python_dir = python313_directory()
    if python_dir is None:
        pytest.skip(
            "no python3.13 interpreter on this machine (pyenv versions, PATH, /usr/bin): install 3.13"
        )
    state_dir = build_state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / "build"
    environment = {
        **os.environ,
        "PATH": f"{python_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    command = [
        str(BIN / "sam"),
        "build",
        "--template",
        str(REPO / "template.yaml"),
        "--build-dir",
        str(target),
        "--cached",
        "--cache-dir",
        str(state_dir / "cache"),
    ]
    with (state_dir / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once must not build into the same directory
        result = subprocess.run(
            command, cwd=state_dir, env=environment, capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Build Succeeded" in result.stdout, result.stdout
        try:
            yield target
        finally:
            shutil.rmtree(target, ignore_errors=True)  # the dependency cache stays, the 4 copies go


def unzipped_code_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and path.suffix != ".pyc")


def top_level_names(folder: Path) -> set[str]:
    return {
        path.name.removesuffix(".py")
        for path in folder.iterdir()
        if not path.name.endswith(".dist-info") and (path.is_dir() or path.suffix == ".py")
    }


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sam_build_packages_each_function_with_only_what_it_imports(
    build_dir: Path, load_cfn: Callable[[Path], dict[str, Any]]
) -> None:
    built = load_cfn(build_dir / "template.yaml")
    functions = {
        name: resource["Properties"]
        for name, resource in built["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) == set(HANDLER_MODULES)
    sizes = {}
    for name, handler_module in HANDLER_MODULES.items():
        code = build_dir / functions[name]["CodeUri"]
        assert (code / handler_module).is_file(), f"{name}: {handler_module} missing from {code}"
        present = top_level_names(code)
        required, absent = EXPECTED_PACKAGES[name]
        assert required <= present, f"{name} lacks {required - present}"
        assert not absent & present, f"{name} carries {absent & present}, which it never imports"
        # The SDK comes whole or not at all: a bundled botocore beside the runtime's boto3 would mix versions.
        assert ("botocore" in present) == ("boto3" in present), name
        assert "bin" not in present, name  # pip's scripts: build-time only
        # The handler's modules come compiled for Python 3.13 (/var/task is read-only: no compiling there).
        assert list(code.glob(f"{Path(handler_module).parent}/__pycache__/*.cpython-313.pyc")), name
        sizes[name] = unzipped_code_bytes(code)
    for name, limit in CODE_LIMIT_BYTES.items():
        assert sizes[name] <= limit, f"{name} unzips to {sizes[name]:,} bytes of code, over {limit:,}"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sam_build_installs_native_dependencies_for_python313_on_arm64(build_dir: Path) -> None:
    extensions = sorted(build_dir.glob("ConfigurationApiFunction/**/*.so"))
    assert extensions, "no compiled extension was installed (aiohttp should bring some)"
    for extension in extensions:
        assert elf_machine(extension) == ELF_MACHINE_AARCH64, f"{extension} is not built for arm64"
        if ".cpython-" in extension.name:
            assert "cpython-313-aarch64" in extension.name, extension.name
