"""`vcn emit`: PutEvents the entries of a file, to the local cloud or a deployed stack."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from vcn.cli.common import target_command, target_of
from vcn.cli.errors import CliError
from vcn.cli.target import Target
from vcn.json_limits import not_utf8


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Entries as `aws events put-events --entries file://...` reads them (a list or `{"Entries": [..]}`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"entries file {path} does not exist") from None
    except OSError as exc:  # a folder, a file it may not read
        raise CliError(f"cannot read entries file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"cannot read entries file {path}: not UTF-8 text ({not_utf8(exc)})") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"entries file {path} is not valid JSON: {exc}") from None
    entries = document.get("Entries") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise CliError(
            f'entries file {path} must hold a JSON list of PutEvents entries (or {{"Entries": [...]}})'
        )
    if not entries:  # PutEvents itself refuses an empty list; exiting 0 here would say all went well
        raise CliError(f"entries file {path} holds no entries: nothing was sent")
    return entries


# How botocore's validation report names an entry: `Entries[1].Source`, or `Entries[1]` itself.
_ENTRY = re.compile(r"Entries\[(\d+)\](\.?)")


class InvalidEntries(CliError):
    """botocore refused entries before sending them; `problems` holds (index in the request, its report)."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        super().__init__("; ".join(text for _, text in problems))
        self.problems = problems

    @classmethod
    def from_report(cls, report: str) -> InvalidEntries:
        """From ParamValidationError's report: one problem a line, each naming its entry as `Entries[i]`."""
        problems: list[tuple[int | None, str]] = []
        for line in report.splitlines():
            found = _ENTRY.search(line)
            text = _ENTRY.sub(lambda m: "" if m.group(2) else "the entry", line)
            problems.append((int(found.group(1)) if found else None, text))
        return cls(problems)

    def naming(self, origin: str, first: int) -> CliError:
        """The same problems as `origin: entry N: ...`, entries counted from `first` (1 for the first)."""
        return CliError(
            "; ".join(
                f"{origin}: entry {first + index}: {text}" if index is not None else f"{origin}: {text}"
                for index, text in self.problems
            )
        )


def put_events(target: Target, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """One PutEvents call; entries without an EventBusName go to the application's bus."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    events = target.boto3_client("events")
    request = [
        {**entry} if "EventBusName" in entry else {**entry, "EventBusName": target.bus_name}
        for entry in entries
    ]
    try:
        response: dict[str, Any] = events.put_events(Entries=request)
    except ClientError as exc:
        error = exc.response["Error"]
        raise CliError(f"PutEvents was refused: {error.get('Code')}: {error.get('Message')}") from None
    except ParamValidationError as exc:  # the entries' fault, found before anything was sent
        report = str(exc.kwargs.get("report", exc))
        raise InvalidEntries.from_report(report) from None
    except BotoCoreError as exc:
        raise CliError(f"cannot reach EventBridge of the {target.label}: {exc}") from None
    response.pop("ResponseMetadata", None)
    return response


def run_emit(args: argparse.Namespace) -> int:
    target = target_of(args)
    entries = read_entries(args.entries_file)
    failed = 0
    for start in range(0, len(entries), 10):
        try:
            response = put_events(target, entries[start : start + 10])
        except InvalidEntries as exc:
            raise exc.naming(str(args.entries_file), start + 1) from None
        failed += int(response.get("FailedEntryCount", 0))
        print(json.dumps(response))
    return 1 if failed else 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    emit = target_command(
        commands,
        "emit",
        run_emit,
        summary="send the events of an entries file (PutEvents)",
        description="PutEvents the entries of a file (the format of `aws events put-events --entries "
        "file://...`, e.g. events/put-events/*.json) to the bus; prints the responses.",
    )
    emit.add_argument("entries_file", type=Path, help="JSON file with a list of PutEvents entries")
