"""The `vcn` command line as a user meets it: help everywhere, clear one-line errors, tokens on stdout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from vcn.identity import load_or_create_signing_key
from vcn.local.state import local_document, write_local_json
from vcn.local.state_lock import acquire_state_lock

VCN = [sys.executable, "-m", "vcn.cli.main"]
COMMANDS = [
    [],
    ["local"],
    ["local", "up"],
    ["local", "invoke"],
    ["token"],
    ["subscribe"],
    ["history"],
    ["publish"],
    ["emit"],
    ["demo"],
    ["dlq"],
    ["dlq", "list"],
    ["dlq", "show"],
    ["dlq", "redrive"],
    ["dlq", "pending"],
    ["metrics"],
    ["alarms"],
]


def vcn(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VCN, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "vcn")
def test_every_command_has_help(command: list[str]) -> None:
    result = vcn(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: vcn")
    assert len(result.stdout.splitlines()) > 3


def _write_local_json(
    state_dir: Path, api: str = "http://127.0.0.1:4999", profile: str | None = "vehicle-config-notifications"
) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    write_local_json(
        state_dir,
        local_document(
            region="us-east-1",
            account="000000000000",
            eventbridge="http://127.0.0.1:4998",
            bus_name="vehicle-config",
            appsync={
                "http": "http://127.0.0.1:4997/event",
                "realtime": "ws://127.0.0.1:4997/event/realtime",
                "apiKey": "k",
                "https": None,
                "wss": None,
            },
            api=api,
            profile=profile,
        ),
    )


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    """A port some other program listens on, for as long as the block runs."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


@pytest.fixture
def fake_cloud(tmp_path: Path) -> Iterator[Path]:
    """A state folder as a running cloud keeps it: its lock held (by this process) and local.json written."""
    with acquire_state_lock(tmp_path):
        _write_local_json(tmp_path)
        yield tmp_path


def test_token_prints_only_a_token_signed_by_the_local_key(fake_cloud: Path) -> None:
    tmp_path = fake_cloud
    key = load_or_create_signing_key(tmp_path)
    result = vcn("token", "--user", "analyst-us", "--state-dir", str(tmp_path), "--ttl", "60")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    claims = jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience="vcn-local",
        issuer="http://127.0.0.1:4999",
    )
    assert (claims["sub"], claims["markets"], claims["plants"]) == ("analyst-us", ["US"], ["CHA"])
    assert claims["exp"] - claims["iat"] == 60

    custom = vcn(
        "token", "--user", "u-42", "--markets", "DE,FR", "--plants", "*", "--state-dir", str(tmp_path)
    )
    claims = jwt.decode(custom.stdout.strip(), options={"verify_signature": False})
    assert (claims["markets"], claims["plants"]) == (["DE", "FR"], ["*"])


def test_token_errors_are_one_clear_line(fake_cloud: Path) -> None:
    tmp_path = fake_cloud
    missing = vcn("token", "--user", "analyst-de", "--state-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: no local cloud is running") and missing.stderr.count("\n") == 1
    stranger = vcn("token", "--user", "mallory", "--state-dir", str(tmp_path))
    assert stranger.returncode == 1 and "pass --markets and/or --plants" in stranger.stderr
    unsafe = vcn("token", "--user", "bob smith", "--markets", "DE", "--state-dir", str(tmp_path))
    assert unsafe.returncode == 1 and "segment-safe" in unsafe.stderr


