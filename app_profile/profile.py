"""PROFILE: the vehicle-configuration application as the local cloud runs it (named in pyproject.toml)."""

from __future__ import annotations

import random

from app_profile.analysts import DEMO_ANALYSTS
from app_profile.commands import add_commands
from app_profile.parameters import local_parameters
from vcn.check.contribution import CheckContribution
from vcn.local.profile import AppProfile, ClaimOption, DemoSource, HistoryApi, StackOutputs


def demo_stream(bus_name: str, rng: random.Random) -> DemoSource:
    # imported on use: the domain catalog is only loaded when a demo runs
    from app_profile.demo_stream import VehicleConfigDemo

    return VehicleConfigDemo(bus_name, rng)


def check_contribution() -> CheckContribution:
    # imported on use: Hypothesis and the domain catalog load only when `vcn check` runs
    from app_profile.check import check_contribution as build

    return build()


PROFILE = AppProfile(
    name="vehicle-config-notifications",
    local_parameters=local_parameters,
    demo_users=DEMO_ANALYSTS,
    claim_options=(
        ClaimOption("--markets", "markets", "market codes to grant, e.g. DE FR, or *"),
        ClaimOption("--plants", "plants", "plant codes to grant, e.g. ZWI, or *"),
    ),
    demo_stream=demo_stream,
    web_root="web",
    hints=(
        "try:",
        "  .venv/bin/vcn subscribe '/markets/DE/*' --user analyst-de --since 10m",
        "  .venv/bin/vcn history '/markets/DE/*' --user analyst-de",
        "  .venv/bin/vcn emit events/put-events/<file>.json",
    ),
    stack_outputs=StackOutputs(
        appsync_http="EventsHttpEndpoint",
        appsync_realtime="EventsRealtimeEndpoint",
        event_bus="EventBusName",
        api_url="ConfigurationApiUrl",
        dead_letter_queues=("NotificationDeadLetterQueueUrl", "ValidationDeadLetterQueueUrl"),
    ),
    # handlers/history_api.py on the configuration HTTP API (its URL: the ConfigurationApiUrl output)
    history=HistoryApi(path="/notifications"),
    add_commands=add_commands,
    check=check_contribution,
)
