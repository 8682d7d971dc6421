"""Property: whatever body reaches PutEvents (arbitrary JSON-ish documents, broken JSON, NaN, huge numbers,
lone surrogates, deep nesting, wrong types), the answer is never a 5xx, and exactly the events it returned an
EventId for (on an existing bus) are delivered, each once: a refused request or entry delivers nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.eventbridge import Cloud, cloud_factory, rule_to, sink_destination

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # NaN and infinities included: json.dumps writes them as NaN / Infinity
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
tricky_details = st.sampled_from(
    [
        '{"a": "cfg-\\ud800"}',
        '{"a": "\\udc00x"}',
        '{"a": "\\ud83d\\ude00"}',
        '{"a": 1e400}',
        '{"a": NaN}',
        '{"a": -Infinity}',
        '{"a": ' * 150 + "1" + "}" * 150,
        '{"a": ' * 100 + "1" + "}" * 100,
        "[" * 3000,
        '{"a": 1',
        "",
        "null",
    ]
)
details = st.one_of(
    st.dictionaries(st.text(max_size=6), json_values, max_size=4).map(lambda d: json.dumps(d)),
    tricky_details,
    st.text(max_size=20),
    json_values,
)
times = st.one_of(
    st.none(),
    st.sampled_from([1_700_000_000, 1e300, -1e300, "yesterday", "2025-03-04T05:06:07Z", "1e300", True]),
    json_values,
)


@st.composite
def entries(draw: st.DrawFn) -> Any:
    entry: dict[str, Any] = {
        "Source": draw(st.one_of(st.just("prop.test"), json_values)),
        "DetailType": draw(st.one_of(st.just("Prop"), json_values)),
        "Detail": draw(details),
    }
    for name, values in (
        ("Time", times),
        ("EventBusName", st.sampled_from([None, "default", "no-such-bus"])),
        ("Resources", st.one_of(st.none(), st.lists(st.text(max_size=8), max_size=3), json_values)),
    ):
        value = draw(values)
        if value is not None:
            entry[name] = value
    return entry


bodies = st.one_of(
    st.lists(entries(), max_size=11).map(lambda items: json.dumps({"Entries": items})),
    json_values.map(lambda value: json.dumps({"Entries": value})),
    json_values.map(json.dumps),
    st.text(max_size=40),
    st.binary(max_size=40),
)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    for factory in cloud_factory():
        cloud = factory(tmp_path)
        # Every event has version "0": one rule receives everything put on the default bus.
        rule_to(cloud, {"Id": "sink", "Arn": sink_destination(cloud)}, pattern={"version": ["0"]})
        yield cloud


def _expected_deliveries(body: str | bytes, answer: dict[str, Any]) -> list[str]:
    """EventIds of the accepted entries that went to the default bus."""
    sent = json.loads(body)["Entries"]
    return [
        result["EventId"]
        for entry, result in zip(sent, answer["Entries"], strict=True)
        if "EventId" in result and entry.get("EventBusName") in (None, "default")
    ]


def test_put_events_never_answers_5xx_and_delivers_exactly_what_it_accepted(cloud: Cloud) -> None:
    expected: list[str] = []
    statuses: set[int] = set()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies)
    def put(body: str | bytes) -> None:
        response = requests.post(
            cloud.url,
            data=body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body,
            headers={"X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": "application/x-amz-json-1.1"},
            timeout=30,
        )
        statuses.add(response.status_code)
        assert response.status_code < 500, response.text
        answer = response.json()
        if response.status_code == 200:
            assert answer["FailedEntryCount"] == sum("ErrorCode" in result for result in answer["Entries"])
            expected.extend(_expected_deliveries(body, answer))
        else:
            assert answer["__type"] in ("SerializationException", "ValidationException"), answer

    put()
    assert {200, 400} <= statuses
    assert expected, "some bodies must have been accepted"
    cloud.loop.run(cloud.sink.wait_for(len(expected), timeout=60))
    time.sleep(0.5)  # a duplicate or a late delivery of a refused event would show up now
    cloud.idle()
    assert sorted(request.json()["id"] for request in cloud.sink.received) == sorted(expected)
    assert cloud.service.dead_letters.list() == []
