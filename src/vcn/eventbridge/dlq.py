"""Durable dead-letter queues: one fsync'd JSON file per message under `<state_dir>/dlq/<QueueName>/`.

A queue is named by the QueueName of the target's `DeadLetterConfig.Arn`
(`arn:aws:sqs:<region>:<account>:<name>`). A message carries AWS's attributes (RULE_ARN, TARGET_ARN,
ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS, EXHAUSTED_RETRY_CONDITION) and, beside them, what a redrive needs:
the rule ARN, the target id and the original event.

Writes are atomic: the message goes to `.<id>.tmp` in the queue's folder, is fsync'd, then renamed to
`<id>.json` (and the folder fsync'd); `recover()`, run when the local EventBridge starts, removes temp files
a dead process left. A message file that cannot be read (truncated, hand-edited) is moved to
`<queue>/quarantine/` with a warning, so that listing and redriving the others go on. A redrive (the
EventBridge service's) claims messages by renaming their files, so two redrives never send the same message
twice, then settles or releases each. Queue names and message ids are checked before they become paths.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcn.eventbridge import strict_json
from vcn.state_files import fsync_directory

log = logging.getLogger("vcn.eventbridge")

_SUFFIX = ".json"
_CLAIMED = ".redriving"
_TEMP = ".tmp"
QUARANTINE = "quarantine"
# A claim older than this belongs to a redrive that died; the message is put back.
STALE_CLAIM_SECONDS = 300.0
# SQS queue names; message ids are the UUIDs this store and the Lambda runtime give them.
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class InvalidName(ValueError):
    """A queue name or message id that cannot name a message (and must not become a path)."""


def check_queue_name(name: str) -> str:
    return _checked(
        name,
        _QUEUE_NAME,
        "a queue name: 1 to 80 letters, digits, '-' or '_' (an SQS QueueName); "
        "`vcn dlq list` shows the queues that hold messages.",
    )


def check_message_id(message_id: str) -> str:
    return _checked(
        message_id,
        _MESSAGE_ID,
        "a message id: ids are 1 to 128 letters, digits, '-' or '_' (`vcn dlq list` shows them).",
    )


def _checked(value: str, form: re.Pattern[str], what: str) -> str:
    """`value` when it is a string of `form`; else InvalidName saying it is not `what`."""
    if not isinstance(value, str) or form.fullmatch(value) is None:
        raise InvalidName(f"{value!r} is not {what}")
    return value


@dataclass(frozen=True)
class DeadLetterMessage:
    message_id: str
    queue: str
    sent_timestamp_ms: int
    body: str
    attributes: Mapping[str, str]
    rule_arn: str
    target_id: str
    event: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The message as SQS ReceiveMessage would show it, plus the redrive information."""
        return {
            "MessageId": self.message_id,
            "QueueName": self.queue,
            "SentTimestamp": str(self.sent_timestamp_ms),
            "Body": self.body,
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value} for name, value in self.attributes.items()
            },
            "Redrive": {"RuleArn": self.rule_arn, "TargetId": self.target_id, "Event": dict(self.event)},
        }

    @classmethod
    def from_json(cls, data: Any) -> DeadLetterMessage:
        """The message a file holds; ValueError saying what is wrong with it."""
        if not isinstance(data, Mapping):
            raise ValueError("it does not hold a JSON object")
        redrive = _member(data, "Redrive", Mapping)
        attributes = _member(data, "MessageAttributes", Mapping)
        values: dict[str, str] = {}
        for name, value in attributes.items():
            if not isinstance(value, Mapping) or not isinstance(value.get("StringValue"), str):
                raise ValueError(f"MessageAttributes.{name} has no string StringValue")
            values[name] = value["StringValue"]
        timestamp = _member(data, "SentTimestamp", str)
        if not timestamp.isdigit():
            raise ValueError(f"SentTimestamp {timestamp!r} is not milliseconds since the epoch")
        return cls(
            message_id=_member(data, "MessageId", str),
            queue=_member(data, "QueueName", str),
            sent_timestamp_ms=int(timestamp),
            body=_member(data, "Body", str),
            attributes=values,
            rule_arn=_member(redrive, "RuleArn", str),
            target_id=_member(redrive, "TargetId", str),
            event=_member(redrive, "Event", Mapping),
        )


