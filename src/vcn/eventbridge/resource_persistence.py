"""Persistence of the control plane's resources, and their return at start.

Every change made through the API is saved in the state folder (`resource_store`). `restore()` runs once the
template's resources exist (or at once without a template):
- the template declares its resources afresh at every start: changes made through the API to a resource
  the template declares last until the next start (as a redeploy resets drift);
- resources created through the API come back, on top of the template's; when the template now declares a
  resource of the same name, the template's wins and a warning says what was replaced;
- rules created through the API come back on their bus; if the bus no longer exists they are dropped with
  a warning that shows them;
- connections and API destinations keep their ARNs across restarts (the template's too), so targets and
  destinations that name them keep working;
- archives created through the API come back on their bus (their events never left the archive store);
  replays come back as they ended (one the stop cut short ends FAILED: the control plane says so).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Container, Iterator, Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.connection_operations import ConnectionAuthorization, restored_state
from vcn.eventbridge.connections import OAUTH
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.model import EventBus
from vcn.eventbridge.resource_documents import (
    API,
    TEMPLATE,
    api_destination_document,
    archive_document,
    bus_document,
    connection_document,
    replay_document,
    restore_api_destination,
    restore_archive,
    restore_bus,
    restore_connection,
    restore_replay,
    restore_rule,
    rule_document,
)
from vcn.eventbridge.resource_store import ResourceStore
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.rule_operations import index_rule

log = logging.getLogger("vcn.eventbridge")


class ResourcePersistence:
    """Saves the resources after every change once `restore()` ran; before that, saves nothing."""

    def __init__(
        self,
        resources: Resources,
        store: ResourceStore | None,
        authorization: ConnectionAuthorization | None,
    ) -> None:
        self.resources = resources
        self._store = store
        self._authorization = authorization
        self._saved: dict[str, Any] = store.load() if store is not None else {}
        resources.remembered_arns = _remembered_arns(self._saved)
        self._declared: frozenset[str] | None = None  # what the template declared; None until restore()

    def restore(self) -> None:
        """Bring back what was created through the API before the last stop (see this module's docstring);
        from now on every change is saved."""
        if self._declared is not None:
            raise RuntimeError("restore() runs once, after the template's resources exist")
        self._declared = frozenset(self._keys()) - {_key("bus", arns.DEFAULT_BUS)}
        saved, self._saved = self._saved, {}
        restored = self._restore_connections(saved) + self._restore_api_destinations(saved)
        restored += self._restore_buses(saved)
        restored += self._restore_archives(saved) + self._restore_replays(saved)
        self.resources.remembered_arns.clear()
        self.save()
        if restored and self._store is not None:
            log.info("restored %d resources created through the API from %s", restored, self._store.path)

    def save(self) -> None:
        if self._store is not None and self._declared is not None:
            self._store.save(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """Every resource as a document, each marked with its origin (template or API)."""
        return {
            "connections": [
                connection_document(c, self._origin("connection", c.name))
                for c in self.resources.connections.values()
            ],
            "apiDestinations": [
                api_destination_document(d, self._origin("api-destination", d.name))
                for d in self.resources.api_destinations.values()
            ],
            "buses": [
                bus_document(
                    bus,
                    self._origin("bus", bus.name),
                    [
                        rule_document(rule, self._origin("rule", f"{bus.name}/{rule.name}"))
                        for rule in bus.rules.values()
                    ],
                )
                for bus in self.resources.buses.values()
            ],
            "archives": [
                archive_document(a, self._origin("archive", a.name)) for a in self.resources.archives.values()
            ],
            "replays": [replay_document(replay) for replay in self.resources.replays.values()],
        }

    def _origin(self, kind: str, name: str) -> str:
        return TEMPLATE if self._declared is not None and _key(kind, name) in self._declared else API

    def _keys(self) -> list[str]:
        resources = self.resources
        return [
            *(_key("connection", name) for name in resources.connections),
            *(_key("api-destination", name) for name in resources.api_destinations),
            *(_key("bus", name) for name in resources.buses),
            *(_key("rule", f"{bus.name}/{rule}") for bus in resources.buses.values() for rule in bus.rules),
            *(_key("archive", name) for name in resources.archives),
        ]

    def _restore_connections(self, saved: Mapping[str, Any]) -> int:
        restored = 0
        for document in _not_declared(saved.get("connections"), self.resources.connections, "connection"):
            connection = restore_connection(document)
            restored_state(connection)
            self.resources.connections[document["name"]] = connection
            if connection.authorization_type == OAUTH and self._authorization is not None:
                self._authorization.authorize_soon(connection)
            restored += 1
        return restored

    def _restore_api_destinations(self, saved: Mapping[str, Any]) -> int:
        restored = 0
        destinations = self.resources.api_destinations
        for document in _not_declared(saved.get("apiDestinations"), destinations, "API destination"):
            destinations[document["name"]] = restore_api_destination(document)
            restored += 1
        return restored

    def _restore_buses(self, saved: Mapping[str, Any]) -> int:
        restored = 0
        for document in saved.get("buses") or []:
            name = document["name"]
            bus = self.resources.buses.get(name)
            if name == arns.DEFAULT_BUS and bus is not None:
                restore_bus(bus, document)  # its description, policy and tags were set through the API
            elif document.get("origin") == API:
                if bus is not None:
                    _replaced_by_template("event bus", name)
                else:
                    bus = self.resources.add_bus(name)
                    restore_bus(bus, document)
                    restored += 1
            restored += self._restore_rules(bus, name, _from_api(document.get("rules")))
        return restored

    def _restore_rules(self, bus: EventBus | None, bus_name: str, documents: list[dict[str, Any]]) -> int:
        restored = 0
        for document in documents:
            if bus is None:
                log.warning(
                    "rule %s was created through the API on event bus %s, which no longer exists (the "
                    "template stopped declaring it); the rule is dropped: %s",
                    document["name"],
                    bus_name,
                    json.dumps(document),
                )
                continue
            if document["name"] in bus.rules:
                _replaced_by_template("rule", f"{bus_name}/{document['name']}")
                continue
            try:
                rule = restore_rule(document, bus, self.resources.region, self.resources.account)
            except EventBridgeError as exc:
                log.error(
                    "rule %s on %s cannot be restored (%s); dropped: %s",
                    document["name"],
                    bus_name,
                    exc,
                    json.dumps(document),
                )
                continue
            bus.rules[rule.name] = rule
            index_rule(bus, rule)
            restored += 1
        return restored

    def _restore_archives(self, saved: Mapping[str, Any]) -> int:
        restored = 0
        for document in _not_declared(saved.get("archives"), self.resources.archives, "archive"):
            name = document["name"]
            bus = self.resources.buses.get(arns.bus_name(document["sourceArn"]))
            if bus is None:
                log.warning(
                    "archive %s was created through the API on event bus %s, which no longer exists; the "
                    "archive and its events are dropped: %s",
                    name,
                    document["sourceArn"],
                    json.dumps(document),
                )
                continue
            try:
                archive = restore_archive(document, bus, self.resources.region, self.resources.account)
            except EventBridgeError as exc:
                log.error("archive %s cannot be restored (%s); dropped: %s", name, exc, json.dumps(document))
                continue
            self.resources.archives[name] = archive
            restored += 1
        return restored

    def _restore_replays(self, saved: Mapping[str, Any]) -> int:
        for document in _from_api(saved.get("replays")):
            replay = restore_replay(document)
            self.resources.replays[replay.name] = replay
        return 0  # a replay is a record of what happened, not a resource that runs


def _key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _from_api(documents: Any) -> list[dict[str, Any]]:
    return [d for d in documents or [] if isinstance(d, dict) and d.get("origin") == API]


def _not_declared(documents: Any, existing: Container[str], kind: str) -> Iterator[dict[str, Any]]:
    """The documents created through the API whose name is not taken now (by the template: logged)."""
    for document in _from_api(documents):
        if document["name"] in existing:
            _replaced_by_template(kind, document["name"])
        else:
            yield document


def _remembered_arns(saved: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    remembered: dict[tuple[str, str], str] = {}
    for kind, section in (("connection", "connections"), ("api-destination", "apiDestinations")):
        for document in saved.get(section) or []:
            remembered[(kind, document["name"])] = document["arn"]
    return remembered


def _replaced_by_template(kind: str, name: str) -> None:
    log.warning(
        "%s %s was created through the API before the restart, and the template now declares one of the "
        "same name: the template's definition is used",
        kind,
        name,
    )
