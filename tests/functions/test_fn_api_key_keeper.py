"""The API key keeper: the lifetime policy over an in-memory port, and the handler against the local AppSync
control plane through boto3 (the real adapter), with its metric and its failure."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from key_keeper.lifetime import DAY, HOUR, MAX_LIFETIME_SECONDS, keep_keys, longest_expiry

from tests.support.appsync_server import API_KEY, api_config
from tests.support.eventbridge import LoopThread
from tests.support.fakes import InMemoryApiKeys
from tests.support.lambda_functions import FakeLambdaContext
from vcn.appsync.config import ApiKey
from vcn.appsync.server import AppSyncEventsServer

NOW = 1_800_000_000.0  # a fixed clock: 2027-01-15T08:00:00Z


def test_the_longest_expiry_is_under_365_days_on_a_whole_hour() -> None:
    for now in (NOW, NOW + 1, NOW + 59, NOW + 61, NOW + HOUR - 1):
        expires = longest_expiry(now)
        assert expires % HOUR == 0
        assert now + MAX_LIFETIME_SECONDS - HOUR - 60 < expires <= now + MAX_LIFETIME_SECONDS - 60


def test_every_short_key_is_extended_and_a_kept_one_left_alone() -> None:
    target = longest_expiry(NOW)
    keys = InMemoryApiKeys({"da2-short": int(NOW) + 6 * DAY, "da2-full": target})
    kept = {k.key.key_id: k for k in keep_keys(keys, NOW)}
    assert keys.extended == [("da2-short", target)]
    assert kept["da2-short"].extended and kept["da2-short"].days_left > 364
    assert not kept["da2-full"].extended and kept["da2-full"].failure is None


def test_a_key_that_cannot_be_extended_is_reported_and_the_others_still_are() -> None:
    keys = InMemoryApiKeys({"da2-gone": int(NOW) - DAY, "da2-ok": int(NOW) + DAY}, refusing={"da2-gone"})
    kept = {k.key.key_id: k for k in keep_keys(keys, NOW)}
    assert kept["da2-gone"].failure == "NotFoundException: API key not found."
    assert kept["da2-gone"].days_left == -1.0
    assert kept["da2-ok"].extended


def test_logs_show_only_the_last_four_characters_of_a_key() -> None:
    (kept,) = keep_keys(InMemoryApiKeys({"da2-abcdefghijklmnop": int(NOW)}), NOW)
    assert kept.key.hint == "...mnop"


# ---- the handler against the local AppSync control plane


@pytest.fixture
def control_plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppSyncEventsServer]:
    loop = LoopThread()
    server = AppSyncEventsServer(api_config(api_keys=(ApiKey("Key", API_KEY),)), None, state_dir=tmp_path)
    loop.run(server.start())
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPSYNC", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    try:
        yield server
    finally:
        loop.run(server.stop())
        loop.close()


def emitted_metrics(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def values(metric: Any) -> list[float]:
    """An EMF metric's values (Powertools writes one or several as a list)."""
    return metric if isinstance(metric, list) else [metric]


def test_the_handler_extends_the_key_and_reports_its_days_left(
    control_plane: AppSyncEventsServer, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from handlers import api_key_keeper

    api_key_keeper.api_keys.cache_clear()
    assert os.environ["EVENTS_API_ID"] == control_plane.config.api_id
    reply = api_key_keeper.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context)
    (key,) = reply["keys"]
    assert key["key"] == "..." + API_KEY[-4:] and API_KEY not in json.dumps(reply)
    assert key["expires"] == longest_expiry(time.time()) and key["daysLeft"] > 364
    record = control_plane.api_keys.valid(API_KEY)
    assert record is not None and record.expires == key["expires"]
    (metrics,) = emitted_metrics(capsys.readouterr().out)
    assert values(metrics["ApiKeyDaysLeft"]) == [key["daysLeft"]]
    assert (
        metrics["ApiId"] == control_plane.config.api_id
        and metrics["service"] == "vehicle-config-notifications"
    )


def test_the_handler_fails_when_a_key_is_refused_but_still_reports_it(
    control_plane: AppSyncEventsServer,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from handlers import api_key_keeper

    api_key_keeper.api_keys.cache_clear()
    monkeypatch.setattr(
        api_key_keeper, "time", type("Later", (), {"time": staticmethod(lambda: time.time() - 2 * DAY)})
    )
    # A keeper whose clock runs two days ahead asks for 367 days: refused, as AppSync refuses it.
    monkeypatch.setattr(
        api_key_keeper, "time", type("Ahead", (), {"time": staticmethod(lambda: time.time() + 2 * DAY)})
    )
    with pytest.raises(api_key_keeper.KeysNotKept, match="ApiKeyValidityOutOfBoundsException"):
        api_key_keeper.handler({}, lambda_context)
    (metrics,) = emitted_metrics(capsys.readouterr().out)
    # Reported from the key as it stands (AWS's 7 days), as seen from the keeper's clock two days ahead.
    (days_left,) = values(metrics["ApiKeyDaysLeft"])
    assert 4 < days_left < 6