def test_a_token_minted_outside_the_clouds_project_says_the_demo_users_are_missing(
    fake_cloud: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """From a folder with no app profile, `--user analyst-de` is no demo user: its token grants nothing, and
    every subscription with it would be refused as if the analyst had no access. The CLI says why."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = vcn("token", "--user", "analyst-de", "--state-dir", str(fake_cloud), cwd=elsewhere)
    assert result.returncode == 0 and result.stdout.count(".") == 2  # still a token, on stdout alone
    assert result.stderr == (
        f"warning: the local cloud on {fake_cloud} runs the vehicle-config-notifications app profile, this "
        "folder's project has none: run vcn from the cloud's project folder for its demo users, or pass the "
        "claims yourself\n"
    )
    at_home = vcn("token", "--user", "analyst-de", "--state-dir", str(fake_cloud))
    assert at_home.returncode == 0 and at_home.stderr == ""


def test_local_up_names_the_busy_port_and_its_flag(tmp_path: Path) -> None:
    with busy_port() as port:
        result = vcn(
            "local",
            "up",
            "--state-dir",
            str(tmp_path),
            "--api-port",
            "0",
            "--appsync-port",
            "0",
            "--no-tls",
            "--eventbridge-port",
            str(port),
            cwd=Path.cwd(),
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: port {port} is in use; pass --eventbridge-port to choose another"
    )
    assert not (tmp_path / "local.json").exists()


def test_a_busy_port_from_port_base_names_port_base(tmp_path: Path) -> None:
    with busy_port() as port:
        # the API port (base) is taken by this socket: the check names it first
        result = vcn("local", "up", "--state-dir", str(tmp_path), "--port-base", str(port), cwd=Path.cwd())
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: port {port} is in use; pass another --port-base, or --api-port for this one"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--port-base", "70000"],
            "--port-base must be from 1 to 65505, as it uses ports N to N+30 (got 70000)",
        ),
        (["--port-base", "-5"], "--port-base must be from 1 to 65505, as it uses ports N to N+30 (got -5)"),
        (["--port-base", "0"], "--port-base must be from 1 to 65505, as it uses ports N to N+30 (got 0)"),
        (
            ["--port-base", "65506"],
            "--port-base must be from 1 to 65505, as it uses ports N to N+30 (got 65506)",
        ),
        (
            ["--api-port", "65536"],
            "--api-port must be a port from 1 to 65535, or 0 for any free port (got 65536)",
        ),
        (
            ["--port-base", "5000", "--dynamodb-port", "-1"],
            "--dynamodb-port must be a port from 1 to 65535, or 0 for any free port (got -1)",
        ),
    ],
    ids=["base 70000", "base -5", "base 0", "base whose last port is 65536", "port 65536", "port -1"],
)
def test_local_up_refuses_ports_that_do_not_exist(tmp_path: Path, flags: list[str], message: str) -> None:
    result = vcn("local", "up", *flags, "--state-dir", str(tmp_path))
    assert (result.returncode, result.stderr) == (1, f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_missing_template_and_bad_overrides_are_reported(tmp_path: Path) -> None:
    result = vcn("local", "up", "--template", str(tmp_path / "nope.yaml"), "--state-dir", str(tmp_path))
    assert (
        result.returncode == 1
        and "does not exist; run from the project root or pass --template" in result.stderr
    )
    result = vcn("local", "up", "--parameter-overrides", "LogLevel", "--state-dir", str(tmp_path))
    assert result.returncode == 1 and "is not Key=Value" in result.stderr
    result = vcn("local", "up", "--env-vars", str(tmp_path / "env.json"), "--state-dir", str(tmp_path))
    assert result.returncode == 1 and "env.json: cannot read it" in result.stderr
    assert not (tmp_path / "local.json").exists()


def test_local_up_refuses_an_override_of_a_parameter_the_template_lacks(tmp_path: Path) -> None:
    """CloudFormation refuses it; the local cloud started and ignored it. The app profile's own local values
    (the identity parameters) still apply."""
    any_free_port = [
        "--api-port",
        "0",
        "--eventbridge-port",
        "0",
        "--appsync-port",
        "0",
        "--dynamodb-port",
        "0",
    ]
    result = vcn(
        "local", "up", "--parameter-overrides", "NoSuchParam=1", "LogLevel=DEBUG",
        "--state-dir", str(tmp_path), *any_free_port, "--no-tls",
    )  # fmt: skip
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(
        "error: template.yaml: Parameters: [NoSuchParam] do not exist in the template; its parameters: "
    )
    assert "LogLevel" in last and last.endswith("Check the names given with --parameter-overrides")
    assert not (tmp_path / "local.json").exists()


@pytest.mark.parametrize("scale", ["0", "-60", "inf", "nan"])
def test_local_up_refuses_a_time_scale_that_is_not_a_positive_number(tmp_path: Path, scale: str) -> None:
    result = vcn("local", "up", "--time-scale", scale, "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "--time-scale must be a positive number" in result.stderr and "1 is real time" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"Source": "x"}', "must hold a JSON list of PutEvents entries"),
        ("[]", "holds no entries: nothing was sent"),
        ('{"Entries": []}', "holds no entries: nothing was sent"),
    ],
    ids=["an object without Entries", "an empty list", "empty Entries"],
)
def test_emit_rejects_a_file_that_is_not_entries(fake_cloud: Path, content: str, message: str) -> None:
    tmp_path = fake_cloud
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = vcn("emit", str(bad), "--state-dir", str(tmp_path))
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_emit_names_an_entries_file_it_cannot_read(fake_cloud: Path) -> None:
    not_text = fake_cloud / "utf16.json"
    not_text.write_bytes(b"\xff\xfe[\x00]\x00")
    result = vcn("emit", str(not_text), "--state-dir", str(fake_cloud))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot read entries file {not_text}: not UTF-8 text (invalid byte 0xff at offset 0)\n"
    )
    folder = vcn("emit", str(fake_cloud), "--state-dir", str(fake_cloud))
    assert (folder.returncode, folder.stderr) == (
        1,
        f"error: cannot read entries file {fake_cloud}: Is a directory\n",
    )


def test_local_invoke_names_an_event_file_that_is_not_utf8(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(b"\xff\xfe{\x00}\x00")
    result = vcn(
        "local", "invoke", "ValidationWorkerFunction", "-e", str(event), "--state-dir", str(tmp_path / "s")
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: cannot read event file {event}: not UTF-8 text (invalid byte 0xff at offset 0)"
    )


@pytest.mark.parametrize(
    "command",
    [["publish", "", "{}"], ["publish", "/", "{}"], ["subscribe", "", "--user", "analyst-de"]],
    ids=["publish to ''", "publish to /", "subscribe to ''"],
)
def test_a_channel_that_names_nothing_is_one_error_line(fake_cloud: Path, command: list[str]) -> None:
    result = vcn(*command, "--state-dir", str(fake_cloud))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {command[1]!r} is no channel: channel must name a namespace and a path, "
        "e.g. '/default/orders'\n"
    )


def test_publish_refuses_an_event_with_an_unpaired_surrogate_as_one_line(fake_cloud: Path) -> None:
    """JSON may escape half a UTF-16 pair; a publish body is UTF-8, which cannot carry it."""
    result = vcn("publish", "/orders/eu/1", '{"n":1}', '"\\ud800"', "--state-dir", str(fake_cloud))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: event 2 holds an unpaired UTF-16 surrogate (\\ud800), which is not text: AppSync Events "
        "takes UTF-8 only; escape both halves of a pair, e.g. \\ud83d\\ude00\n"
    )


def test_emit_names_the_entry_botocore_refuses_instead_of_blaming_the_cloud(fake_cloud: Path) -> None:
    """botocore checks the parameters before sending: its ParamValidationError is the file's fault."""
    entries = fake_cloud / "f.json"
    entries.write_text('[{"Source": 5, "DetailType": "y", "Detail": "{}"}]')
    result = vcn("emit", str(entries), "--state-dir", str(fake_cloud))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {entries}: entry 1: Invalid type for parameter Source, value: 5, type: <class 'int'>, "
        "valid types: <class 'str'>\n"
    )
    good = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    entries.write_text(json.dumps({"Entries": [good, {**good, "Colour": "red"}]}))
    result = vcn("emit", str(entries), "--state-dir", str(fake_cloud))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f'error: {entries}: entry 2: Unknown parameter in the entry: "Colour", must be one of: '
    )
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["subscribe", "/orders/eu/*", "--user", "analyst-de", "--count", "0"],
            "--count must be at least 1 (got 0)",
        ),
        (
            ["subscribe", "/orders/eu/*", "--user", "analyst-de", "--count", "-1"],
            "--count must be at least 1 (got -1)",
        ),
        (["subscribe", "/orders/eu/*", "--user", "analyst-de", "--since", ""], "--since: '' is not a start"),
        (["history", "/orders/eu/*", "--user", "analyst-de", "--since", ""], "--since: '' is not a start"),
        (
            ["history", "/orders/eu/*", "--user", "analyst-de", "--after", ""],
            "--after takes an item's cursor",
        ),
        (["demo", "--count", "-5"], "--count must be 0 or more business events, got -5"),
        (["demo", "--rate", "nan"], "--rate must be a positive number of events per second, got nan"),
        (["demo", "--rate", "inf"], "--rate must be a positive number of events per second, got inf"),
    ],
    ids=[
        "subscribe --count 0",
        "subscribe --count -1",
        "subscribe --since ''",
        "history --since ''",
        "history --after ''",
        "demo --count -5",
        "demo --rate nan",
        "demo --rate inf",
    ],
)
def test_values_that_mean_nothing_are_refused_not_run(
    fake_cloud: Path, command: list[str], message: str
) -> None:
    """Each used to run: waiting forever, reading from the start, or sending nothing and exiting 0."""
    result = subprocess.run(
        [*VCN, *command, "--state-dir", str(fake_cloud)], capture_output=True, text=True, timeout=10
    )
    assert (result.returncode, result.stdout) == (1, ""), command
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1, result.stderr