def _member(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise ValueError(f"{name} is missing or not a JSON {'string' if kind is str else 'object'}")
    return value


@dataclass(frozen=True)
class Claim:
    """A message taken out of its queue by one redrive: settle it when delivered, release it otherwise."""

    message: DeadLetterMessage
    path: Path  # the claimed file; the message's own name without the claim suffix

    @property
    def queued_path(self) -> Path:
        return self.path.with_name(self.path.name[: -len(_CLAIMED)])


class DeadLetterStore:
    """The local dead-letter queues of one state folder (safe to use from several processes)."""

    def __init__(self, state_dir: Path | str) -> None:
        self.root = Path(state_dir) / "dlq"

    def send(
        self,
        queue: str,
        *,
        body: str,
        attributes: Mapping[str, str],
        rule_arn: str,
        target_id: str,
        event: Mapping[str, Any],
        message_id: str | None = None,
    ) -> DeadLetterMessage:
        message = DeadLetterMessage(
            message_id=check_message_id(message_id) if message_id is not None else str(uuid.uuid4()),
            queue=check_queue_name(queue),
            sent_timestamp_ms=int(time.time() * 1000),
            body=body,
            attributes=dict(attributes),
            rule_arn=rule_arn,
            target_id=target_id,
            event=event,
        )
        directory = self.root / queue
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"{message.message_id}{_SUFFIX}"
        partial = directory / f".{message.message_id}{_TEMP}"
        try:
            # ASCII with escapes: any string, even one that is not Unicode text, can be written and read back.
            with partial.open("w", encoding="ascii") as handle:
                json.dump(message.to_json(), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        fsync_directory(directory)
        return message

    def queues(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            path.name for path in self.root.iterdir() if path.is_dir() and _QUEUE_NAME.fullmatch(path.name)
        )

    def visible_count(self, queue: str) -> int:
        """Messages waiting in a queue, not counting those a redrive holds (SQS's "visible" messages)."""
        directory = self.root / queue
        if not directory.is_dir():
            return 0
        return sum(1 for entry in os.scandir(directory) if entry.name.endswith(_SUFFIX))

    def list(self, queue: str | None = None) -> list[DeadLetterMessage]:
        """Messages of one queue (or of all queues), oldest first; unreadable files are quarantined."""
        self._recover_stale_claims()
        messages: list[DeadLetterMessage] = []
        for name in [check_queue_name(queue)] if queue is not None else self.queues():
            directory = self.root / name
            if not directory.is_dir():
                continue
            for path in directory.glob(f"*{_SUFFIX}"):
                message = self._read(path)
                if message is not None:
                    messages.append(message)
        return sorted(messages, key=lambda message: (message.sent_timestamp_ms, message.message_id))

    def get(self, message_id: str) -> DeadLetterMessage:
        check_message_id(message_id)
        for queue in self.queues():
            message = self._read(self.root / queue / f"{message_id}{_SUFFIX}")
            if message is not None:
                return message
        raise KeyError(f"No dead-letter message {message_id}; `vcn dlq list` shows the ids that exist.")

    def contains(self, message_id: str) -> bool:
        """Whether a message with this id exists in any state (queued, being redriven, quarantined)."""
        check_message_id(message_id)
        names = (f"{message_id}{_SUFFIX}", f"{message_id}{_SUFFIX}{_CLAIMED}")
        return any(
            (folder / name).exists()
            for queue in self.queues()
            for folder in (self.root / queue, self.root / queue / QUARANTINE)
            for name in names
        )

    def remove(self, message_id: str) -> bool:
        check_message_id(message_id)
        for queue in self.queues():
            with contextlib.suppress(FileNotFoundError):
                (self.root / queue / f"{message_id}{_SUFFIX}").unlink()
                return True
        return False

    def claim(
        self, queue: str | None = None, message_ids: Iterable[str] | None = None
    ) -> tuple[Sequence[Claim], Sequence[str]]:
        """Take messages out of their queues for a redrive; also returns the wanted ids not claimable.

        A claim renames the message's file, so two redrives (even in two processes) never both send it; a
        claim left behind by a redrive that died is put back after STALE_CLAIM_SECONDS, or at the next
        start."""
        wanted = set(message_ids) if message_ids is not None else None
        claims: list[Claim] = []
        skipped: list[str] = []
        for message in self.list(queue):
            if wanted is not None and message.message_id not in wanted:
                continue
            path = self.root / message.queue / f"{message.message_id}{_SUFFIX}"
            claimed = path.with_name(path.name + _CLAIMED)
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                skipped.append(message.message_id)
                continue
            os.utime(claimed)  # the claim's age starts now, not when the message was written
            claims.append(Claim(message, claimed))
        if wanted is not None:
            found = {claim.message.message_id for claim in claims} | set(skipped)
            skipped.extend(sorted(wanted - found))
        return claims, skipped

    def settle(self, claim: Claim) -> None:
        """The claimed message was delivered: it leaves the queue for good."""
        with contextlib.suppress(FileNotFoundError):
            claim.path.unlink()
        fsync_directory(claim.path.parent)

    def release(self, claim: Claim) -> None:
        """The claimed message was not delivered: it goes back to its queue, unchanged."""
        with contextlib.suppress(FileNotFoundError):
            os.rename(claim.path, claim.queued_path)

    def recover(self) -> None:
        """At the start of the process that owns the queues: drop half-written temp files, put back every
        claim (no redrive survives its process)."""
        if not self.root.is_dir():
            return
        for partial in self.root.glob(f"*/.*{_TEMP}"):
            log.warning(
                "removing %s, a dead-letter message a stopped process did not finish writing", partial
            )
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        for claimed in self.root.glob(f"*/*{_SUFFIX}{_CLAIMED}"):
            with contextlib.suppress(FileNotFoundError):
                os.rename(claimed, claimed.with_name(claimed.name[: -len(_CLAIMED)]))

    def _recover_stale_claims(self) -> None:
        if not self.root.is_dir():
            return
        now = time.time()
        for claimed in self.root.glob(f"*/*{_SUFFIX}{_CLAIMED}"):
            with contextlib.suppress(FileNotFoundError):
                if now - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                    os.rename(claimed, claimed.with_name(claimed.name[: -len(_CLAIMED)]))

    def _read(self, path: Path) -> DeadLetterMessage | None:
        try:
            # What `send` writes, it reads back: a failed invocation's payload may hold any string.
            data = strict_json.parse(path.read_bytes(), lone_surrogates=True)
            message = DeadLetterMessage.from_json(data)
            if message.message_id != path.name[: -len(_SUFFIX)]:
                raise ValueError(f"its MessageId {message.message_id!r} is not its file name")
            return message
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            self._quarantine(path, exc)
            return None

    def _quarantine(self, path: Path, problem: Exception) -> None:
        folder = path.parent / QUARANTINE
        folder.mkdir(exist_ok=True)
        destination = folder / path.name
        if destination.exists():
            destination = folder / f"{path.stem}.{uuid.uuid4().hex[:8]}{_SUFFIX}"
        try:
            os.rename(path, destination)
        except FileNotFoundError:
            return  # another process read (and moved) it first
        except OSError as exc:
            log.warning(
                "dead-letter message file %s cannot be read (%s) nor moved aside (%s)", path, problem, exc
            )
            return
        log.warning(
            "dead-letter message file %s cannot be read (%s); moved it to %s so the others can be listed and "
            "redriven. Repair it and move it back, or delete it.",
            path,
            problem,
            destination,
        )
