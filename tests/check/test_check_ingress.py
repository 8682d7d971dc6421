"""`vcn check` on the shop with an open source behind an ingress: outside producers put `shop.raw`, an ingress
function checks it and puts the canonical `shop.orders` event back on the bus (a source only the ingress may
put), where the shop's rule publishes it. What the ingress puts back must itself be routed: a rule that
misses it loses every event, and nothing else in the check sends that source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import SHOP_TEMPLATE, Change, check, failure, resources, seeded_copy
from tests.check.shop_profile import ORDINARY, REGIONS, order_shipped
from vcn.check.contribution import Admission, CheckContribution, OpenSource, TrustedSource
from vcn.check.runner import CheckReport
from vcn.local.profile import AppProfile

RAW = "shop.raw"
RULE = "OrderShippedRule"
INGRESS = "IngressFunction"


def admit(source: str, detail_type: str, detail: Mapping[str, Any]) -> Admission:
    """The shop's ingress: known regions and text order ids pass, as shop.orders."""
    region, order_id = detail.get("region"), detail.get("orderId")
    if region in REGIONS and isinstance(order_id, str) and order_id.isalnum():
        return Admission("shop.orders", detail_type, {"region": region, "orderId": order_id})
    return Admission(reasons=("detail: not an order",))


PROFILE = AppProfile(
    name="shop",
    check=lambda: CheckContribution(
        event_kinds=(replace(order_shipped(), source=RAW, examples=({**ORDINARY, "orderId": "ord1"},)),),
        open_sources=(OpenSource(RAW, admit, INGRESS, "UndeliveredQueue"),),
        trusted_sources=(TrustedSource("shop.orders", (INGRESS,)),),
    ),
)


def with_ingress(document: dict[str, Any]) -> None:
    """An ingress function a rule sends shop.raw to; it may put on the bus and refuse into the watched queue,
    and it alone may put shop.orders."""
    shop = resources(document)
    shop[INGRESS] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": "python3.13",
            "CodeUri": "keeper/",
            "Handler": "app.handler",
            "Policies": [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "events:PutEvents",
                            "Resource": {"Fn::GetAtt": ["OrdersBus", "Arn"]},
                        },
                        {
                            "Effect": "Allow",
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": ["UndeliveredQueue", "Arn"]},
                        },
                    ]
                }
            ],
        },
    }
    shop["IngressRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventBusName": {"Ref": "OrdersBus"},
            "EventPattern": {"source": [RAW]},
            "Targets": [{"Id": "Ingress", "Arn": {"Fn::GetAtt": [INGRESS, "Arn"]}}],
        },
    }
    shop["OrdersOnlyFromTheIngress"] = {
        "Type": "AWS::Events::EventBusPolicy",
        "Properties": {
            "EventBusName": {"Ref": "OrdersBus"},
            "StatementId": "OrdersOnlyFromTheIngress",
            "Statement": {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": {"Fn::GetAtt": ["OrdersBus", "Arn"]},
                "Condition": {
                    "StringEquals": {"events:source": "shop.orders"},
                    "ArnNotEquals": {"aws:PrincipalArn": [{"Fn::GetAtt": [f"{INGRESS}Role", "Arn"]}]},
                },
            },
        },
    }


def seeded(tmp_path: Path, *changes: Change) -> CheckReport:
    def apply(document: dict[str, Any]) -> None:
        with_ingress(document)
        for change in changes:
            change(document)

    return check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", apply), PROFILE)


def rule(document: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = resources(document)[RULE]["Properties"]
    return properties


def test_what_the_ingress_puts_back_reaches_the_shops_rule(tmp_path: Path) -> None:
    report = seeded(tmp_path)
    assert report.results.failures("path") == []
    assert report.results.failures("sources") == []
    assert "1 trusted source against 1 bus policy denial" in report.results.examined["sources"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: rule(d).update(State="DISABLED"), id="disabled"),
        pytest.param(lambda d: rule(d).pop("EventBusName"), id="on-the-default-bus"),
        pytest.param(lambda d: rule(d)["EventPattern"].update({"detail-type": ["OrderSent"]}), id="type"),
    ],
)
def test_a_put_back_event_no_rule_matches_fails_naming_the_bus(tmp_path: Path, change: Change) -> None:
    found = failure(seeded(tmp_path, change), "path", "OrdersBus", kind="unrouted")
    assert found.problem == (
        f"the event the ingress {INGRESS} puts back, OrderShipped of shop.orders, "
        "matches no rule on OrdersBus"
    )
    assert found.target == "Ingress"
    assert found.counterexample is not None and found.counterexample["source"] == RAW


def test_a_put_back_event_a_narrowed_rule_misses_fails_with_that_value(tmp_path: Path) -> None:
    def de_only(document: dict[str, Any]) -> None:
        rule(document)["EventPattern"]["detail"] = {"region": ["DE"]}

    found = failure(seeded(tmp_path, de_only), "path", "OrdersBus", kind="unrouted")
    assert found.counterexample is not None
    assert found.counterexample["detail"]["region"] in ("FR", "US")


def put_events_statement(document: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = resources(document)[INGRESS]["Properties"]["Policies"][0]["Statement"][0]
    return statement


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"events:source": "shop.orders"}},
        {"ForAllValues:StringEquals": {"events:source": ["shop.orders", "shop.raw"]}},
        {"StringLike": {"events:source": "shop.*", "events:detail-type": "Order*"}},
    ],
)
def test_a_put_events_condition_admitting_what_the_ingress_puts_back_passes(
    tmp_path: Path, condition: dict[str, Any]
) -> None:
    report = seeded(tmp_path, lambda d: put_events_statement(d).update(Condition=condition))
    assert report.results.failures("sources") == []
    assert [n for n in report.results.notes if n.check == "sources"] == []


@pytest.mark.parametrize(
    ("condition", "refusal"),
    [
        ({"StringEquals": {"events:source": RAW}}, "StringEquals events:source: shop.raw"),
        ({"StringLike": {"events:source": "shop.orders.*"}}, "StringLike events:source: shop.orders.*"),
        ({"StringNotEquals": {"events:source": "shop.orders"}}, "StringNotEquals events:source: shop.orders"),
        (
            {"ForAllValues:StringEquals": {"events:detail-type": "OrderSent"}},
            "ForAllValues:StringEquals events:detail-type: OrderSent",
        ),
    ],
)
def test_a_put_events_condition_refusing_what_the_ingress_puts_back_fails(
    tmp_path: Path, condition: dict[str, Any], refusal: str
) -> None:
    """The ingress may put events on the bus, but not what it puts back: every admitted event is lost."""
    report = seeded(tmp_path, lambda d: put_events_statement(d).update(Condition=condition))
    found = failure(report, "sources", INGRESS)
    assert found.problem == (
        f"ingress of {RAW}: {INGRESS} may not events:PutEvents on "
        "arn:aws:events:us-east-1:000000000000:event-bus/orders for OrderShipped of shop.orders, which it "
        f"puts back (its condition {refusal} refuses it)"
    )
    assert (
        found.hint
        == f"let the Condition of {INGRESS}Role's events:PutEvents statement admit what the ingress puts back"
    )


def test_a_put_events_condition_the_check_cannot_evaluate_is_noted(tmp_path: Path) -> None:
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    report = seeded(tmp_path, lambda d: put_events_statement(d).update(Condition=condition))
    assert report.results.failures("sources") == []
    notes = [n.text for n in report.results.notes if n.check == "sources"]
    assert len(notes) == 1
    assert "not verified" in notes[0] and "StringEquals aws:RequestedRegion" in notes[0]
