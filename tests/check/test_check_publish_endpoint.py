"""An API destination must be an AppSync Events API's publish endpoint, `POST https://<Dns.Http>/event`, to
be checked as one: an endpoint built from the API's attributes that is anything else fails naming the fix;
one of another host is not proven (a note), and a dead end for events clients read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import SHOP_TEMPLATE, Change, check, failure, resources, seeded_copy
from tests.check.shop_profile import order_shipped, shop_profile
from vcn.check.contribution import CheckContribution
from vcn.check.runner import CheckReport
from vcn.local.profile import AppProfile

DESTINATION = "PublishDestination"
FIX = 'set InvocationEndpoint to !Sub "https://${EventsApi.Dns.Http}/event" and HttpMethod to POST'


def destination(document: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = resources(document)[DESTINATION]["Properties"]
    return properties


def endpoint(value: Any) -> Change:
    return lambda document: destination(document).update(InvocationEndpoint=value)


def seeded(tmp_path: Path, change: Change, profile: AppProfile | None = None) -> CheckReport:
    return check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", change), profile or shop_profile())


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param(
            endpoint({"Fn::Sub": "https://${EventsApi.Dns.Http}/events"}),
            "its InvocationEndpoint https://${EventsApi.Dns.Http}/events names AppSync API EventsApi but is "
            "not its publish endpoint: "
            "AppSync Events takes a publish only at POST /event on the Dns.Http host",
            id="path",
        ),
        pytest.param(
            endpoint({"Fn::Sub": "https://${EventsApi.Dns.Realtime}/event"}),
            "its InvocationEndpoint https://${EventsApi.Dns.Realtime}/event names AppSync API EventsApi but "
            "is not its publish endpoint: Dns.Realtime is the WebSocket host, which takes no HTTP publish",
            id="realtime-host",
        ),
        pytest.param(
            lambda document: destination(document).update(HttpMethod="PUT"),
            "HttpMethod PUT: AppSync Events takes a publish only as POST /event",
            id="method",
        ),
    ],
)
def test_an_endpoint_of_the_api_that_is_not_its_publish_endpoint_fails(
    tmp_path: Path, change: Change, why: str
) -> None:
    report = seeded(tmp_path, change)
    found = failure(report, "targets", DESTINATION)
    assert found.problem.startswith(why), found.problem
    assert found.problem.endswith("AppSync refuses every event sent there and no subscriber receives it")
    assert found.hint == FIX
    # nothing publishes the shop's orders any more, which its clients read
    assert "its clients never receive it" in failure(report, "dead-end", "OrdersBus").problem


def test_another_host_is_noted_as_not_checked_and_a_dead_end_for_what_clients_read(tmp_path: Path) -> None:
    report = seeded(tmp_path, endpoint("https://example.com/event"))
    assert report.results.failures("targets") == []
    notes = [note.text for note in report.results.notes if note.check == "targets"]
    assert notes == [
        "not checked: PublishDestination calls https://example.com/event, which is not an AppSync Events "
        "publish endpoint of this template: what it does with an event is not proven"
    ]
    found = failure(report, "dead-end", "OrdersBus")
    assert found.problem == (
        "no rule on bus orders publishes an ordinary OrderShipped (source shop.orders) to AppSync Events: "
        "its clients never receive it"
    )


def test_another_http_api_for_events_no_client_reads_passes_with_the_note(tmp_path: Path) -> None:
    work = replace(order_shipped(), fields_read=None)
    profile = AppProfile(name="shop", check=lambda: CheckContribution(event_kinds=(work,)))
    report = seeded(tmp_path, endpoint("https://example.com/orders"), profile)
    assert report.passed, report.results.findings
    assert [note.check for note in report.results.notes] == ["targets"]
