"""Recovering 1,000 missed notifications end to end, on `vcn local up`, beside a raw read of the same history.

    .venv/bin/python -m bench.recovery_bench [--missed 1000] [--rounds 3] [--store auto|moto]
                                             [--fill seed|publish]

A subscriber (the Python client, `subscribe_with_recovery`, bearer token) listens on a channel of its own
through a TCP proxy. Each round the proxy cuts it off, 1,000 notifications land in the history of its
channel, and once the history serves them all the proxy lets the subscriber back. How they land:
`--fill seed` (default) writes them into the table with the recorder's own item layout (BatchWriteItem);
`--fill publish` publishes them to AppSync (HTTP, API key, five per request) and the recorder writes them,
which on moto takes minutes for 1,000 (moto copies the whole table on every TransactWriteItems) and, on a
loaded machine, runs into the recorder's 10 s timeout. Recording is not what this bench measures.
Measured, on this machine's monotonic clock:
- recovery: from the re-subscription the service confirmed to the 1,000th missed notification delivered
  (the history pages read through the HTTP API and its JWT authorizer, merged, in order);
- the same from the moment the proxy let it back (adds the client's reconnect backoff and handshake);
- baseline, same round: a raw read of the same 1,000 (aiohttp GETs of the pages, no client logic).
The history's store: the local cloud's own DynamoDB when local.json names one (`--store auto`), else moto's
server wired in with --env-vars (`--store moto` forces it). Target: recovery <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
TARGET_SECONDS = 1.0
HISTORY_TABLE = "NotificationHistoryTable"  # the name the template's table has locally
SETTLE_SECONDS = 2.0


async def publish_all(
    client: Any, channel: str, notifications: list[dict[str, Any]], parallel: int = 8
) -> None:
    batches = [notifications[i : i + 5] for i in range(0, len(notifications), 5)]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def worker() -> None:
        while not queue.empty():
            result = await client.publish_http(channel, queue.get_nowait())
            assert result.ok, result.failed

    await asyncio.gather(*(worker() for _ in range(parallel)))


async def raw_read(session: Any, api: str, token: str, channel: str, after: str | None) -> list[str]:
    """The pages after `after`, as plain HTTP: the floor any client pays for the same history."""
    ids: list[str] = []
    while True:
        params = {"channel": channel, "limit": "100", **({"after": after} if after else {})}
        async with session.get(
            f"{api}/notifications", params=params, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        ids += [item["eventId"] for item in page["items"]]
        after = page["nextCursor"]
        if after is None:
            return ids


def recorded(dynamodb: Any, channel: str) -> int:
    """How many notifications the recorder has written on `channel` (one cheap Query, not the API's pages)."""
    return int(
        dynamodb.query(
            TableName=HISTORY_TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CHANNEL#{channel}"}},
            Select="COUNT",
        )["Count"]
    )


async def wait_recorded(dynamodb: Any, channel: str, count: int, timeout: float = 600) -> float:
    """Seconds until all `count` are recorded, plus the history's settle time (so every page serves them)."""
    started = time.monotonic()
    while await asyncio.to_thread(recorded, dynamodb, channel) < count:
        assert time.monotonic() - started < timeout, (
            "the recorder did not record every notification published"
        )
        await asyncio.sleep(0.5)
    took = time.monotonic() - started
    await asyncio.sleep(SETTLE_SECONDS + 0.5)
    return took


def seed(dynamodb: Any, channel: str, notifications: list[dict[str, Any]]) -> None:
    """Write them as the recorder would have, recorded a microsecond apart from now on."""
    from adapters.dynamodb_history import notification_item
    from vehicle_config.history.ports import HistoryEntry
    from vehicle_config.history.positions import Position

    now = time.time_ns() // 1000
    items = [
        notification_item(
            HistoryEntry(channel, Position(now + n, payload["eventId"]), json.dumps(payload), 2**31)
        )
        for n, payload in enumerate(notifications)
    ]
    for first in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        answer = dynamodb.batch_write_item(RequestItems={HISTORY_TABLE: batch})
        assert not answer.get("UnprocessedItems"), answer


def fresh_table(dynamodb: Any) -> None:
    """An empty history table for the round: moto copies the whole table on every TransactWriteItems, so
    recording slows down as it grows (recording is not what this bench measures)."""
    from tests.support.dynamodb import create_table_request, template_table

    dynamodb.delete_table(TableName=HISTORY_TABLE)
    dynamodb.get_waiter("table_not_exists").wait(TableName=HISTORY_TABLE)
    dynamodb.create_table(**create_table_request(template_table(), HISTORY_TABLE))
    dynamodb.get_waiter("table_exists").wait(TableName=HISTORY_TABLE)


async def run(cloud: Any, missed: int, rounds: int, fill: str) -> list[dict[str, float]]:
    import aiohttp
    import boto3
    from appsync_events_client import (
        ApiKeyAuth,
        EventsClient,
        HttpHistorySource,
        ReconnectPolicy,
        Since,
        TokenAuth,
        subscribe_with_recovery,
    )

    from tests.support.history_rig import notification
    from tests.support.tcp_proxy import tcp_proxy

    info = cloud.info
    api, realtime = info["api"], info["appsync"]["realtime"]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=info["historyEndpoint"],
        region_name=info["region"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    token = cloud.token("analyst-de")
    publisher = EventsClient(info["appsync"]["http"], None, ApiKeyAuth(info["appsync"]["apiKey"]))
    results = []
    with tcp_proxy(realtime) as proxy:
        subscriber = EventsClient(
            info["appsync"]["http"],
            proxy.url_for(realtime),
            TokenAuth(token),
            reconnect=ReconnectPolicy(initial_delay=0.05, max_delay=0.2),
        )
        async with (
            publisher,
            aiohttp.ClientSession() as session,
            subscriber.connect() as connection,
            HttpHistorySource(api, token) as history,
        ):
            for round_number in range(rounds + 1):  # round 0 warms the workers up and is not counted
                count = missed if round_number else 20
                await asyncio.to_thread(fresh_table, dynamodb)
                channel = f"/markets/DE/B{uuid.uuid4().hex[:6].upper()}"
                events = await subscribe_with_recovery(connection, channel, history, Since.now())
                proxy.cut()
                while connection.connected:
                    await asyncio.sleep(0.01)
                sent = [notification(model_line=channel.rsplit("/", 1)[1]) for _ in range(count)]
                if fill == "publish":
                    await publish_all(publisher, channel, sent)
                else:
                    await asyncio.to_thread(seed, dynamodb, channel, sent)
                recording = await wait_recorded(dynamodb, channel, count)
                restored = time.monotonic()
                proxy.restore()
                received = [await events.get(60) for _ in range(count)]
                done = time.monotonic()
                assert sorted(e["eventId"] for e in received) == sorted(n["eventId"] for n in sent)
                resubscribed = events.subscription.resubscribed_at
                assert resubscribed is not None
                started = time.monotonic()
                raw = await raw_read(session, api, token, channel, None)
                baseline = time.monotonic() - started
                assert len(raw) == count
                await events.unsubscribe()
                if round_number:
                    results.append(
                        {
                            "recovery": done - resubscribed,
                            "from restore": done - restored,
                            "baseline": baseline,
                        }
                    )
                    print(
                        f"round {round_number}: recovery {done - resubscribed:.3f} s, from restore "
                        f"{done - restored:.3f} s, raw read {baseline:.3f} s (recorded in {recording:.1f} s)",
                        flush=True,
                    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missed", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", choices=("auto", "moto"), default="auto")
    parser.add_argument("--fill", choices=("seed", "publish"), default="seed")
    args = parser.parse_args()
    sys.path.insert(0, str(FUNCTIONS))
    from tests.support.history_cloud import cloud_with_history

    with (
        tempfile.TemporaryDirectory() as folder,
        cloud_with_history(Path(folder) / "state", prefer_local_dynamodb=args.store == "auto") as cloud,
    ):
        print(f"history store: {cloud.info['historyStore']}; missed notifications: {args.fill}", flush=True)
        try:
            results = asyncio.run(run(cloud, args.missed, args.rounds, args.fill))
        except BaseException:
            kept = Path(tempfile.gettempdir()) / "recovery-bench-cloud.log"
            kept.write_text(cloud.log_path.read_text(errors="replace"))
            print(f"the local cloud's log is kept in {kept}", file=sys.stderr)
            raise
    print(f"\nRecovering {args.missed:,} missed notifications ({args.rounds} rounds), seconds")
    print(f"{'measurement':44} {'median':>8} {'max':>8} {'x baseline':>11}")
    base = statistics.median(r["baseline"] for r in results)
    rows = [
        ("baseline: raw GET of the same pages", "baseline"),
        ("recovery: re-subscribed -> last delivered", "recovery"),
        ("recovery: link restored -> last delivered", "from restore"),
    ]
    for label, key in rows:
        values = [r[key] for r in results]
        median = statistics.median(values)
        print(f"{label:44} {median:8.3f} {max(values):8.3f} {median / base:11.2f}")
    worst = max(r["recovery"] for r in results)
    verdict = "met" if worst <= TARGET_SECONDS else "NOT met"
    print(f"target recovery <= {TARGET_SECONDS:g} s: {verdict} ({worst:.3f} s max)")


if __name__ == "__main__":
    main()
