"""Metric math for alarms: the simple expressions the local cloud evaluates, a clear refusal of the rest."""

from __future__ import annotations

import pytest

from vcn.cloudwatch.math_expression import Expression, UnsupportedExpression


def value(text: str, **values: float | None) -> float | None:
    return Expression.parse(text).evaluate(values)


def test_arithmetic_follows_precedence_and_parentheses() -> None:
    assert value("1 + 2 * 3") == 7
    assert value("(1 + 2) * 3") == 9
    assert value("-m1 + 10", m1=4) == 6
    assert value("100 * errors / calls", errors=3, calls=20) == pytest.approx(15)
    assert value("2.5e1 - .5") == 24.5


def test_a_missing_input_makes_the_result_missing_unless_filled() -> None:
    assert value("m1 + m2", m1=1, m2=None) is None
    assert value("FILL(m2, 0) + m1", m1=1, m2=None) == 1
    assert value("FILL(m2, m1 * 2)", m1=3, m2=None) == 6


def test_division_by_zero_has_no_value() -> None:
    assert value("m1 / m2", m1=1, m2=0) is None


def test_list_functions_use_the_values_present() -> None:
    assert value("SUM([m1, m2, m3])", m1=1, m2=None, m3=4) == 5
    assert value("AVG([m1, m2])", m1=2, m2=4) == 3
    assert value("MAX([m1, m2])", m1=2, m2=4) == 4
    assert value("min([m1, m2])", m1=2, m2=4) == 2
    assert value("SUM([m1, m2])", m1=None, m2=None) is None
    assert value("ABS(m1 - 10)", m1=4) == 6


def test_the_ids_an_expression_reads() -> None:
    assert Expression.parse("SUM([a, b]) / FILL(c, 1)").ids == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("METRICS()", "function METRICS is not evaluated locally"),
        ("IF(m1 > 1, 1, 0)", "function IF is not evaluated locally"),
        ("SEARCH('{AWS/Events,RuleName} FailedInvocations', \"Sum\", 300)", "function SEARCH"),
        ("m1 +", "it ends too early"),
        ("m1 m2", "unexpected 'm2'"),
        ("m1 ^ 2", "unexpected '^'"),
    ],
)
def test_unsupported_expressions_say_what_is_evaluated(text: str, problem: str) -> None:
    with pytest.raises(UnsupportedExpression) as raised:
        Expression.parse(text)
    assert problem in str(raised.value)
    assert "the local cloud evaluates numbers, query ids, + - * /" in str(raised.value)
