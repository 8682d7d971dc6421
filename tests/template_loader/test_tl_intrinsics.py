"""Template loader: YAML short tags, every intrinsic function, pseudo parameters, conditions and their errors.

Each template exposes the value under test as an Output, which is what `load_stack` resolves last.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.templates import EVENTS_API, template, write_template
from vcn.template import LocalEndpoints, TemplateError, load_stack
from vcn.template.yaml_loader import parse_template

HEADER = """
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Subnets: {Type: CommaDelimitedList, Default: "a, b ,c"}
  Rate: {Type: Number, Default: 300}
Mappings:
  Sizes:
    dev: {memory: 128, tier: small}
    prod: {memory: 1024, tier: large}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  DevAndFast: !And [!Condition IsDev, !Equals [!Ref Rate, "300"]]
  ProdOrSlow: !Or [!Condition IsProd, !Equals [!Ref Rate, "1"]]
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "orders-${Env}"}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: dead-letters}
  ProdOnlyQueue:
    Type: AWS::SQS::Queue
    Condition: IsProd
"""


def outputs(
    tmp_path: Path, body: str, overrides: dict[str, str] | None = None, resources: str = ""
) -> dict[str, str]:
    """Load HEADER + extra resources (indented under Resources) + body (Outputs) and return the outputs."""
    path = write_template(
        tmp_path, HEADER + textwrap.indent(textwrap.dedent(resources), "  ") + textwrap.dedent(body)
    )
    return load_stack(path, parameter_overrides=overrides or {}).outputs


def load_error(
    tmp_path: Path, body: str, overrides: dict[str, str] | None = None, resources: str = ""
) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        outputs(tmp_path, body, overrides, resources)
    return info.value


def test_short_tags_become_long_form() -> None:
    document = parse_template(
        textwrap.dedent(
            """
            Resources:
              A:
                Type: X
                Properties:
                  Ref: !Ref Foo
                  Att: !GetAtt Api.Dns.Http
                  AttList: !GetAtt [Api, ApiId]
                  Sub: !Sub "x-${Foo}"
                  SubList: !Sub ["${a}", {a: !Ref Foo}]
                  Join: !Join [",", [a, b]]
                  If: !If [Cond, 1, 2]
                  Select: !Select [0, !Split [",", "a,b"]]
                  Map: !FindInMap [M, k, v]
                  Cond: !And [!Equals [a, b], !Or [!Not [!Condition C], !Condition D]]
                  B64: !Base64 text
                  Azs: !GetAZs ""
                  Import: !ImportValue other-stack-export
                  Date: 2024-01-01
            """
        )
    )
    props = document["Resources"]["A"]["Properties"]
    assert props["Ref"] == {"Ref": "Foo"}
    assert props["Att"] == {"Fn::GetAtt": ["Api", "Dns.Http"]}
    assert props["AttList"] == {"Fn::GetAtt": ["Api", "ApiId"]}
    assert props["Sub"] == {"Fn::Sub": "x-${Foo}"}
    assert props["SubList"] == {"Fn::Sub": ["${a}", {"a": {"Ref": "Foo"}}]}
    assert props["Join"] == {"Fn::Join": [",", ["a", "b"]]}
    assert props["If"] == {"Fn::If": ["Cond", 1, 2]}
    assert props["Select"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert props["Map"] == {"Fn::FindInMap": ["M", "k", "v"]}
    assert props["Cond"] == {
        "Fn::And": [
            {"Fn::Equals": ["a", "b"]},
            {"Fn::Or": [{"Fn::Not": [{"Condition": "C"}]}, {"Condition": "D"}]},
        ]
    }
    assert props["B64"] == {"Fn::Base64": "text"}
    assert props["Azs"] == {"Fn::GetAZs": ""}
    assert props["Import"] == {"Fn::ImportValue": "other-stack-export"}
    assert props["Date"] == "2024-01-01"  # CloudFormation keeps dates as strings


def test_invalid_yaml_and_missing_resources_are_reported() -> None:
    with pytest.raises(TemplateError, match="not valid YAML"):
        parse_template("Resources: [unclosed", "t.yaml")
    with pytest.raises(TemplateError, match="has no Resources section"):
        parse_template("Parameters: {}", "t.yaml")


# Each case: the Outputs section of a template on HEADER, and every output it resolves to.
RESOLVED_OUTPUTS = {
    "ref-of-parameters-pseudo-parameters-and-resources": (
        """
        Outputs:
          Env: {Value: !Ref Env}
          Region: {Value: !Ref AWS::Region}
          Account: {Value: !Ref AWS::AccountId}
          Stack: {Value: !Ref AWS::StackName}
          Partition: {Value: !Ref AWS::Partition}
          Suffix: {Value: !Ref AWS::URLSuffix}
          BusName: {Value: !Ref Bus}
          QueueUrl: {Value: !Ref Queue}
          Subnets: {Value: !Join ["|", !Ref Subnets]}
        """,
        {
            "Env": "dev",
            "Region": "us-east-1",
            "Account": "000000000000",
            "Stack": "vcn-local",
            "Partition": "aws",
            "Suffix": "amazonaws.com",
            "BusName": "orders-dev",
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/dead-letters",
            "Subnets": "a|b|c",
        },
    ),
    "get-att-in-both-forms": (
        """
        Outputs:
          BusArn: {Value: !GetAtt Bus.Arn}
          QueueArn: {Value: !GetAtt [Queue, Arn]}
          QueueName: {Value: {"Fn::GetAtt": "Queue.QueueName"}}
        """,
        {
            "BusArn": "arn:aws:events:us-east-1:000000000000:event-bus/orders-dev",
            "QueueArn": "arn:aws:sqs:us-east-1:000000000000:dead-letters",
            "QueueName": "dead-letters",
        },
    ),
    "sub-with-references-attributes-variables-and-escapes": (
        """
        Outputs:
          Plain: {Value: !Sub "${AWS::Region}/${Env}/${Bus}/${Queue.Arn}"}
          WithVariables: {Value: !Sub ["${Name}-${Env}-${Count}", {Name: !GetAtt Queue.QueueName, Count: 3}]}
          Escaped: {Value: !Sub "${!Literal} and ${!Env}"}
        """,
        {
            "Plain": "us-east-1/dev/orders-dev/arn:aws:sqs:us-east-1:000000000000:dead-letters",
            "WithVariables": "dead-letters-dev-3",
            "Escaped": "${Literal} and ${Env}",
        },
    ),
    "join-select-split-base64-getazs-findinmap": (
        """
        Outputs:
          Join: {Value: !Join ["-", [a, !Ref Env, 7]]}
          Select: {Value: !Select [1, !Ref Subnets]}
          SelectIndexFromString: {Value: !Select ["2", [x, y, z]]}
          Split: {Value: !Select [2, !Split ["/", "a/b/c"]]}
          Base64: {Value: !Base64 "hello"}
          Azs: {Value: !Select [0, !GetAZs ""]}
          Memory: {Value: !FindInMap [Sizes, !Ref Env, memory]}
          Tier: {Value: !FindInMap [Sizes, prod, tier]}
          Default: {Value: !FindInMap [Sizes, test, tier, {DefaultValue: tiny}]}
        """,
        {
            "Join": "a-dev-7",
            "Select": "b",
            "SelectIndexFromString": "z",
            "Split": "c",
            "Base64": "aGVsbG8=",
            "Azs": "us-east-1a",
            "Memory": "128",
            "Tier": "large",
            "Default": "tiny",
        },
    ),
    "to-json-string-and-length": (
        """
        Outputs:
          Json: {Value: {"Fn::ToJsonString": {a: [1, !Ref Env]}}}
          Length: {Value: {"Fn::Length": !Ref Subnets}}
        """,
        {"Json": '{"a":[1,"dev"]}', "Length": "3"},
    ),
}


@pytest.mark.parametrize(("body", "expected"), RESOLVED_OUTPUTS.values(), ids=RESOLVED_OUTPUTS.keys())
def test_intrinsics_resolve_as_on_aws(tmp_path: Path, body: str, expected: dict[str, str]) -> None:
    assert outputs(tmp_path, body) == expected


def test_conditions_if_and_no_value(tmp_path: Path) -> None:
    body = """
        Outputs:
          Chosen: {Value: !If [IsProd, big, small]}
          And: {Value: !If [DevAndFast, yes-and, no-and]}
          Or: {Value: !If [ProdOrSlow, yes-or, no-or]}
          Equals: {Value: !Equals [!Ref Env, dev]}
          List: {Value: !Join [",", [one, !If [IsProd, two, !Ref AWS::NoValue], three]]}
          Skipped: {Value: !If [IsProd, !GetAtt ProdOnlyQueue.Arn, none]}
          ProdOnly:
            Condition: IsProd
            Value: !GetAtt ProdOnlyQueue.Arn
        """
    dev = outputs(tmp_path, body)
    assert dev == {
        "Chosen": "small",
        "And": "yes-and",
        "Or": "no-or",
        "Equals": "true",
        "List": "one,three",
        "Skipped": "none",
    }
    prod = outputs(tmp_path, body, {"Env": "prod"})
    assert prod["Chosen"] == "big" and prod["And"] == "no-and" and prod["Or"] == "yes-or"
    assert prod["List"] == "one,two,three"
    assert prod["ProdOnly"] == "arn:aws:sqs:us-east-1:000000000000:ProdOnlyQueue"


def test_local_endpoints_replace_aws_only_values(tmp_path: Path) -> None:
    resources = """
        Key:
          Type: AWS::AppSync::ApiKey
          Properties: {ApiId: !GetAtt EventsApi.ApiId}
        HttpApi:
          Type: AWS::ApiGatewayV2::Api
          Properties: {Name: api, ProtocolType: HTTP}
    """
    exposed = """
        Http: {Value: !GetAtt EventsApi.Dns.Http}
        Realtime: {Value: !Sub "wss://${EventsApi.Dns.Realtime}/event/realtime"}
        Publish: {Value: !Sub "https://${EventsApi.Dns.Http}/event"}
        Joined: {Value: !Join ["", ["https://", !GetAtt EventsApi.Dns.Http, "/event"]]}
        Key: {Value: !GetAtt Key.ApiKey}
        ApiRef: {Value: !Ref EventsApi}
        ApiId: {Value: !GetAtt EventsApi.ApiId}
        ApiUrl: {Value: !Sub "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"}
        ApiEndpoint: {Value: !GetAtt HttpApi.ApiEndpoint}
        Remote: {Value: "https://example.com:4020/x"}
    """
    path = write_template(tmp_path, template("", EVENTS_API, resources, outputs=exposed))
    endpoints = LocalEndpoints(
        appsync_port=5120, api_port=5100, eventbridge_port=5110, api_key_value="da2-test"
    )
    result = load_stack(path, endpoints=endpoints).outputs
    assert result["Http"] == "127.0.0.1:5120"
    assert result["Realtime"] == "ws://127.0.0.1:5120/event/realtime"
    assert result["Publish"] == result["Joined"] == "http://127.0.0.1:5120/event"
    assert result["Key"] == "da2-test"
    assert result["ApiRef"] == f"arn:aws:appsync:us-east-1:000000000000:apis/{result['ApiId']}"
    assert len(result["ApiId"]) == 26
    assert result["ApiUrl"] == "http://127.0.0.1:5100/"
    assert result["ApiEndpoint"] == "http://127.0.0.1:5100"
    assert result["Remote"] == "https://example.com:4020/x"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Outputs:\n  X: {Value: !GetAtt Queue.Nope}\n",
            "Outputs.X, property Value: Fn::GetAtt Queue.Nope: the local cloud does not know "
            "attribute 'Nope' of AWS::SQS::Queue (it knows: Arn, QueueName, QueueUrl)",
        ),
        ("Outputs:\n  X: {Value: !Ref Missing}\n", "'Missing' is neither a parameter nor a resource"),
        ("Outputs:\n  X: {Value: !ImportValue shared-vpc}\n", "Fn::ImportValue cannot be resolved locally"),
        ("Outputs:\n  X: {Value: !Ref AWS::Unknown}\n", "pseudo parameter AWS::Unknown is not supported"),
        ("Outputs:\n  X: {Value: {'Fn::Cidr': [a, 1, 2]}}\n", "Fn::Cidr cannot be resolved locally"),
        ("Outputs:\n  X: {Value: {'Fn::Bogus': 1}}\n", "intrinsic function Fn::Bogus is not supported"),
        (
            "Outputs:\n  X: {Value: !GetAtt ProdOnlyQueue.Arn}\n",
            "ProdOnlyQueue is not created (its condition IsProd",
        ),
        (
            "Outputs:\n  X: {Value: !If [NoSuchCondition, a, b]}\n",
            "condition 'NoSuchCondition' is not defined",
        ),
        (
            "Outputs:\n  X: {Value: !Select [5, [a, b]]}\n",
            "Fn::Select index 5 is out of range for a list of 2",
        ),
        (
            "Outputs:\n  X: {Value: !FindInMap [Sizes, qa, memory]}\n",
            "top-level key 'qa' is not in Mappings.Sizes",
        ),
        ("Outputs:\n  X: {Value: !Sub '${Subnets}'}\n", "${Subnets} in Fn::Sub must be a string"),
    ],
)
def test_unresolvable_values_name_the_place_and_the_problem(tmp_path: Path, body: str, expected: str) -> None:
    error = load_error(tmp_path, body)
    assert expected in str(error)
    assert error.resource == "Outputs.X"


def test_conditions_that_refer_to_each_other_in_a_cycle_are_reported(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        """
        Conditions:
          A: !Condition B
          B: !Not [!Condition A]
        Resources:
          Queue: {Type: AWS::SQS::Queue, Condition: A}
        """,
    )
    with pytest.raises(TemplateError, match="cycle: A -> B -> A"):
        load_stack(path)


def test_unresolvable_value_in_an_emulated_resource_names_resource_and_property(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        "",
        resources="""
        Rule:
          Type: AWS::Events::Rule
          Properties:
            EventBusName: !Ref Bus
            EventPattern: {source: [a]}
            Targets:
              - Id: t
                Arn: !GetAtt Queue.Arn
                RoleArn: !GetAtt Bus.Owner
        """,
    )
    assert error.resource == "Rule"
    assert error.property == "Targets[0].RoleArn"
    assert "attribute 'Owner' of AWS::Events::EventBus" in str(error)
