"""`python -m vcn.eventbridge` alone: serves boto3; on SIGTERM it dead-letters deliveries still pending."""

from __future__ import annotations

import gc
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.eventbridge import LoopThread, Reply, Sink, events_client
from vcn.eventbridge.dlq import DeadLetterStore


def test_sigterm_dead_letters_pending_deliveries(tmp_path: Path) -> None:
    loop = LoopThread()
    sink = Sink()
    loop.run(sink.start())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vcn.eventbridge",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
            "--grace-seconds",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"(http://\S+)", process.stdout.readline())
        assert match is not None
        events = events_client(match.group(1))
        connection = events.create_connection(
            Name="c",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}},
        )["ConnectionArn"]
        destination = events.create_api_destination(
            Name="d", ConnectionArn=connection, InvocationEndpoint=sink.url + "/in", HttpMethod="POST"
        )["ApiDestinationArn"]
        events.put_rule(Name="r", EventPattern=json.dumps({"source": ["standalone"]}))
        dlq = {"Arn": "arn:aws:sqs:us-east-1:000000000000:standalone-dlq"}
        events.put_targets(Rule="r", Targets=[{"Id": "d", "Arn": destination, "DeadLetterConfig": dlq}])
        sink.script(Reply(delay=5.0))
        event_id = events.put_events(Entries=[{"Source": "standalone", "DetailType": "t", "Detail": "{}"}])[
            "Entries"
        ][0]["EventId"]
        loop.run(sink.wait_for(1))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "1 pending deliveries went to dead-letter queues" in output
        [message] = DeadLetterStore(tmp_path).list("standalone-dlq")
        assert message.attributes["ERROR_CODE"] == "LocalCloudShutdown"
        assert json.loads(message.body)["id"] == event_id
    finally:
        if process.poll() is None:
            process.kill()
        loop.run(sink.stop())
        loop.close()


def test_startup_heap_is_frozen_out_of_full_collections() -> None:
    from vcn.heap import freeze_startup_heap

    gc.unfreeze()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert gc.collect() >= 0  # collections still run on what is created afterwards
    finally:
        gc.unfreeze()
