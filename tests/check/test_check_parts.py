"""The parts of `vcn check` that know AWS: connection auth modes, schedules, IAM matching, references and
secrets of the template view, hostile values, the traffic profile and the price list."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from vcn.check.adversarial import MISSING, hostile_replacements
from vcn.check.api_keys import DAY, interval_of
from vcn.check.iam import action_matches, arn_matches, is_write
from vcn.check.paths import abbreviated, unlike_ordinary
from vcn.check.pricing import load_prices
from vcn.check.routes import connection_modes
from vcn.check.traffic import TrafficError, parse_traffic, read_traffic
from vcn.eventbridge.model import Connection
from vcn.template.view import attribute_references

ROOT = Path(__file__).resolve().parents[2]


def connection(kind: str, header: str = "x-api-key") -> Connection:
    parameters = {"ApiKeyAuthParameters": {"ApiKeyName": header, "ApiKeyValue": "k"}}
    return Connection("c", "arn", kind, parameters, None, "secret", 0.0, 0.0)


@pytest.mark.parametrize(
    ("kind", "header", "modes"),
    [
        ("API_KEY", "x-api-key", {"API_KEY"}),
        ("API_KEY", "X-Api-Key", {"API_KEY"}),
        ("API_KEY", "Authorization", {"AWS_LAMBDA", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS"}),
        ("API_KEY", "x-token", set()),
        ("OAUTH_CLIENT_CREDENTIALS", "", {"AWS_LAMBDA", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS"}),
        ("BASIC", "", {"AWS_LAMBDA"}),
    ],
)
def test_a_connection_satisfies_the_appsync_modes_its_header_carries(
    kind: str, header: str, modes: set[str]
) -> None:
    assert connection_modes(connection(kind, header)) == modes


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 day)", DAY),
        ("rate(5 minutes)", 300),
        ("rate(12 hours)", 12 * 3600),
        ("rate(30 days)", 30 * DAY),
        ("cron(0 3 * * ? *)", DAY),
        ("cron(0 3 ? * MON-FRI *)", 7 * DAY),
        ("cron(0 3 1 * ? *)", 31 * DAY),
        ("cron(0 3 1 JAN ? *)", 365 * DAY),
        ("at(2027-01-01T00:00:00)", None),
    ],
)
def test_a_schedule_expression_gives_its_longest_gap_between_runs(
    expression: str, seconds: float | None
) -> None:
    assert interval_of(expression) == seconds


def test_iam_actions_match_case_insensitively_with_wildcards() -> None:
    assert action_matches("appsync:Update*", "appsync:UpdateApiKey")
    assert action_matches("APPSYNC:updateapikey", "appsync:UpdateApiKey")
    assert action_matches("*", "appsync:UpdateApiKey")
    assert not action_matches("appsync:Get*", "appsync:UpdateApiKey")


def test_iam_resources_match_with_wildcards() -> None:
    key = "arn:aws:appsync:us-east-1:1:apis/a1/apikeys/da2-x"
    assert arn_matches("arn:aws:appsync:us-east-1:1:apis/a1/apikeys/*", key)
    assert not arn_matches("arn:aws:appsync:us-east-1:1:apis/b2/apikeys/*", key)


@pytest.mark.parametrize(
    ("action", "write"),
    [
        ("s3:GetObject", False),
        ("dynamodb:Query", False),
        ("sqs:SendMessage", True),
        ("appsync:UpdateApiKey", True),
    ],
)
def test_an_action_is_a_write_unless_its_name_reads(action: str, write: bool) -> None:
    assert is_write(action) is write


def test_references_are_found_in_ref_getatt_and_sub() -> None:
    value = {
        "A": {"Ref": "Bus"},
        "B": {"Fn::GetAtt": ["Api", "Dns.Http"]},
        "C": {"Fn::GetAtt": "Key.ApiKey"},
        "D": {"Fn::Sub": "https://${Api.Dns.Http}/x/${Stage}/${!Literal}"},
        "E": {"Fn::Sub": ["${X}", {"X": {"Ref": "Y"}}]},
    }
    assert attribute_references(value) == {
        ("Bus", None),
        ("Api", "Dns.Http"),
        ("Key", "ApiKey"),
        ("Stage", None),
        ("X", None),
        ("Y", None),
    }


def test_hostile_replacements_come_simplest_first_and_include_every_kind_of_breakage() -> None:
    replacements = list(hostile_replacements("DE"))
    assert replacements[0] is MISSING
    assert replacements.index('"') < replacements.index({"value": '"'})
    for expected in ('D"E', "D\\E", "D/E", "D\nE", "\ud800", "", "x" * 51, ["DE", '"'], {"value": "DE"}):
        assert expected in replacements, expected
    assert any(isinstance(r, float) and math.isnan(r) for r in replacements)
    assert any(isinstance(r, str) and len(r) > 240 * 1024 for r in replacements)


def test_a_counterexample_names_how_it_differs_from_the_nearest_ordinary_detail() -> None:
    ordinary = ({"a": "1", "b": "2"}, {"a": "1", "b": "2", "c": "3"})
    assert unlike_ordinary({"a": "1"}, ordinary) == "detail.b left out"
    assert unlike_ordinary({"a": "1", "b": 2}, ordinary) == "detail.b = 2"
    assert unlike_ordinary({"a": "1", "b": "2", "c": "4"}, ordinary) == 'detail.c = "4"'
    assert unlike_ordinary({"a": "1", "b": "2"}, ordinary) is None


def test_long_strings_are_cut_in_counterexamples() -> None:
    assert abbreviated({"a": ["x" * 500]}) == {"a": ["x" * 40 + "…(500 characters)"]}


def test_every_price_and_quota_names_its_source_and_the_list_its_date() -> None:
    prices = load_prices()
    assert prices.recorded and prices.region == "us-east-1"
    sources = [entry.source for entry in prices.prices.values()]
    sources += [entry.source for entry in prices.quotas.values()]
    for source in sources:
        assert source.startswith(("https://docs.aws.amazon.com/", "https://aws.amazon.com/"))
    assert prices.price("appsync_event_operations").cost(2_000_000) == pytest.approx(2.0)


def test_the_example_traffic_profile_reads() -> None:
    profile = read_traffic(ROOT / "traffic.yaml")
    assert sum(profile.events_per_day.values()) == 50_000
    assert profile.load_of("HistoryRecorderFunction").write_units == 4
    assert profile.load_of("SomeOtherFunction").duration_ms == 100


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "a traffic profile is a YAML mapping"),
        ({"events": {}}, "events.per_day is required"),
        ({"events": {"per_day": {"A": "many"}}}, "events.per_day.A must be a number, got 'many'"),
        ({"events": {"per_day": {"A": -1}}}, "events.per_day.A must be zero or more"),
        ({"events": {"per_day": {}, "peak_factor": 0}}, "events.peak_factor must be positive"),
        ({"events": {"per_day": {}}, "clients": {"channels": [1]}}, "clients.channels must be a mapping"),
        ({"events": {"per_day": {}}, "functions": {"F": {"memory": 1}}}, "functions.F has unknown keys"),
    ],
)
def test_a_traffic_mistake_names_its_key(document: object, message: str) -> None:
    with pytest.raises(TrafficError, match=re.escape(message)):
        parse_traffic(document)


def test_a_traffic_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "traffic.yaml"
    path.write_text("events: [unclosed")
    with pytest.raises(TrafficError, match=r"traffic\.yaml is not YAML"):
        read_traffic(path)
