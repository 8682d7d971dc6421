"""Event-pattern matching throughput: RuleIndex versus brute-force evaluation, for 10, 100 and 300 rules.

Run: `.venv/bin/python -m bench.matching_bench` (single thread; CPU time, so events/s on one core).
The rule mix is realistic for a bus: 80 % of rules pin `source` and `detail-type` (some add detail
conditions), 20 % only look at detail fields (exact, prefix, numeric, anything-but). Both baselines
are measured in the same run:
"brute, shared flatten" flattens each event once and evaluates every compiled pattern; "brute" calls
`EventPattern.matches(event)` for every pattern.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from vcn.eventbridge.pattern_flatten import flatten_event
from vcn.eventbridge.patterns import EventPattern, compile_pattern
from vcn.eventbridge.rule_index import RuleIndex

RULE_COUNTS = (10, 100, 300)
SOURCES = [f"vcn.source{number}" for number in range(10)]
DETAIL_TYPES = [f"Event{number}" for number in range(30)]
MARKETS = ["DE", "FR", "US", "GB", "IT", "ES", "JP", "CN"]
PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"]
SECONDS_PER_ROUND = 0.4
ROUNDS = 3


def make_rules(count: int, rng: random.Random) -> dict[str, EventPattern]:
    rules: dict[str, EventPattern] = {}
    for number in range(count):
        pattern: dict[str, Any]
        if rng.random() < 0.8:
            pattern = {"source": [rng.choice(SOURCES)], "detail-type": [rng.choice(DETAIL_TYPES)]}
            if rng.random() < 0.5:
                pattern["detail"] = {"market": rng.sample(MARKETS, 2)}
            elif rng.random() < 0.5:
                pattern["detail"] = {"priority": [{"anything-but": "LOW"}]}
        else:
            pattern = {
                "detail": rng.choice(
                    [
                        {"market": [rng.choice(MARKETS)], "priority": ["URGENT"]},
                        {"modelLine": [{"prefix": rng.choice("ABCDEFG")}]},
                        {"count": [{"numeric": [">", rng.randint(0, 90)]}]},
                        {"plant": [{"anything-but": ["ZWI", "MUC"]}], "priority": [{"prefix": "H"}]},
                    ]
                )
            }
        rules[f"rule-{number}"] = compile_pattern(pattern)
    return rules


def make_events(count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "version": "0",
            "id": f"00000000-0000-0000-0000-{number:012d}",
            "detail-type": rng.choice(DETAIL_TYPES),
            "source": rng.choice(SOURCES),
            "account": "000000000000",
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "requestId": f"req-{number}",
                "market": rng.choice(MARKETS),
                "modelLine": rng.choice("ABCDEFGHIJ") + "-line",
                "plant": rng.choice(["ZWI", "MUC", "LEI", "DGF"]),
                "priority": rng.choice(PRIORITIES),
                "count": rng.randint(0, 100),
                "affectedConfigurations": [{"id": f"c{n}", "status": "ok"} for n in range(3)],
            },
        }
        for number in range(count)
    ]


def events_per_second(match: Callable[[Mapping[str, Any]], list[str]], events: list[dict[str, Any]]) -> float:
    """Best of three rounds, in CPU time of this process (the machine is shared, wall time is not ours)."""
    best = 0.0
    for _ in range(ROUNDS):
        processed = 0
        started = time.process_time()
        while True:
            for event in events:
                match(event)
            processed += len(events)
            elapsed = time.process_time() - started
            if elapsed >= SECONDS_PER_ROUND:
                best = max(best, processed / elapsed)
                break
    return best


def main() -> None:
    rng = random.Random(20261122)
    events = make_events(500, rng)
    print(
        f"{'rules':>5} | {'RuleIndex ev/s':>14} | {'brute shared-flatten ev/s':>25} | {'brute ev/s':>10} |"
        f" {'x shared':>8} | {'x brute':>7} | {'matches/ev':>10}"
    )
    print("-" * 100)
    for count in RULE_COUNTS:
        rules = make_rules(count, rng)
        index = RuleIndex()
        for key, pattern in rules.items():
            index.add(key, pattern)
        items = list(rules.items())

        def shared_flatten(
            event: Mapping[str, Any], items: list[tuple[str, EventPattern]] = items
        ) -> list[str]:
            flat = flatten_event(event)
            return [key for key, pattern in items if pattern.matches_flat(flat)]

        def brute(event: Mapping[str, Any], items: list[tuple[str, EventPattern]] = items) -> list[str]:
            return [key for key, pattern in items if pattern.matches(event)]

        matched = 0
        for event in events:
            expected = brute(event)
            if index.match(event) != expected or shared_flatten(event) != expected:
                raise SystemExit(f"RuleIndex disagrees with brute force on {event}")
            matched += len(expected)
        indexed = events_per_second(index.match, events)
        shared = events_per_second(shared_flatten, events)
        plain = events_per_second(brute, events)
        print(
            f"{count:>5} | {indexed:>14,.0f} | {shared:>25,.0f} | {plain:>10,.0f} |"
            f" {indexed / shared:>8.1f} | {indexed / plain:>7.1f} | {matched / len(events):>10.2f}"
        )
    print(f"unindexed rules at {RULE_COUNTS[-1]}: {index.unindexed_count}")


if __name__ == "__main__":
    main()
