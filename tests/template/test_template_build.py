"""`sam build` packages every function for python3.13 on arm64, dependencies included.

The build needs a python3.13 interpreter on PATH (SAM checks it matches the runtime). It is looked up in
pyenv's versions, PATH and the usual system locations; the test is skipped only when none exists.
The build keeps its state outside the repository, on tmpfs when the machine has one: SAM's cached mode stores
the build graph next to the build directory and the installed dependencies under the working directory, so
a repeated run with unchanged requirements only copies files (~3,000 per function, which a busy disk makes
several times slower than tmpfs). A clean machine, or a changed requirements.txt, pays the pip install once.
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
}


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


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sam_build_packages_every_function_with_its_handler_and_dependencies(
    build_dir: Path, load_cfn: Callable[[Path], dict[str, Any]]
) -> None:
    built = load_cfn(build_dir / "template.yaml")
    functions = {
        name: resource["Properties"]
        for name, resource in built["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) == set(HANDLER_MODULES)
    for name, handler_module in HANDLER_MODULES.items():
        code = build_dir / functions[name]["CodeUri"]
        assert (code / handler_module).is_file(), f"{name}: {handler_module} missing from {code}"
        # appsync_events_client (+ aiohttp, websockets): the configuration API's request/reply bridge
        for package in (
            "aws_lambda_powertools",
            "jwt",
            "vehicle_config",
            "adapters",
            "appsync_events_client",
            "aiohttp",
            "websockets",
        ):
            assert (code / package / "__init__.py").is_file(), f"{name}: {package} missing"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sam_build_installs_native_dependencies_for_python313_on_arm64(build_dir: Path) -> None:
    extensions = sorted(build_dir.glob("ConfigurationApiFunction/**/*.so"))
    assert extensions, "no compiled extension was installed (cryptography should bring one)"
    for extension in extensions:
        assert elf_machine(extension) == ELF_MACHINE_AARCH64, f"{extension} is not built for arm64"
        if ".cpython-" in extension.name:
            assert "cpython-313-aarch64" in extension.name, extension.name
