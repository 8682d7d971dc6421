"""EventBridge publisher against a fake PutEvents client that fails chosen entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from adapters.event_publisher import EventBridgePublisher, PublishError
from vehicle_config.events import DomainEvent


class FakePutEventsClient:
    """Answers PutEvents like EventBridge; `fail(entry, attempt)` gives an entry's error code, or None."""

    def __init__(
        self, fail: Callable[[dict[str, Any], int], str | None] = lambda entry, attempt: None
    ) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.attempts: dict[str, int] = {}
        self._fail = fail

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        assert 1 <= len(Entries) <= 10, "PutEvents takes 1..10 entries"
        self.calls.append(Entries)
        results: list[dict[str, Any]] = []
        for entry in Entries:
            key = json.loads(entry["Detail"])["n"]
            attempt = self.attempts[key] = self.attempts.get(key, 0) + 1
            code = self._fail(entry, attempt)
            if code:
                results.append({"ErrorCode": code, "ErrorMessage": f"{code} for {key}"})
            else:
                results.append({"EventId": f"id-{key}"})
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def events(count: int) -> list[DomainEvent]:
    return [
        DomainEvent("vehicle-config.validation", "ConfigurationValidated", {"n": str(i)})
        for i in range(count)
    ]


def publisher(client: FakePutEventsClient, sleeps: list[float] | None = None) -> EventBridgePublisher:
    record = sleeps if sleeps is not None else []
    return EventBridgePublisher(
        "vehicle-config", client, max_attempts=4, base_delay_seconds=0.01, sleep=record.append
    )


def test_publishes_in_batches_of_ten_in_order() -> None:
    client = FakePutEventsClient()
    receipt = publisher(client).publish(events(23))
    assert [len(c) for c in client.calls] == [10, 10, 3]
    assert receipt.event_ids == tuple(f"id-{i}" for i in range(23))
    entry = client.calls[0][0]
    assert entry["Source"] == "vehicle-config.validation"
    assert entry["DetailType"] == "ConfigurationValidated"
    assert entry["EventBusName"] == "vehicle-config"
    assert json.loads(entry["Detail"]) == {"n": "0"}


def test_trace_header_comes_from_the_lambda_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FakePutEventsClient()
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    publisher(client).publish(events(1))
    assert "TraceHeader" not in client.calls[0][0]
    trace = "Root=1-6740f1a2-3c5e7d9b1f2a4c6e8b0d2f4a;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    publisher(client).publish(events(1))
    assert client.calls[1][0]["TraceHeader"] == trace


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalFailure"])
def test_transient_failures_are_retried_alone_with_backoff(code: str) -> None:
    def fail(entry: dict[str, Any], attempt: int) -> str | None:
        return code if json.loads(entry["Detail"])["n"] in {"3", "7"} and attempt < 3 else None

    client = FakePutEventsClient(fail)
    sleeps: list[float] = []
    receipt = publisher(client, sleeps).publish(events(12))
    assert [len(c) for c in client.calls] == [10, 2, 2, 2]
    assert [json.loads(e["Detail"])["n"] for e in client.calls[2]] == ["3", "7"]
    assert client.calls[3] == client.calls[2]
    assert receipt.event_ids == tuple(f"id-{i}" for i in range(12))
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] > 0


def test_other_failures_are_not_retried_and_raise_with_their_codes() -> None:
    def fail(entry: dict[str, Any], attempt: int) -> str | None:
        return {"2": "MalformedDetail", "5": "AccessDeniedException", "8": "ThrottlingException"}.get(
            json.loads(entry["Detail"])["n"]
        )

    client = FakePutEventsClient(fail)
    with pytest.raises(PublishError) as raised:
        publisher(client).publish(events(10))
    failed = {(f.index, f.error_code) for f in raised.value.failed}
    assert failed == {(2, "MalformedDetail"), (5, "AccessDeniedException"), (8, "ThrottlingException")}
    assert "MalformedDetail" in str(raised.value) and "AccessDeniedException" in str(raised.value)
    assert client.attempts["2"] == client.attempts["5"] == 1
    assert client.attempts["8"] == 4  # the throttled one was retried until attempts ran out


def test_nothing_to_publish_makes_no_call() -> None:
    client = FakePutEventsClient()
    assert publisher(client).publish([]).event_ids == ()
    assert client.calls == []
