"""Event patterns whose numbers no float64 can hold (`1e400`, huge integers) are refused like any invalid
pattern, by PutRule and by TestEventPattern, with InvalidEventPatternException and AWS's message prefix."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.eventbridge import module_cloud
from vcn.eventbridge.patterns import InvalidEventPattern, compile_pattern

EVENT = '{"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}'
OUT_OF_RANGE = (
    "Event pattern is not valid. Reason: Number {} is out of range: numbers must fit a 64-bit float"
)
CASES = [
    ('{"source": [1e400]}', "1e400"),
    ('{"source": [-1E+999]}', "-1E+999"),
    ('{"detail": {"n": [{"numeric": [">", 0, "<", 1e309]}]}}', "1e309"),
    ('{"detail": {"n": [{"anything-but": [1e400]}]}}', "1e400"),
    ('{"detail": {"n": [' + "9" * 400 + "]}}", "99999999999999999999...(400 characters)"),
]


cloud = module_cloud("eb-pattern-numbers")


@pytest.mark.parametrize(("pattern", "shown"), CASES)
def test_put_rule_refuses_a_number_no_float64_holds(events: Any, pattern: str, shown: str) -> None:
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="numbers", EventPattern=pattern)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"] == {
        "Code": "InvalidEventPatternException",
        "Message": OUT_OF_RANGE.format(shown),
    }


@pytest.mark.parametrize(("pattern", "shown"), CASES)
def test_test_event_pattern_refuses_a_number_no_float64_holds(events: Any, pattern: str, shown: str) -> None:
    with pytest.raises(ClientError) as raised:
        events.test_event_pattern(EventPattern=pattern, Event=EVENT)
    assert raised.value.response["Error"] == {
        "Code": "InvalidEventPatternException",
        "Message": OUT_OF_RANGE.format(shown),
    }


def test_a_pattern_given_as_an_object_is_checked_the_same_way() -> None:
    with pytest.raises(InvalidEventPattern) as raised:
        compile_pattern({"source": [float("inf")]})
    assert str(raised.value) == OUT_OF_RANGE.format("inf")


def test_large_but_finite_numbers_still_compile_and_match() -> None:
    pattern = compile_pattern('{"detail": {"n": [1e308, {"numeric": [">", -1.7e308]}]}}')
    assert pattern.matches({"detail": {"n": 1e308}})


def test_a_pattern_nested_deeper_than_json_allows_here_is_refused_not_a_crash(events: Any) -> None:
    deep = '{"a": ' * 300 + '["x"]' + "}" * 300
    with pytest.raises(ClientError) as raised:
        events.test_event_pattern(EventPattern=deep, Event=EVENT)
    assert raised.value.response["Error"] == {
        "Code": "InvalidEventPatternException",
        "Message": "Event pattern is not valid. Reason: Filter is not valid JSON: it nests arrays and "
        "objects deeper than 100 levels",
    }
