"""Event buses (create, update, delete, permissions), rules by target, tags and pagination through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_errors import error_of
from tests.support.eventbridge import module_cloud

ACCOUNT = "000000000000"
LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Worker"
OTHER_LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Other"
PATTERN = '{"source": ["a"]}'


cloud = module_cloud("eb-buses")


def test_create_event_bus_echoes_what_was_given(events: Any) -> None:
    created = events.create_event_bus(
        Name="echoed",
        Description="orders of the shop",
        DeadLetterConfig={"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:bus-dlq"},
    )
    created.pop("ResponseMetadata")
    assert created == {
        "EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/echoed",
        "Description": "orders of the shop",
        "DeadLetterConfig": {"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:bus-dlq"},
    }
    plain = events.create_event_bus(Name="plain")
    assert "Description" not in plain


def test_update_event_bus_changes_what_is_given_and_describe_shows_it(events: Any) -> None:
    events.create_event_bus(Name="updated", Description="before")
    described = events.describe_event_bus(Name="updated")
    updated = events.update_event_bus(Name="updated", Description="after")
    assert updated["Name"] == "updated" and updated["Description"] == "after"
    assert updated["Arn"] == described["Arn"]
    again = events.describe_event_bus(Name="updated")
    assert again["Description"] == "after"
    assert again["LastModifiedTime"] >= described["LastModifiedTime"]
    assert again["CreationTime"] == described["CreationTime"]


def test_update_event_bus_without_a_name_updates_the_default_bus(events: Any) -> None:
    assert events.update_event_bus(Description="the default bus")["Name"] == "default"
    assert events.describe_event_bus()["Description"] == "the default bus"


def test_delete_event_bus_is_quiet_for_a_missing_bus_and_refuses_the_default(events: Any) -> None:
    events.create_event_bus(Name="short-lived")
    events.delete_event_bus(Name="short-lived")
    with pytest.raises(ClientError) as raised:
        events.describe_event_bus(Name="short-lived")
    assert error_of(raised)[0] == "ResourceNotFoundException"
    events.delete_event_bus(Name="never-existed")
    with pytest.raises(ClientError) as raised:
        events.delete_event_bus(Name="default")
    assert error_of(raised) == ("ValidationException", "Cannot delete event bus default.")


def test_delete_event_bus_refuses_while_rules_remain(events: Any) -> None:
    events.create_event_bus(Name="ruled")
    events.put_rule(Name="on-ruled", EventBusName="ruled", EventPattern=PATTERN)
    with pytest.raises(ClientError) as raised:
        events.delete_event_bus(Name="ruled")
    assert error_of(raised)[0] == "ValidationException"
    assert "on-ruled" in error_of(raised)[1]
    events.delete_rule(Name="on-ruled", EventBusName="ruled")
    events.delete_event_bus(Name="ruled")


def test_partner_event_buses_are_refused_by_name(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(
            Name="aws.partner/example.com/app/x", EventSourceName="aws.partner/example.com/app/x"
        )
    code, message = error_of(raised)
    assert code == "UnsupportedOperation" and "partner event buses" in message


def test_put_and_remove_permission_edit_the_bus_policy(events: Any) -> None:
    events.create_event_bus(Name="shared")
    events.put_permission(
        EventBusName="shared", Action="events:PutEvents", Principal="123456789012", StatementId="acct"
    )
    condition = {"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abc123"}
    events.put_permission(
        EventBusName="shared",
        Action="events:PutEvents",
        Principal="*",
        StatementId="org",
        Condition=condition,
    )
    bus_arn = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/shared"
    assert json.loads(events.describe_event_bus(Name="shared")["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "acct",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "events:PutEvents",
                "Resource": bus_arn,
            },
            {
                "Sid": "org",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            },
        ],
    }
    events.remove_permission(EventBusName="shared", StatementId="acct")
    assert [
        s["Sid"] for s in json.loads(events.describe_event_bus(Name="shared")["Policy"])["Statement"]
    ] == ["org"]
    with pytest.raises(ClientError) as raised:
        events.remove_permission(EventBusName="shared", StatementId="acct")
    assert error_of(raised)[0] == "ResourceNotFoundException"
    events.remove_permission(EventBusName="shared", RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name="shared")


def test_put_permission_takes_a_whole_policy(events: Any) -> None:
    events.create_event_bus(Name="policed")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"}
        ],
    }
    events.put_permission(EventBusName="policed", Policy=json.dumps(policy))
    assert json.loads(events.describe_event_bus(Name="policed")["Policy"]) == policy
    with pytest.raises(ClientError) as raised:
        events.put_permission(EventBusName="policed", Policy="not json")
    assert error_of(raised)[0] == "ValidationException"


def test_list_rule_names_by_target_names_the_rules_that_invoke_it(events: Any) -> None:
    events.create_event_bus(Name="by-target")
    for name, arn in (("b-rule", LAMBDA), ("a-rule", LAMBDA), ("c-rule", OTHER_LAMBDA)):
        events.put_rule(Name=name, EventBusName="by-target", EventPattern=PATTERN)
        events.put_targets(Rule=name, EventBusName="by-target", Targets=[{"Id": "t", "Arn": arn}])
    listed = events.list_rule_names_by_target(TargetArn=LAMBDA, EventBusName="by-target")
    assert listed["RuleNames"] == ["a-rule", "b-rule"] and "NextToken" not in listed
    first = events.list_rule_names_by_target(TargetArn=LAMBDA, EventBusName="by-target", Limit=1)
    assert first["RuleNames"] == ["a-rule"]
    second = events.list_rule_names_by_target(
        TargetArn=LAMBDA, EventBusName="by-target", Limit=1, NextToken=first["NextToken"]
    )
    assert second["RuleNames"] == ["b-rule"] and "NextToken" not in second
    assert events.list_rule_names_by_target(TargetArn=LAMBDA)["RuleNames"] == []  # the default bus


def test_list_rules_pages_with_next_token_even_when_rules_change_between_pages(events: Any) -> None:
    events.create_event_bus(Name="paged")
    for index in range(5):
        events.put_rule(Name=f"rule-{index}", EventBusName="paged", EventPattern=PATTERN)
    first = events.list_rules(EventBusName="paged", Limit=2)
    assert [rule["Name"] for rule in first["Rules"]] == ["rule-0", "rule-1"]
    assert "CreatedBy" not in first["Rules"][0]  # ListRules carries the Rule shape, without CreatedBy
    events.delete_rule(Name="rule-1", EventBusName="paged")
    rest = events.list_rules(EventBusName="paged", Limit=2, NextToken=first["NextToken"])
    assert [rule["Name"] for rule in rest["Rules"]] == ["rule-2", "rule-3"]
    last = events.list_rules(EventBusName="paged", Limit=2, NextToken=rest["NextToken"])
    assert [rule["Name"] for rule in last["Rules"]] == ["rule-4"] and "NextToken" not in last
    with pytest.raises(ClientError) as raised:
        events.list_rules(EventBusName="paged", NextToken="not-a-token")
    assert error_of(raised)[0] == "ValidationException"


def test_botocore_paginators_walk_every_page(events: Any) -> None:
    events.put_rule(Name="walked", EventPattern=PATTERN)
    events.put_targets(Rule="walked", Targets=[{"Id": f"t{i}", "Arn": LAMBDA} for i in range(3)])
    pages = events.get_paginator("list_targets_by_rule").paginate(
        Rule="walked", PaginationConfig={"PageSize": 1}
    )
    assert [target["Id"] for page in pages for target in page["Targets"]] == ["t0", "t1", "t2"]
    for index in range(3):
        events.create_event_bus(Name=f"walked-{index}")
    first = events.list_event_buses(NamePrefix="walked-", Limit=2)
    rest = events.list_event_buses(NamePrefix="walked-", Limit=2, NextToken=first["NextToken"])
    assert [bus["Name"] for bus in first["EventBuses"] + rest["EventBuses"]] == [
        "walked-0",
        "walked-1",
        "walked-2",
    ]


def test_rules_and_buses_take_tags(events: Any) -> None:
    bus_arn = events.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "config"}])["EventBusArn"]
    rule_arn = events.put_rule(
        Name="tagged-rule", EventBusName="tagged", EventPattern=PATTERN, Tags=[{"Key": "a", "Value": "1"}]
    )["RuleArn"]
    events.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    events.untag_resource(ResourceARN=rule_arn, TagKeys=["a", "missing"])
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    # PutRule on an existing rule keeps its tags.
    events.put_rule(Name="tagged-rule", EventBusName="tagged", EventPattern=PATTERN)
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"] == [{"Key": "team", "Value": "config"}]


def test_tagging_a_missing_rule_names_rule_and_bus(events: Any) -> None:
    events.create_event_bus(Name="tag-bus")
    for arn, bus in (
        (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/tag-bus/ghost", "tag-bus"),
        (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ghost", "default"),
    ):
        with pytest.raises(ClientError) as raised:
            events.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
        assert error_of(raised) == (
            "ResourceNotFoundException",
            f"Rule ghost does not exist on EventBus {bus}.",
        )
    with pytest.raises(ClientError) as raised:
        events.list_tags_for_resource(ResourceARN=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/ghost")
    assert error_of(raised) == ("ResourceNotFoundException", "Event bus ghost does not exist.")


@pytest.mark.parametrize(
    "arn", ["not-an-arn", "arn:aws:events:us-east-1", "arn:aws:sqs:us-east-1:000000000000:q"]
)
def test_a_malformed_resource_arn_is_a_validation_error(events: Any, arn: str) -> None:
    with pytest.raises(ClientError) as raised:
        events.list_tags_for_resource(ResourceARN=arn)
    assert error_of(raised) == (
        "ValidationException",
        "Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format.",
    )


def test_only_buses_and_rules_take_tags(events: Any) -> None:
    arn = f"arn:aws:events:us-east-1:{ACCOUNT}:connection/c/0f0e0d0c-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as raised:
        events.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(raised)[0] == "ValidationException"


def test_a_sixth_target_answers_aws_limit_message(events: Any) -> None:
    events.put_rule(Name="crowded", EventPattern=PATTERN)
    events.put_targets(Rule="crowded", Targets=[{"Id": f"t{i}", "Arn": LAMBDA} for i in range(5)])
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule="crowded", Targets=[{"Id": "t5", "Arn": LAMBDA}])
    assert error_of(raised) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
    )
    # Replacing an existing target is not a sixth one.
    events.put_targets(Rule="crowded", Targets=[{"Id": "t4", "Arn": OTHER_LAMBDA}])