KILLED_CLOUD = """
import sys
from pathlib import Path
from vcn.local.state_lock import acquire_state_lock
acquire_state_lock(Path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.read()
"""


def test_commands_refuse_a_local_json_whose_cloud_was_killed(tmp_path: Path) -> None:
    cloud = subprocess.Popen(
        [sys.executable, "-c", KILLED_CLOUD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert cloud.stdout is not None and cloud.stdout.readline() == "locked\n"
    _write_local_json(tmp_path)
    os.kill(cloud.pid, signal.SIGKILL)
    cloud.wait()
    expected = (
        f"error: no local cloud is running for state dir {tmp_path} (stale local.json from pid {cloud.pid}, "
        "which is gone); start one with `vcn local up`, which replaces it\n"
    )
    for command in (["token", "--user", "analyst-de"], ["metrics"], ["dlq", "list"], ["alarms"]):
        result = vcn(*command, "--state-dir", str(tmp_path))
        assert (result.returncode, result.stderr) == (1, expected), command
    assert (tmp_path / "local.json").exists(), "reading commands leave it to the next `vcn local up`"


CLOUD_JSON = '"eventbridge": "http://127.0.0.1:4998", "api": "http://127.0.0.1:4999"'


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("{}", "it has no 'eventbridge'"),
        (f'{{{CLOUD_JSON}, "appsync": "x"}}', "its 'appsync' is a string, not an object or null"),
    ],
    ids=["no keys", "appsync a string"],
)
def test_commands_refuse_a_local_json_without_the_keys_they_need(
    fake_cloud: Path, document: str, problem: str
) -> None:
    """`{}` ended `vcn dlq list` in KeyError: 'eventbridge'; each reader now names the key it misses."""
    path = fake_cloud / "local.json"
    path.write_text(document)

    def refused(problem: str) -> str:
        restart = "stop the local cloud and start it again"
        return f"error: {path} is not what a local cloud writes ({problem}); {restart}"

    for command in (["dlq", "list"], ["dlq", "pending"], ["metrics"], ["alarms"], ["emit", str(path)]):
        result = vcn(*command, "--state-dir", str(fake_cloud))
        assert (result.returncode, result.stderr) == (1, refused(problem) + "\n"), command
    own = problem if document != "{}" else "it has no 'api'"  # what the token issuer and invoke need first
    token = vcn("token", "--user", "analyst-de", "--state-dir", str(fake_cloud))
    assert (token.returncode, token.stderr) == (1, refused(own) + "\n")
    invoked = vcn("local", "invoke", "ValidationWorkerFunction", "--state-dir", str(fake_cloud))
    assert invoked.returncode == 1 and invoked.stderr.splitlines()[-1] == refused(own)


