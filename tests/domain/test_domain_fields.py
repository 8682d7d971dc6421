"""Field validation: client scalars, channel segments, the configuration and submission shapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vehicle_config.fields import InvalidFields, channel_segment, client_scalar
from vehicle_config.model import Configuration
from vehicle_config.submissions import MAX_BATCH_SIZE, InvalidBatch, parse_batch, parse_submission

SCALAR_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
SEGMENT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
VALID_BODY = {
    "configurationId": "cfg-1",
    "market": "DE",
    "modelLine": "VELA",
    "trim": "SPORT",
    "powertrain": "P20",
    "plant": "WOB",
    "options": ["ACC"],
}


@given(st.text(alphabet=SCALAR_ALPHABET, min_size=1, max_size=128))
def test_client_scalar_accepts_its_alphabet(value: str) -> None:
    assert client_scalar("configurationId", value) == value


@given(st.text(min_size=1, max_size=40), st.characters(blacklist_characters=SCALAR_ALPHABET))
def test_client_scalar_rejects_any_other_character(prefix: str, bad: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        client_scalar("partNumber", prefix + bad)
    assert raised.value.errors[0].field == "partNumber"


@given(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,48}[A-Za-z0-9])?", fullmatch=True))
def test_channel_segment_accepts_valid_segments(value: str) -> None:
    assert channel_segment("market", value) == value


@given(st.text(alphabet=SEGMENT_ALPHABET, max_size=60))
def test_channel_segment_rule(value: str) -> None:
    ok = 1 <= len(value) <= 50 and not value.startswith("-") and not value.endswith("-")
    if ok:
        assert channel_segment("plant", value) == value
    else:
        with pytest.raises(InvalidFields, match="plant"):
            channel_segment("plant", value)


@pytest.mark.parametrize("value", ["", "-DE", "DE-", "D E", "DE/FR", "a.b", "x" * 51, 'DE"', None, 7, ["DE"]])
def test_channel_segment_rejects(value: object) -> None:
    with pytest.raises(InvalidFields) as raised:
        channel_segment("market", value)
    assert raised.value.errors[0].field == "market"


@pytest.mark.parametrize("value", ['cfg"1', "cfg 1", "cfg/1", "", "x" * 129, 12])
def test_client_scalar_rejects(value: object) -> None:
    with pytest.raises(InvalidFields, match="configurationId"):
        client_scalar("configurationId", value)


def test_configuration_round_trips() -> None:
    configuration = Configuration.from_dict(VALID_BODY)
    assert configuration.priority == "NORMAL"
    assert Configuration.from_dict(configuration.to_dict()) == configuration


def test_configuration_lists_every_bad_field_at_once() -> None:
    body = {**VALID_BODY, "market": "D E", "plant": "-WOB", "options": ["ACC", 'X"Y'], "priority": "ASAP"}
    del body["trim"]
    with pytest.raises(InvalidFields) as raised:
        Configuration.from_dict(body)
    assert {e.field for e in raised.value.errors} == {"market", "plant", "options[1]", "priority", "trim"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID_BODY, "colour": "red"}, "colour"),
        ({**VALID_BODY, "submittedBy": "someone-else"}, "submittedBy"),
        ({**VALID_BODY, "options": "ACC"}, "options"),
        ({**VALID_BODY, "options": ["ACC"] * 101}, "options"),
        ({**VALID_BODY, "modelLine": "VELA_2"}, "modelLine"),
    ],
)
def test_configuration_rejects_with_the_field_named(body: dict, field: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        Configuration.from_dict(body)
    assert [e.field for e in raised.value.errors] == [field]


def test_submitted_by_in_the_body_is_explained() -> None:
    with pytest.raises(InvalidFields, match="taken from your token"):
        Configuration.from_dict({**VALID_BODY, "submittedBy": "x"})


def test_submission_carries_an_optional_request_id() -> None:
    assert parse_submission(VALID_BODY).request_id is None
    assert parse_submission({**VALID_BODY, "requestId": "req-1"}).request_id == "req-1"
    with pytest.raises(InvalidFields) as raised:
        parse_submission({**VALID_BODY, "requestId": "req_1", "market": ""})
    assert {e.field for e in raised.value.errors} == {"requestId", "market"}


def test_batch_lists_every_bad_item_by_index() -> None:
    items = [VALID_BODY, {**VALID_BODY, "market": "D/E"}, VALID_BODY, {"configurationId": "x"}]
    with pytest.raises(InvalidBatch) as raised:
        parse_batch({"configurations": items})
    assert [item.index for item in raised.value.items] == [1, 3]
    assert raised.value.items[0].errors[0].field == "market"
    assert raised.value.size == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([VALID_BODY], "body"),
        ({"configurations": []}, "configurations"),
        ({"configurations": VALID_BODY}, "configurations"),
        ({"configurations": [VALID_BODY] * (MAX_BATCH_SIZE + 1)}, "configurations"),
        ({"configurations": [VALID_BODY], "batchId": "mine"}, "batchId"),
    ],
)
def test_batch_shape_errors_name_the_field(body: object, field: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        parse_batch(body)
    assert raised.value.errors[0].field == field


def test_batch_of_the_maximum_size_is_accepted() -> None:
    assert len(parse_batch({"configurations": [VALID_BODY] * MAX_BATCH_SIZE})) == MAX_BATCH_SIZE


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(st.sampled_from([*VALID_BODY, "requestId", "priority", "x"]), JSON_VALUES) | JSON_VALUES
)
def test_any_json_body_parses_or_raises_invalid_fields(body: object) -> None:
    try:
        submission = parse_submission(body)
    except InvalidFields as invalid:
        assert invalid.errors and all(e.field and e.problem for e in invalid.errors)
    else:
        assert Configuration.from_dict(submission.configuration.to_dict()) == submission.configuration
