"""Metric math, the simple part: what an alarm's `Metrics` expression computes for one period.

Supported: numbers, query ids, `+ - * /`, parentheses, unary minus, `SUM`/`AVG`/`MIN`/`MAX` over a list
(`SUM([m1, m2])`) or a single series, `ABS(x)` and `FILL(x, value)`. As in CloudWatch, arithmetic with a
missing value is missing (FILL supplies one), list functions use the values that are present, and a division
by zero gives no value. Anything else (`METRICS()`, `IF`, `RATE`, search expressions, ...) is refused when the
alarm is loaded, naming what the local cloud does evaluate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Value = float | None
Values = Mapping[str, Value]
Node = Callable[[Values], Value]

SUPPORTED = "numbers, query ids, + - * /, parentheses, SUM/AVG/MIN/MAX([...]), ABS(x) and FILL(x, value)"
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class UnsupportedExpression(ValueError):
    """An expression the local cloud does not parse or evaluate; the message says what it does."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the pattern's last branch matches any character
            break
        number, name, symbol = match.groups()
        if number is not None:
            tokens.append(("number", number))
        elif name is not None:
            tokens.append(("name", name))
        elif symbol is not None and symbol.strip():
            tokens.append(("symbol", symbol))
        position = match.end()
    return tokens


def _aggregate(name: str, values: list[float]) -> Value:
    if not values:
        return None
    if name == "SUM":
        return sum(values)
    if name == "AVG":
        return sum(values) / len(values)
    if name == "MIN":
        return min(values)
    return max(values)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the ids it reads, and how to compute it from their values for one period."""

    text: str
    ids: frozenset[str]
    _node: Node

    @classmethod
    def parse(cls, text: str) -> Expression:
        parser = _Parser(text)
        node = parser.expression()
        parser.expect_end()
        return cls(text, frozenset(parser.ids), node)

    def evaluate(self, values: Values) -> Value:
        return self._node(values)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.ids: set[str] = set()

    def _fail(self, what: str) -> UnsupportedExpression:
        return UnsupportedExpression(
            f"metric math expression {self.text!r}: {what}; the local cloud evaluates {SUPPORTED}"
        )

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise self._fail("it ends too early")
        self.position += 1
        return token

    def _expect(self, symbol: str) -> None:
        token = self._take()
        if token != ("symbol", symbol):
            raise self._fail(f"expected {symbol!r}, found {token[1]!r}")

    def expect_end(self) -> None:
        token = self._peek()
        if token is not None:
            raise self._fail(f"unexpected {token[1]!r}")

    def expression(self) -> Node:
        return self._left_associative(self._term, ("+", "-"))

    def _term(self) -> Node:
        return self._left_associative(self._unary, ("*", "/"))

    def _left_associative(self, operand: Callable[[], Node], operators: tuple[str, ...]) -> Node:
        """`operand (operator operand)*` for one precedence level, grouped from the left (a - b - c)."""
        node = operand()
        while (token := self._peek()) is not None and token[0] == "symbol" and token[1] in operators:
            self._take()
            node = _binary(token[1], node, operand())
        return node

    def _unary(self) -> Node:
        if self._peek() == ("symbol", "-"):
            self._take()
            inner = self._unary()
            return lambda values: None if (v := inner(values)) is None else -v
        return self._atom()

    def _atom(self) -> Node:
        kind, text = self._take()
        if kind == "number":
            number = float(text)
            return lambda _: number
        if (kind, text) == ("symbol", "("):
            node = self.expression()
            self._expect(")")
            return node
        if kind != "name":
            raise self._fail(f"unexpected {text!r}")
        if self._peek() != ("symbol", "("):
            self.ids.add(text)
            return lambda values: values.get(text)
        self._take()
        return self._function(text)

    def _function(self, name: str) -> Node:
        upper = name.upper()
        if upper in ("SUM", "AVG", "MIN", "MAX"):
            if self._peek() == ("symbol", "["):
                self._take()
                items = [self.expression()]
                while self._peek() == ("symbol", ","):
                    self._take()
                    items.append(self.expression())
                self._expect("]")
            else:
                items = [self.expression()]
            self._expect(")")
            return lambda values: _aggregate(upper, [v for item in items if (v := item(values)) is not None])
        if upper == "ABS":
            inner = self.expression()
            self._expect(")")
            return lambda values: None if (v := inner(values)) is None else abs(v)
        if upper == "FILL":
            inner = self.expression()
            self._expect(",")
            fill = self.expression()
            self._expect(")")
            return lambda values: v if (v := inner(values)) is not None else fill(values)
        raise self._fail(f"function {name} is not evaluated locally")


def _binary(operator: str, left: Node, right: Node) -> Node:
    def compute(values: Values) -> Value:
        a, b = left(values), right(values)
        if a is None or b is None:
            return None
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        return None if b == 0 else a / b

    return compute