def test_a_local_json_no_cloud_ever_locked_is_stale_too(tmp_path: Path) -> None:
    _write_local_json(tmp_path)
    result = vcn("token", "--user", "analyst-de", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"error: no local cloud is running for state dir {tmp_path} (stale local.json: nothing holds "
        f"{tmp_path / 'local.lock'}); start one with `vcn local up`, which replaces it\n"
    )


def test_local_up_names_the_cloud_already_running_on_its_state_dir_before_checking_ports(
    fake_cloud: Path,
) -> None:
    before = (fake_cloud / "local.json").read_text()
    with busy_port() as port:
        result = vcn("local", "up", "--state-dir", str(fake_cloud), "--api-port", str(port), cwd=Path.cwd())
    assert result.returncode == 1
    assert result.stderr == (
        f"error: a local cloud is already running on state dir {fake_cloud} (pid {os.getpid()}, started "
        f"{_started(fake_cloud)}), listening on API http://127.0.0.1:4999, "
        "EventBridge http://127.0.0.1:4998, "
        f"AppSync http://127.0.0.1:4997/event; use it, stop it first (Ctrl-C in its terminal, or "
        f"`kill {os.getpid()}`), or start another with its own --state-dir and --port-base\n"
    )
    assert (fake_cloud / "local.json").read_text() == before


def _started(state_dir: Path) -> str:
    from vcn.local.state_lock import recorded_owner

    owner = recorded_owner(state_dir)
    assert owner is not None
    return owner.started
