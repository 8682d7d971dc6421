"""The `wildcard` operator: parsing (`\\*` a literal star, `\\\\` a backslash, no `**`), matching without
backtracking, and the complexity limit behind AWS's "Rule is too complex".

Complexity. AWS refuses a wildcard pattern whose matching automaton grows too large, and its message names
the cause: many wildcard characters, or repeating character sequences after a wildcard. The measure here
follows that description: the most pattern positions that one input character can advance at the same
time, over every state the automaton of a field's wildcard patterns can reach. A `*` followed by text keeps
a position waiting for that text for as long as the input runs, so when several stars are followed by the
same text (`*:*:*:`) or the text after a star repeats itself (`*abab`), one character advances all of those
positions together; stars followed by different text (`a*b*c*d`) never do.
UNCONFIRMED: AWS publishes neither its measure nor its threshold; the threshold is a setting
(`PatternLimits.max_wildcard_complexity`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from vcn.eventbridge.pattern_errors import InvalidEventPattern
from vcn.eventbridge.pattern_values import StringTest

# A wildcard pattern as tokens: one character each, None for `*`.
WildcardTokens = tuple[str | None, ...]

TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
    "after a wildcard character"
)


def parse_wildcard(pattern: str) -> WildcardTokens:
    """Tokens of a wildcard pattern; `\\*` is a literal star and `\\\\` a backslash."""
    tokens: list[str | None] = []
    previous_was_star = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            following = pattern[index + 1] if index + 1 < len(pattern) else ""
            if following not in ("*", "\\"):
                # UNCONFIRMED: AWS's wording for a backslash that escapes neither `*` nor `\`.
                raise InvalidEventPattern(f"Invalid escape character at pos {_java_index(pattern, index)}")
            tokens.append(following)
            previous_was_star = False
            index += 2
            continue
        if char == "*":
            if previous_was_star:
                # AWS reports the 0-based position of the second star in the pattern text.
                raise InvalidEventPattern(
                    f"Consecutive wildcard characters at pos {_java_index(pattern, index)}"
                )
            tokens.append(None)
            previous_was_star = True
        else:
            tokens.append(char)
            previous_was_star = False
        index += 1
    return tuple(tokens)


def _java_index(pattern: str, index: int) -> int:
    """The index Java reports for `pattern[index]`: characters outside the BMP count twice (UTF-16)."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in pattern[:index])


def wildcard_test(tokens: WildcardTokens) -> StringTest:
    """A predicate for strings matching the wildcard pattern (segment search, no backtracking regex)."""
    segments: list[str] = [""]
    for token in tokens:
        if token is None:
            segments.append("")
        else:
            segments[-1] += token
    if len(segments) == 1:
        literal = segments[0]
        return literal.__eq__
    head, middle, tail = segments[0], segments[1:-1], segments[-1]
    fixed = len(head) + len(tail)

    def matches(value: str) -> bool:
        if len(value) < fixed or not value.startswith(head) or not value.endswith(tail):
            return False
        position, end = len(head), len(value) - len(tail)
        for segment in middle:
            found = value.find(segment, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True

    return matches


def wildcard_complexity(patterns: Sequence[WildcardTokens], *, limit: int, work_budget: int = 200_000) -> int:
    """The most positions one input character advances at once (exploration stops above `limit`).

    First along telling inputs (the literal text; the text after each star, repeated), then by walking the
    subset construction of the combined automaton until `work_budget` state steps are spent, so that a long
    pattern cannot make PutRule slow.
    """
    automaton = _WildcardAutomaton(patterns)
    worst = automaton.along(automaton.telling_inputs(limit), limit)
    seen = {automaton.start}
    frontier = [automaton.start]
    work = 0
    while frontier and worst <= limit and work <= work_budget:
        current = frontier.pop()
        for char in automaton.next_characters(current):
            work += len(current)
            worst = max(worst, automaton.advancing(current, char))
            successor = automaton.step(current, char)
            if successor and successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return worst


_UNMENTIONED = "\x00\uffff"  # stands for every character the patterns do not mention

State = frozenset[tuple[int, int]]


class _WildcardAutomaton:
    """The combined position automaton of a field's wildcard patterns (a state is (pattern, position))."""

    def __init__(self, patterns: Sequence[WildcardTokens]) -> None:
        self.patterns = patterns
        self.start = self.closure((index, 0) for index in range(len(patterns)))

    def closure(self, states: Iterable[tuple[int, int]]) -> State:
        result: set[tuple[int, int]] = set()
        for pattern_index, position in states:
            tokens = self.patterns[pattern_index]
            result.add((pattern_index, position))
            while position < len(tokens) and tokens[position] is None:
                position += 1
                result.add((pattern_index, position))
        return frozenset(result)

    def _token(self, state: tuple[int, int]) -> str | None:
        tokens = self.patterns[state[0]]
        return tokens[state[1]] if state[1] < len(tokens) else None

    def advancing(self, states: State, char: str) -> int:
        """How many positions `char` moves forward (stars that merely stay do not count)."""
        return sum(1 for state in states if self._token(state) == char)

    def step(self, states: State, char: str) -> State:
        following: list[tuple[int, int]] = []
        for pattern_index, position in states:
            tokens = self.patterns[pattern_index]
            if position < len(tokens):
                token = tokens[position]
                if token is None:
                    following.append((pattern_index, position))
                elif token == char:
                    following.append((pattern_index, position + 1))
        return self.closure(following)

    def next_characters(self, states: State) -> set[str]:
        chars = {_UNMENTIONED}
        for state in states:
            token = self._token(state)
            if token is not None:
                chars.add(token)
        return chars

    def telling_inputs(self, limit: int) -> list[str]:
        """Inputs that reach the busiest states quickly: the literal text, and the text after each star
        repeated more often than the limit."""
        literal_text = "".join(token for tokens in self.patterns for token in tokens if token is not None)
        after_stars: set[str] = set()
        for tokens in self.patterns:
            for index, token in enumerate(tokens):
                if token is None:
                    text = ""
                    for following in tokens[index + 1 :]:
                        if following is None:
                            break
                        text += following
                    if text:
                        after_stars.add(text)
        return [literal_text, *(text * (limit + 2) for text in sorted(after_stars))]

    def along(self, inputs: list[str], limit: int) -> int:
        worst = 0
        for text in inputs:
            states = self.start
            for char in text:
                worst = max(worst, self.advancing(states, char))
                if worst > limit:
                    return worst
                states = self.step(states, char)
                if not states:
                    break
        return worst
