"""`python -m vcn.dynamodb --port N --state-dir D`: the local DynamoDB as its own process.

It replays the journal in `<state-dir>/dynamodb/`, listens, and prints one JSON line on stdout:
`{"ready": true, "url": ...}`, or `{"ready": false, "error": "port_in_use" | "state_in_use" |
"journal_damaged", "message": ...}` before exiting with status 2. It stops on SIGTERM, and on SIGINT when run
alone. With `--stop-on-stdin-eof` (as the local cloud runs it) it stops when its standard input closes: the
cloud keeps that pipe open, so the service ends with its parent even after `kill -9`; and it ignores SIGINT
and SIGHUP, which Ctrl-C and a closed terminal send the cloud's whole process group, so it outlives the
functions still writing to it in the grace period.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

from vcn.aws_account import LOCAL_ACCOUNT

from .config import DynamoDbSettings

log = logging.getLogger("vcn.dynamodb")
SHUTDOWN_COMPACTION_ENTRIES = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = DynamoDbSettings()
    parser = argparse.ArgumentParser(prog="python -m vcn.dynamodb", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4030)
    parser.add_argument("--state-dir", type=Path, default=Path(".vcn"))
    parser.add_argument("--account", default=LOCAL_ACCOUNT.account_id)
    parser.add_argument("--region", default=LOCAL_ACCOUNT.region, help="for requests without a signature")
    parser.add_argument("--ttl-sweep-seconds", type=float, default=defaults.ttl_sweep_seconds)
    parser.add_argument("--compact-after-entries", type=int, default=defaults.compact_after_entries)
    parser.add_argument("--stop-on-stdin-eof", action="store_true")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that a taken port is reported as such (`port_in_use`)."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def _damaged(state_dir: Path, problem: Exception) -> str:
    from .journal import JOURNAL_FOLDER

    folder = Path(state_dir) / JOURNAL_FOLDER
    return (
        f"the DynamoDB journal {folder / 'journal.sqlite3'} cannot be read ({problem}). If the file is "
        f"damaged, move {folder} aside to start with empty tables (the template's tables are made again, "
        "their items are gone), or restore it from a copy"
    )


def _say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Lines are `LEVEL|message`, so the local cloud re-logs them at their level.
    logging.basicConfig(level=args.log_level, format="%(levelname)s|%(message)s", stream=sys.stderr)
    from .engine import DynamoDbEngine
    from .http_server import DynamoDbHttpServer, dynamodb_answer
    from .journal import Journal, JournalInUse
    from .maintenance import Maintenance

    settings = DynamoDbSettings(
        ttl_sweep_seconds=args.ttl_sweep_seconds, compact_after_entries=args.compact_after_entries
    )
    try:
        journal = Journal.open(args.state_dir)
    except JournalInUse as exc:
        _say(ready=False, error="state_in_use", message=str(exc))
        return 2
    except sqlite3.DatabaseError as exc:
        _say(ready=False, error="journal_damaged", message=_damaged(args.state_dir, exc))
        return 2
    try:
        engine = DynamoDbEngine(journal, account=args.account, default_region=args.region)
        try:
            # Bound before the replay: the port is ours, and a request that comes early waits in the backlog.
            listener = _listen(args.host, args.port)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                _say(ready=False, error="port_in_use", message=f"port {args.port} is in use")
                return 2
            raise
        server = DynamoDbHttpServer(listener, dynamodb_answer(engine))
        try:
            engine.open(compact_after_entries=settings.compact_after_entries)
        except sqlite3.DatabaseError as exc:  # the replay read a damaged page
            _say(ready=False, error="journal_damaged", message=_damaged(args.state_dir, exc))
            return 2
        maintenance = Maintenance(engine, settings)
        maintenance.start()

        def stop(*_: Any) -> None:
            # shutdown() waits for serve_forever to return, so it must not run on serve_forever's thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        if args.stop_on_stdin_eof:
            # Run by a local cloud: Ctrl-C and a closed terminal signal its whole process group, and the
            # cloud stops this service itself, after the functions that write to it had their grace period.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

            def watch_parent() -> None:
                # Unbuffered reads: a buffered reader's lock would trouble the interpreter's shutdown.
                while os.read(sys.stdin.fileno(), 4096):  # b"" at EOF: the parent closed the pipe or died
                    pass
                stop()

            threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
        else:
            signal.signal(signal.SIGINT, stop)
        _say(ready=True, url=f"http://{args.host}:{server.port}", replayed=engine.stats.replayed)
        server.serve_forever(poll_interval=0.2)
        maintenance.stop()
        server.server_close()
        if engine.journal.appended_since_compaction > SHUTDOWN_COMPACTION_ENTRIES:
            # The next start then replays the items in batches instead of every request since the last
            # compaction (a stop that cuts this short leaves the old journal, intact).
            engine.compact()
        log.info("stopped (%d writes journaled)", engine.stats.journaled)
    finally:
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
