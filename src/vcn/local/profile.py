"""App profiles: what one application adds to the generic local cloud, and how the local cloud finds it.

The local cloud runs any SAM template on its own. An application that wants more for local runs (parameter
values, demo users and their claims, a demo event stream, a web console, start-up hints, the names of its
stack outputs, the route of its event history, CLI commands of its own, the events `vcn check` sends through
the template) describes it in an `AppProfile` and names it in the `pyproject.toml` beside its template:

    [tool.vcn]
    profile = "package.module:PROFILE"

`VCN_PROFILE=<module:attribute>` (or `none`) overrides that. Dependencies point one way: a profile imports
the local cloud; the local cloud only ever sees the `AppProfile` value.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vcn.identity.users import DemoUser

if TYPE_CHECKING:
    from vcn.check.contribution import CheckContributionFactory

PROFILE_ENV = "VCN_PROFILE"
NO_PROFILE_WORD = "none"


class ProfileError(Exception):
    """The profile named by pyproject.toml or VCN_PROFILE cannot be loaded; the message says what to fix."""


@dataclass(frozen=True)
class LocalIdentity:
    """The development identity provider a local run uses: what template parameters may be pointed at."""

    issuer: str
    audience: str
    jwks_url: str


@dataclass(frozen=True)
class ClaimOption:
    """A list claim that `vcn token` offers as its own flag, e.g. `--regions eu us` -> `"regions": [..]`."""

    flag: str
    claim: str
    help: str


@dataclass(frozen=True)
class StackOutputs:
    """Names of the outputs a deployed stack exposes, which `--stack` commands read their endpoints from."""

    appsync_http: str
    appsync_realtime: str
    event_bus: str
    api_url: str | None = None
    dead_letter_queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryApi:
    """An event history the application serves on its HTTP API, which `vcn history` and `vcn subscribe
    --since` read: `GET <api><path>?channel=..&after=<cursor>&limit=..&sinceSeconds=..` with a bearer token,
    answering `{"items": [..each with its "cursor"..], "nextCursor": ..}` oldest first (the contract of
    `appsync_events_client.history`)."""

    path: str


class DemoSource(Protocol):
    """A stream of realistic PutEvents batches, one business fact per batch."""

    def next_batch(self) -> list[dict[str, Any]]: ...

    def describe(self, entries: list[dict[str, Any]]) -> str:
        """One line for the log: what happened and where it shows up."""
        ...


DemoStreamFactory = Callable[[str, random.Random], DemoSource]
CommandInstaller = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", "AppProfile"], None]


def _no_parameters(_: LocalIdentity) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class AppProfile:
    """Everything application-specific a local run uses; the defaults describe a bare template."""

    name: str = "none"
    # Template parameter values for local runs (a user's --parameter-overrides win).
    local_parameters: Callable[[LocalIdentity], Mapping[str, str]] = _no_parameters
    demo_users: tuple[DemoUser, ...] = ()
    claim_options: tuple[ClaimOption, ...] = ()
    demo_stream: DemoStreamFactory | None = None
    # A folder of static files served at the API port's root, relative to the project folder.
    web_root: str | None = None
    # Lines printed after "local cloud is up", e.g. commands to try.
    hints: tuple[str, ...] = ()
    stack_outputs: StackOutputs | None = None
    # The application's event history: without one, `vcn history` and `subscribe --since` are not offered.
    history: HistoryApi | None = None
    add_commands: CommandInstaller | None = None
    # `vcn check`'s application part: event kinds with their strategies, fields clients read, who reads
    check: CheckContributionFactory | None = None

    @property
    def is_bare(self) -> bool:
        return self.name == NO_PROFILE.name


NO_PROFILE = AppProfile()


def profile_spec(project_dir: Path, environ: Mapping[str, str] = os.environ) -> str | None:
    """The `module:attribute` naming the profile: VCN_PROFILE, else `[tool.vcn] profile` of pyproject.toml."""
    chosen = environ.get(PROFILE_ENV, "").strip()
    if chosen:
        return None if chosen.lower() == NO_PROFILE_WORD else chosen
    pyproject = project_dir / "pyproject.toml"
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{pyproject} cannot be read: {exc}") from None
    spec = document.get("tool", {}).get("vcn", {}).get("profile")
    if spec is None:
        return None
    if not isinstance(spec, str) or not spec.strip():
        raise ProfileError(f'{pyproject}: [tool.vcn] profile must be a "module:attribute" string')
    return spec.strip()


def load_profile(spec: str, project_dir: Path) -> AppProfile:
    """Import `module:attribute`; the project folder is searched too, so an uninstalled profile works."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ProfileError(f"profile {spec!r} is not module:attribute (e.g. my_app.local:PROFILE)")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name.split(".")[0] or str(project_dir.resolve()) in sys.path:
            raise ProfileError(f"profile {spec!r} cannot be imported: {exc}") from None
        sys.path.insert(0, str(project_dir.resolve()))
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as again:
            raise ProfileError(f"profile {spec!r} cannot be imported: {again}") from None
    profile = getattr(module, attribute, None)
    if not isinstance(profile, AppProfile):
        raise ProfileError(f"profile {spec!r} is not an AppProfile (got {type(profile).__name__})")
    return profile


def find_profile(project_dir: Path, environ: Mapping[str, str] = os.environ) -> AppProfile:
    """The profile of the project in `project_dir`, or NO_PROFILE when it names none."""
    spec = profile_spec(project_dir, environ)
    return NO_PROFILE if spec is None else load_profile(spec, project_dir)
