"""`vcn history` and `vcn subscribe --since`, run as a user runs them, against a real history.

The state folder looks like a running local cloud's (its lock held, local.json written) and points at the
history rig: the local AppSync server recording through the real recorder into moto's DynamoDB, and the real
history API behind the JWT authorizer; `--user` tokens are minted with the folder's signing key, as locally.
The subscriber's realtime endpoint goes through a proxy the test can cut.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.dynamodb import LocalDynamoDb
from tests.support.event_api import run
from tests.support.history_rig import API_KEY, HistoryRig, notification, run_in_history_rig
from tests.support.local_cloud import ROOT
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.cli.channel_commands import subscriber_history_retry
from vcn.local.state import local_document, write_local_json
from vcn.local.state_lock import acquire_state_lock

VCN = [sys.executable, "-m", "vcn.cli.main"]
Scenario = Callable[[HistoryRig, Path], Awaitable[None]]


@pytest.fixture
def with_cloud(
    tmp_path: Path, dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Scenario], None]:
    def go(scenario: Scenario) -> None:
        state = tmp_path / "state"

        async def in_the_cloud_state_folder(rig: HistoryRig) -> None:
            with acquire_state_lock(state):
                appsync = {
                    "http": rig.appsync.http_url,
                    "realtime": rig.proxy.url_for(rig.appsync.realtime_url),
                    "apiKey": API_KEY,
                    "https": None,
                    "wss": None,
                }
                document = local_document(
                    region=LOCAL_ACCOUNT.region,
                    account=LOCAL_ACCOUNT.account_id,
                    eventbridge="http://127.0.0.1:9",
                    bus_name="vehicle-config",
                    appsync=appsync,
                    api=rig.api.url,
                )
                write_local_json(state, document)
                await scenario(rig, state)

        run_in_history_rig(state, dynamodb, monkeypatch, in_the_cloud_state_folder, timeout=110)

    return go


async def vcn(state: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `vcn <args> --state-dir <state>`; exit code, stdout as JSON lines, stderr."""
    process = await asyncio.create_subprocess_exec(
        *VCN, *args, "--state-dir", str(state),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, [json.loads(line) for line in out.decode().splitlines()], err.decode()


def test_history_prints_a_channel_oldest_first_and_pages_to_the_end_with_all(
    with_cloud: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig, state: Path) -> None:
        sent = await rig.publish_recorded("/markets/DE/VELA", [notification() for _ in range(5)])
        await asyncio.sleep(2.2)  # settled: the history serves positions at least 2 s old

        code, items, err = await vcn(
            state, "history", "/markets/DE/*", "--user", "analyst-de", "--all", "--limit", "2"
        )
        assert code == 0, err
        assert [item["eventId"] for item in items] == sent
        assert all(item["channel"] == "/markets/DE/VELA" and item["cursor"] for item in items)

        code, page, err = await vcn(state, "history", "/markets/DE/*", "--user", "analyst-de", "--limit", "2")
        assert code == 0 and [item["eventId"] for item in page] == sent[:2]
        assert f"--after {page[1]['cursor']}" in err  # how to go on

        code, rest, err = await vcn(
            state, "history", "/markets/DE/VELA", "--user", "analyst-de", "--after", page[1]["cursor"]
        )
        assert code == 0 and [item["eventId"] for item in rest] == sent[2:], err

        code, recent, err = await vcn(
            state, "history", "/markets/DE/*", "--user", "analyst-de", "--since", "1h"
        )
        assert code == 0 and len(recent) == 5, err

    with_cloud(scenario)


def test_history_errors_are_one_line_naming_what_to_fix(with_cloud: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig, state: Path) -> None:
        cases = [
            (["/markets/US/*", "--user", "analyst-de"], "You may not read /markets/US/*"),
            (
                ["/markets/DE/*", "--user", "analyst-de", "--after", "garbage"],
                "fix after: after is not a cursor this service handed out",
            ),
            (
                ["/markets/DE/*", "--user", "analyst-de", "--since", "99999d"],
                "--since: a duration must be at most 999999999 seconds (about 31 years), got 8639913600",
            ),
            (["/markets/DE/*", "--token", "not-a-jwt"], "the token was refused"),
            (["/markets/DE/*", "--user", "analyst-de", "--limit", "500"], "--limit must be from 1 to 100"),
            (["/markets/DE/*", "--user", "analyst-de", "--since", "soon"], "--since: 'soon' is not a start"),
            (["/markets/DE/*"], "say who you are"),
        ]
        for args, message in cases:
            code, out, err = await vcn(state, "history", *args)
            assert (code, out) == (1, []), args
            assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1, err

    with_cloud(scenario)


def test_subscribe_since_prints_the_history_then_what_a_reconnect_missed_then_live_ones(
    with_cloud: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig, state: Path) -> None:
        earlier = await rig.publish_recorded("/markets/DE/VELA", [notification() for _ in range(2)])
        subscriber = await asyncio.create_subprocess_exec(
            *VCN, "subscribe", "/markets/DE/*", "--user", "analyst-de", "--since", "all", "--count", "7",
            "--state-dir", str(state),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert subscriber.stdout is not None and subscriber.stderr is not None
        line = await asyncio.wait_for(subscriber.stderr.readline(), 30)
        assert line.decode().startswith("subscribed to /markets/DE/*"), line
        printed = [json.loads(await asyncio.wait_for(subscriber.stdout.readline(), 20)) for _ in range(2)]
        assert [n["eventId"] for n in printed] == earlier
        await asyncio.sleep(3.5)  # the settle read after subscribing is done: the cursor is positioned

        missed = await rig.publish_while_cut_off(
            "/markets/DE/NOVA",
            [notification(model_line="NOVA") for _ in range(3)],
            cut_noticed=lambda: rig.proxy.refused > 0,
            what="the subscriber to try reconnecting",
        )
        printed += [json.loads(await asyncio.wait_for(subscriber.stdout.readline(), 30)) for _ in range(3)]
        live = await rig.publish("/markets/DE/VELA", [notification() for _ in range(2)])
        out, err = await asyncio.wait_for(subscriber.communicate(), 30)
        printed += [json.loads(line) for line in out.decode().splitlines()]
        assert subscriber.returncode == 0, err
        assert [n["eventId"] for n in printed] == earlier + missed + live
        assert "reconnected: 3 events on /markets/DE/* arrived while disconnected" in err.decode()
        assert "--since M" in err.decode()  # where to go on from

    with_cloud(scenario)


def test_subscribe_stopped_by_sigterm_says_where_to_resume_and_resuming_repeats_no_live_event(
    with_cloud: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig, state: Path) -> None:
        channel = "/markets/DE/SIGTERM"
        earlier = await rig.publish_recorded(channel, [notification()])
        subscriber = await asyncio.create_subprocess_exec(
            *VCN, "subscribe", channel, "--user", "analyst-de", "--since", "all", "--state-dir", str(state),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert subscriber.stdout is not None and subscriber.stderr is not None
        line = await asyncio.wait_for(subscriber.stderr.readline(), 30)
        assert line.decode().startswith(f"subscribed to {channel}"), line
        printed = [json.loads(await asyncio.wait_for(subscriber.stdout.readline(), 20))]
        assert [n["eventId"] for n in printed] == earlier
        live = await rig.publish(channel, [notification() for _ in range(2)])
        printed = [json.loads(await asyncio.wait_for(subscriber.stdout.readline(), 20)) for _ in range(2)]
        assert [n["eventId"] for n in printed] == live
        subscriber.terminate()  # SIGTERM, as `kill` or a process manager stops it
        _, err = await asyncio.wait_for(subscriber.communicate(), 30)
        assert subscriber.returncode == 143, err
        (advice,) = [text for text in err.decode().splitlines() if "--since" in text]
        cursor = advice.rsplit(" ", 1)[-1]

        later = await rig.publish_recorded(channel, [notification()])
        code, out, err_text = await vcn(
            state, "subscribe", channel, "--user", "analyst-de", "--since", cursor, "--count", "1"
        )
        assert code == 0, err_text
        assert [n["eventId"] for n in out] == later  # not the two live ones

    with_cloud(scenario)


def test_subscribe_since_refuses_a_start_it_cannot_read(with_cloud: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig, state: Path) -> None:
        code, _, err = await vcn(
            state, "subscribe", "/markets/DE/*", "--user", "analyst-de", "--since", "10x"
        )
        assert code == 1 and "error: --since: '10x' is not a start" in err

        # A cursor of the right shape whose check the service refuses: the refusal, and no advice to resume
        # from that same cursor.
        await rig.publish_recorded("/markets/DE/VELA", [notification()])
        await asyncio.sleep(2.2)  # settled: the history serves positions at least 2 s old
        code, items, err = await vcn(state, "history", "/markets/DE/*", "--user", "analyst-de")
        assert code == 0 and len(items) == 1, err
        edited = items[0]["cursor"][:-2] + ("AA" if not items[0]["cursor"].endswith("AA") else "BB")
        code, _, err = await vcn(
            state, "subscribe", "/markets/DE/*", "--user", "analyst-de", "--since", edited
        )
        assert code == 1 and "after is not a cursor this service handed out" in err, err
        assert "--since" not in err, err

    with_cloud(scenario)


def test_commands_end_quietly_when_their_reader_stops_or_their_count_is_reached(
    with_cloud: Callable[[Scenario], None],
) -> None:
    """`| head -1` closes the pipe while `vcn` still writes: no traceback, the status of a program ended by
    SIGPIPE. `--count` ends a recovering subscription without a history read failing on the way out."""

    async def scenario(rig: HistoryRig, state: Path) -> None:
        # more than a page (100): the subscriber is still reading its history when it has printed two
        await rig.publish_recorded("/markets/DE/VELA", [notification() for _ in range(120)])
        await asyncio.sleep(2.2)  # settled: the history serves positions at least 2 s old
        vcn_line = " ".join([*VCN, "{}", "/markets/DE/*", "--user", "analyst-de", "--state-dir", str(state)])
        for command in ("history --all --limit 1", "subscribe --since all"):
            shell = await asyncio.create_subprocess_exec(
                "bash", "-c", f"set -o pipefail; {vcn_line.format(command)} | head -1",
                cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            ended = asyncio.ensure_future(shell.communicate())
            for _ in range(100):  # live ones too, so the subscriber writes again after `head` is gone
                if ended.done():
                    break
                await rig.publish("/markets/DE/VELA", [notification()])
                await asyncio.sleep(0.3)
            out, said = (stream.decode() for stream in await asyncio.wait_for(ended, 60))
            assert len(out.splitlines()) == 1, command
            assert shell.returncode == 141, (command, said)  # 128 + SIGPIPE, from vcn
            assert "Traceback" not in said and "BrokenPipeError" not in said, said

        code, events, err = await vcn(
            state, "subscribe", "/markets/DE/*", "--user", "analyst-de", "--since", "all", "--count", "2"
        )
        assert code == 0 and len(events) == 2, err
        assert "unavailable" not in err and "Traceback" not in err, err

    with_cloud(scenario)


def test_a_project_without_a_history_offers_neither_command_nor_flag(tmp_path: Path) -> None:
    env = {**os.environ, "VCN_PROFILE": "none"}

    async def main() -> None:
        for args in (["history", "--help"], ["subscribe", "/a/b", "--since", "all"]):
            process = await asyncio.create_subprocess_exec(
                *VCN, *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            _, err = await process.communicate()
            assert process.returncode == 2, args
            assert (
                "invalid choice: 'history'" in err.decode()
                or "unrecognized arguments: --since" in err.decode()
            )

    run(main())


def test_a_subscriber_keeps_asking_an_unavailable_history_for_longer_than_a_restart_takes() -> None:
    """The shortest wait its retries can draw (half of each delay) still adds up to most of a minute; the
    client's default gives up after a few seconds, less than a local cloud's restart."""
    policy = subscriber_history_retry()
    assert policy.max_attempts is not None  # a history that stays down still ends the command, loudly
    waits = range(policy.max_attempts - 1)
    shortest = sum(min(policy.max_delay, policy.initial_delay * policy.multiplier**n) / 2 for n in waits)
    assert shortest >= 45, shortest
