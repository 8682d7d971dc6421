"""Run every benchmark in turn (`make bench`); each prints its own table beside its baseline."""

import runpy
import sys

BENCHES = [
    "matching_bench",
    "delivery_bench",
    "exchange_bench",
    "validation_bench",
    "token_bench",
    "request_validation_bench",
    "archive_bench",
    "appsync_bench",
    "event_handler_bench",
    "request_reply_bench",
    "history_bench",
    "cloudwatch_bench",
    "dynamodb_bench",
    "check_bench",
    "query_window_bench",
    "recovery_bench",
]

if __name__ == "__main__":
    chosen = sys.argv[1:] or BENCHES
    for name in chosen:
        print(f"\n=== bench.{name}", flush=True)
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__")
        except ModuleNotFoundError as exc:
            print(f"skipped: {exc}")
