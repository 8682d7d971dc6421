"""Durable dead-letter queues: one fsync'd JSON file per message under `<state_dir>/dlq/<QueueName>/`.

A queue is named by the QueueName of the target's `DeadLetterConfig.Arn`
(`arn:aws:sqs:<region>:<account>:<name>`). A message carries AWS's attributes (RULE_ARN, TARGET_ARN,
ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS, EXHAUSTED_RETRY_CONDITION) and, beside them, what a redrive needs:
the rule ARN, the target id and the original event. A redrive (the EventBridge service's) claims messages by
renaming their files, so two redrives never send the same message twice, then settles or releases each.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SUFFIX = ".json"
_CLAIMED = ".redriving"
# A claim older than this belongs to a redrive that died; the message is put back.
STALE_CLAIM_SECONDS = 300.0


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
    def from_json(cls, data: Mapping[str, Any]) -> DeadLetterMessage:
        redrive = data["Redrive"]
        return cls(
            message_id=data["MessageId"],
            queue=data["QueueName"],
            sent_timestamp_ms=int(data["SentTimestamp"]),
            body=data["Body"],
            attributes={name: value["StringValue"] for name, value in data["MessageAttributes"].items()},
            rule_arn=redrive["RuleArn"],
            target_id=redrive["TargetId"],
            event=redrive["Event"],
        )


@dataclass(frozen=True)
class RedriveOutcome:
    delivered: bool
    error: str = ""


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # Messages another redrive had already claimed or removed.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """A message taken out of its queue by one redrive: settle it when delivered, release it otherwise."""

    message: DeadLetterMessage
    path: Path  # the claimed file; the message's own name without the claim suffix

    @property
    def queued_path(self) -> Path:
        return self.path.with_name(self.path.name[: -len(_CLAIMED)])


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    ) -> DeadLetterMessage:
        message = DeadLetterMessage(
            message_id=str(uuid.uuid4()),
            queue=queue,
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
        partial = directory / f".{message.message_id}.tmp"
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(message.to_json(), handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
        _fsync_directory(directory)
        return message

    def queues(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.iterdir() if path.is_dir())

    def visible_count(self, queue: str) -> int:
        """Messages waiting in a queue, not counting those a redrive holds (SQS's "visible" messages)."""
        directory = self.root / queue
        if not directory.is_dir():
            return 0
        return sum(1 for entry in os.scandir(directory) if entry.name.endswith(_SUFFIX))

    def list(self, queue: str | None = None) -> list[DeadLetterMessage]:
        """Messages of one queue (or of all queues), oldest first."""
        self._recover_stale_claims()
        messages: list[DeadLetterMessage] = []
        for name in [queue] if queue is not None else self.queues():
            directory = self.root / name
            if not directory.is_dir():
                continue
            for path in directory.glob(f"*{_SUFFIX}"):
                message = self._read(path)
                if message is not None:
                    messages.append(message)
        return sorted(messages, key=lambda message: (message.sent_timestamp_ms, message.message_id))

    def get(self, message_id: str) -> DeadLetterMessage:
        for path in self.root.glob(f"*/{message_id}{_SUFFIX}"):
            message = self._read(path)
            if message is not None:
                return message
        raise KeyError(f"No dead-letter message {message_id}; `vcn dlq list` shows the ids that exist.")

    def remove(self, message_id: str) -> bool:
        for path in self.root.glob(f"*/{message_id}{_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                return True
        return False

    def claim(
        self, queue: str | None = None, message_ids: Iterable[str] | None = None
    ) -> tuple[Sequence[Claim], Sequence[str]]:
        """Take messages out of their queues for a redrive; also returns the wanted ids not claimable.

        A claim renames the message's file, so two redrives (even in two processes) never both send it; a
        claim left behind by a redrive that died is put back after STALE_CLAIM_SECONDS."""
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
        _fsync_directory(claim.path.parent)

    def release(self, claim: Claim) -> None:
        """The claimed message was not delivered: it goes back to its queue, unchanged."""
        with contextlib.suppress(FileNotFoundError):
            os.rename(claim.path, claim.queued_path)

    def _read(self, path: Path) -> DeadLetterMessage | None:
        try:
            return DeadLetterMessage.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def _recover_stale_claims(self) -> None:
        if not self.root.is_dir():
            return
        now = time.time()
        for claimed in self.root.glob(f"*/*{_SUFFIX}{_CLAIMED}"):
            with contextlib.suppress(FileNotFoundError):
                if now - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                    os.rename(claimed, claimed.with_name(claimed.name[: -len(_CLAIMED)]))
