"""Archive operations: CreateArchive, DescribeArchive, ListArchives, UpdateArchive and DeleteArchive."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from vcn.eventbridge.archives import Archive, ArchiveLedger
from vcn.eventbridge.errors import already_exists
from vcn.eventbridge.handler_group import ResourceOperations, answers
from vcn.eventbridge.listing import list_response, matching
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.rule_operations import compile_event_pattern


class ArchiveOperations(ResourceOperations):
    def __init__(self, resources: Resources, ledger: ArchiveLedger) -> None:
        super().__init__(resources)
        self.ledger = ledger

    @answers("CreateArchive")
    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["ArchiveName"]
        if name in self.resources.archives:
            raise already_exists(f"Archive {name} already exists.")
        bus = self.resources.bus(request["EventSourceArn"])
        pattern_text = request.get("EventPattern")
        pattern = compile_event_pattern(pattern_text) if pattern_text is not None else None
        archive = Archive(
            name=name,
            arn=self.resources.arn("archive", name),
            source_arn=bus.arn,
            bus=bus.name,
            event_pattern=pattern_text,
            pattern=pattern,
            retention_days=request.get("RetentionDays") or 0,
            description=request.get("Description"),
            kms_key_identifier=request.get("KmsKeyIdentifier"),
            # An archive the template declares at every start keeps its events and its creation time.
            created=self.ledger.store.register(name, time.time()),
        )
        self.resources.archives[name] = archive
        return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created}

    @answers("DescribeArchive")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.ledger.describe(self.resources.archive(request["ArchiveName"]))

    @answers("ListArchives")
    def list(self, request: Mapping[str, Any]) -> dict[str, Any]:
        source = request.get("EventSourceArn")
        source_bus = self.resources.bus(source).arn if source is not None else None
        return list_response(
            "ListArchives",
            self.resources.archives,
            request,
            self.ledger.describe,
            keep=matching(source_arn=source_bus, state=request.get("State")),
        )

    @answers("UpdateArchive")
    def update(self, request: Mapping[str, Any]) -> dict[str, Any]:
        archive = self.resources.archive(request["ArchiveName"])
        if "EventPattern" in request:
            pattern_text = request["EventPattern"]
            archive.pattern = compile_event_pattern(pattern_text) if pattern_text else None
            archive.event_pattern = pattern_text or None
        if "Description" in request:
            archive.description = request["Description"]
        if "RetentionDays" in request:
            archive.retention_days = request["RetentionDays"]
            self.ledger.expire()
        if "KmsKeyIdentifier" in request:
            archive.kms_key_identifier = request["KmsKeyIdentifier"] or None
        return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created}

    @answers("DeleteArchive")
    def delete(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["ArchiveName"]
        self.resources.archive(name)
        del self.resources.archives[name]
        self.ledger.store.drop(name)
        return {}
