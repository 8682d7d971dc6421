"""Local physical ids, ARNs and attributes of template resources (what `Ref` and `Fn::GetAtt` return locally).

Ids are derived from logical ids so they are stable across restarts; ARNs have the shape AWS gives them.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from vcn.arns import DEFAULT_BUS, Arn, bus_name, rule_arn

from .errors import Location

if TYPE_CHECKING:
    from .intrinsics import Resolver

Attributes = dict[str, Callable[[], Any]]


def stable_id(logical_id: str, length: int, prefix: str = "") -> str:
    """A lowercase [a-z2-7] id derived from the logical id (AWS-looking API ids that survive restarts)."""
    digest = hashlib.sha256(f"vcn-local/{logical_id}".encode()).digest()
    return prefix + base64.b32encode(digest).decode().lower()[:length]


def stable_uuid(logical_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vcn-local/{logical_id}"))


class LocalResources:
    """Answers Ref/GetAtt for the resources of the (translated) template, honouring resource Conditions.

    Built by the `Resolver` it belongs to: names, conditions and ids of resources are resolved through it.
    """

    def __init__(self, resources: Mapping[str, Any], resolver: Resolver) -> None:
        self._resources = resources
        self.resolver = resolver
        self._active: dict[str, bool] = {}
        self._api_key_values: dict[str, str] = {}
        self._naming: list[str] = []
        keys = [lid for lid, res in resources.items() if _type(res) == "AWS::AppSync::ApiKey"]
        for index, logical_id in enumerate(keys):
            value = resolver.endpoints.api_key_value
            self._api_key_values[logical_id] = value if index == 0 else f"{value}{index}"

    # -- which resources exist ---------------------------------------------------------------------------

    def is_active(self, logical_id: str) -> bool:
        """False when the resource's Condition is false (CloudFormation would not create it)."""
        if logical_id not in self._active:
            condition = self._resources[logical_id].get("Condition")
            active = True
            if condition is not None:
                if not isinstance(condition, str):
                    raise Location(logical_id, ("Condition",)).error("Condition must name a condition")
                active = self.resolver.condition(condition, Location(logical_id, ("Condition",)))
            self._active[logical_id] = active
        return self._active[logical_id]

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        props = self._resources[logical_id].get("Properties") or {}
        return props if isinstance(props, Mapping) else {}

    def resolved_properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's Properties with every intrinsic resolved."""
        value = self.resolver.resolve(dict(self.properties(logical_id)), Location(logical_id))
        return value if isinstance(value, dict) else {}

    def type_of(self, logical_id: str) -> str:
        return _type(self._resources[logical_id])

    def api_key_value(self, logical_id: str) -> str:
        return self._api_key_values[logical_id]

    def _lookup(self, logical_id: str, at: Location) -> Mapping[str, Any]:
        if logical_id not in self._resources:
            raise at.error(f"{logical_id!r} is neither a parameter nor a resource of the template")
        if not self.is_active(logical_id):
            condition = self._resources[logical_id].get("Condition")
            raise at.error(f"resource {logical_id} is not created (its condition {condition} is false)")
        return self._resources[logical_id]

    # -- Ref / GetAtt -----------------------------------------------------------------------------------

    def ref(self, logical_id: str, at: Location) -> Any:
        resource = self._lookup(logical_id, at)
        attributes = self._attributes(logical_id, _type(resource))
        return attributes["Ref"]() if "Ref" in attributes else logical_id

    def get_att(self, logical_id: str, attribute: str, at: Location) -> Any:
        resource = self._lookup(logical_id, at)
        rtype = _type(resource)
        attributes = self._attributes(logical_id, rtype)
        if attribute not in attributes or attribute == "Ref":
            known = ", ".join(sorted(a for a in attributes if a != "Ref")) or "none"
            raise at.error(
                f"Fn::GetAtt {logical_id}.{attribute}: the local cloud does not know attribute {attribute!r} "
                f"of {rtype} (it knows: {known})"
            )
        return attributes[attribute]()

    def name(self, logical_id: str, prop: str) -> str:
        """The resource's name property resolved, or its logical id when the property is absent."""
        raw = self.properties(logical_id).get(prop)
        if raw is None:
            return logical_id
        if logical_id in self._naming:
            raise Location(logical_id, (prop,)).error(f"{prop} refers to the resource itself")
        self._naming.append(logical_id)
        try:
            value = self.resolver.resolve_optional(raw, Location(logical_id, (prop,)))
        finally:
            self._naming.pop()
        if value is None:
            return logical_id
        if not isinstance(value, str | int):
            raise Location(logical_id, (prop,)).error(f"{prop} must be a string, got {value!r}")
        return str(value)

    def _attributes(self, logical_id: str, rtype: str) -> Attributes:
        builder = _BUILDERS.get(rtype)
        if builder is None:
            return {}
        return builder(self, logical_id)

    # -- shared id helpers --------------------------------------------------------------------------------

    def arn(self, service: str, resource: str, *, account: bool = True, region: bool = True) -> str:
        r = self.resolver
        return str(Arn("aws", service, r.region if region else "", r.account if account else "", resource))

    def appsync_api_id(self, logical_id: str) -> str:
        return stable_id(logical_id, 26)

    def http_api_id(self, logical_id: str) -> str:
        return stable_id(logical_id, 10)

    def bus_name_of(self, raw: Any, at: Location) -> str:
        """A bus given as name or ARN -> its name ('default' when absent)."""
        value = self.resolver.resolve_optional(raw, at) if raw is not None else None
        return bus_name(None if value is None else str(value))


def _type(resource: Any) -> str:
    return str(resource.get("Type", "")) if isinstance(resource, Mapping) else ""


# -- per-type attribute tables -------------------------------------------------------------------------------


def _lambda_function(res: LocalResources, lid: str) -> Attributes:
    arn = res.arn("lambda", f"function:{lid}")  # locally the function name IS the logical id
    return {"Ref": lambda: lid, "Arn": lambda: arn}


def _lambda_version(res: LocalResources, lid: str) -> Attributes:
    props = res.properties(lid)
    function = res.resolver.resolve(props.get("FunctionName", lid), Location(lid, ("FunctionName",)))
    base = function if str(function).startswith("arn:") else res.arn("lambda", f"function:{function}")
    return {"Ref": lambda: f"{base}:1", "Version": lambda: "1", "FunctionArn": lambda: base}


def _lambda_alias(res: LocalResources, lid: str) -> Attributes:
    props = res.properties(lid)
    function = res.resolver.resolve(props.get("FunctionName", lid), Location(lid, ("FunctionName",)))
    base = function if str(function).startswith("arn:") else res.arn("lambda", f"function:{function}")
    return {
        "Ref": lambda: f"{base}:{res.name(lid, 'Name')}",
        "AliasArn": lambda: f"{base}:{res.name(lid, 'Name')}",
    }


def _lambda_layer(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("lambda", f"layer:{res.name(lid, 'LayerName')}:1")  # noqa: E731
    return {"Ref": arn, "LayerVersionArn": arn}


def _iam_role(res: LocalResources, lid: str) -> Attributes:
    return {
        "Ref": lambda: res.name(lid, "RoleName"),
        "Arn": lambda: res.arn("iam", f"role/{res.name(lid, 'RoleName')}", region=False),
        "RoleId": lambda: stable_id(lid, 17, "AROA").upper(),
    }


def _iam_managed_policy(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("iam", f"policy/{res.name(lid, 'ManagedPolicyName')}", region=False)  # noqa: E731
    return {"Ref": arn, "PolicyArn": arn}


def _sqs_queue(res: LocalResources, lid: str) -> Attributes:
    r = res.resolver
    name = lambda: res.name(lid, "QueueName")  # noqa: E731
    url = lambda: f"https://sqs.{r.region}.amazonaws.com/{r.account}/{name()}"  # noqa: E731
    return {"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": lambda: res.arn("sqs", name())}


def _sns_topic(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("sns", res.name(lid, "TopicName"))  # noqa: E731
    return {"Ref": arn, "TopicArn": arn, "TopicName": lambda: res.name(lid, "TopicName")}


def _named_events_path(res: LocalResources, lid: str, name_property: str, kind: str) -> Attributes:
    """A resource whose Ref and `name_property` attribute are its name, and its ARN `events:<kind>/<name>`."""
    name = lambda: res.name(lid, name_property)  # noqa: E731
    return {"Ref": name, name_property: name, "Arn": lambda: res.arn("events", f"{kind}/{name()}")}


def _event_bus(res: LocalResources, lid: str) -> Attributes:
    return _named_events_path(res, lid, "Name", "event-bus")


def _event_rule(res: LocalResources, lid: str) -> Attributes:
    def bus() -> str:
        raw = res.properties(lid).get("EventBusName")
        return res.bus_name_of(raw, Location(lid, ("EventBusName",)))

    def ref() -> str:
        # AWS: Ref of a rule on a custom bus is `bus|rule`
        return res.name(lid, "Name") if bus() == DEFAULT_BUS else f"{bus()}|{res.name(lid, 'Name')}"

    def arn() -> str:
        return rule_arn(res.resolver.region, res.resolver.account, bus(), res.name(lid, "Name"))

    return {"Ref": ref, "Arn": arn}


def _named_events_resource(res: LocalResources, lid: str, kind: str) -> Attributes:
    """A connection or API destination: Ref is its name, its ARN ends in a stable id, or `*` for policies."""
    name = lambda: res.name(lid, "Name")  # noqa: E731
    return {
        "Ref": name,
        "Name": name,
        "Arn": lambda: res.arn("events", f"{kind}/{name()}/{stable_uuid(lid)}"),
        "ArnForPolicy": lambda: res.arn("events", f"{kind}/{name()}/*"),
    }


def _event_connection(res: LocalResources, lid: str) -> Attributes:
    secret = lambda: f"secret:events!connection/{res.name(lid, 'Name')}/{stable_uuid(lid)}"  # noqa: E731
    return {
        **_named_events_resource(res, lid, "connection"),
        "SecretArn": lambda: res.arn("secretsmanager", secret()),
    }


def _api_destination(res: LocalResources, lid: str) -> Attributes:
    return _named_events_resource(res, lid, "api-destination")


def _event_archive(res: LocalResources, lid: str) -> Attributes:
    return _named_events_path(res, lid, "ArchiveName", "archive")


def _scheduler_schedule(res: LocalResources, lid: str) -> Attributes:
    def group() -> str:
        raw = res.properties(lid).get("GroupName")
        value = res.resolver.resolve_optional(raw, Location(lid, ("GroupName",))) if raw is not None else None
        return str(value or "default")

    name = lambda: res.name(lid, "Name")  # noqa: E731
    return {"Ref": name, "Arn": lambda: res.arn("scheduler", f"schedule/{group()}/{name()}")}


def _scheduler_group(res: LocalResources, lid: str) -> Attributes:
    name = lambda: res.name(lid, "Name")  # noqa: E731
    return {
        "Ref": name,
        "Arn": lambda: res.arn("scheduler", f"schedule-group/{name()}"),
        "State": lambda: "ACTIVE",
    }


def _appsync_api(res: LocalResources, lid: str) -> Attributes:
    api_id = res.appsync_api_id(lid)
    arn = res.arn("appsync", f"apis/{api_id}")
    dns = res.resolver.endpoints.appsync_dns
    return {
        "Ref": lambda: arn,
        "ApiArn": lambda: arn,
        "ApiId": lambda: api_id,
        "Dns.Http": lambda: dns,
        "Dns.Realtime": lambda: dns,
    }


def _appsync_child(res: LocalResources, lid: str) -> str:
    """The id of the AppSync API a namespace/key/data source belongs to (its resolved ApiId)."""
    raw = res.properties(lid).get("ApiId")
    value = res.resolver.resolve_optional(raw, Location(lid, ("ApiId",)))
    if not isinstance(value, str):
        raise Location(lid, ("ApiId",)).error("ApiId is required (use !GetAtt <Api>.ApiId)")
    return value


def _appsync_namespace(res: LocalResources, lid: str) -> Attributes:
    def arn() -> str:
        return res.arn("appsync", f"apis/{_appsync_child(res, lid)}/channelNamespace/{res.name(lid, 'Name')}")

    return {"Ref": arn, "ChannelNamespaceArn": arn}


def _appsync_api_key(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("appsync", f"apis/{_appsync_child(res, lid)}/apikeys/{res.api_key_value(lid)}")  # noqa: E731
    return {
        "Ref": arn,
        "Arn": arn,
        "ApiKey": lambda: res.api_key_value(lid),
        "ApiKeyId": lambda: res.api_key_value(lid),
    }


def _appsync_data_source(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("appsync", f"apis/{_appsync_child(res, lid)}/datasources/{res.name(lid, 'Name')}")  # noqa: E731
    return {"Ref": arn, "DataSourceArn": arn, "Name": lambda: res.name(lid, "Name")}


def _http_api(res: LocalResources, lid: str) -> Attributes:
    api_id = res.http_api_id(lid)
    return {
        "Ref": lambda: api_id,
        "ApiId": lambda: api_id,
        "ApiEndpoint": lambda: res.resolver.endpoints.api_url,
    }


def _rest_api(res: LocalResources, lid: str) -> Attributes:
    api_id = res.http_api_id(lid)
    return {"Ref": lambda: api_id, "RestApiId": lambda: api_id, "RootResourceId": lambda: stable_id(lid, 10)}


def _stage(res: LocalResources, lid: str) -> Attributes:
    return {"Ref": lambda: res.name(lid, "StageName")}


def _cloudwatch_alarm(res: LocalResources, lid: str) -> Attributes:
    name = lambda: res.name(lid, "AlarmName")  # noqa: E731
    return {"Ref": name, "Arn": lambda: res.arn("cloudwatch", f"alarm:{name()}")}


def _log_group(res: LocalResources, lid: str) -> Attributes:
    name = lambda: res.name(lid, "LogGroupName")  # noqa: E731
    return {"Ref": name, "Arn": lambda: res.arn("logs", f"log-group:{name()}:*")}


def _secret(res: LocalResources, lid: str) -> Attributes:
    arn = lambda: res.arn("secretsmanager", f"secret:{res.name(lid, 'Name')}-{stable_id(lid, 6)}")  # noqa: E731
    return {"Ref": arn, "Id": arn}


def _dynamodb_table(res: LocalResources, lid: str) -> Attributes:
    name = lambda: res.name(lid, "TableName")  # noqa: E731
    arn = lambda: res.arn("dynamodb", f"table/{name()}")  # noqa: E731
    return {"Ref": name, "Arn": arn, "StreamArn": lambda: f"{arn()}/stream/1970-01-01T00:00:00.000"}


def _s3_bucket(res: LocalResources, lid: str) -> Attributes:
    name = lambda: res.name(lid, "BucketName").lower()  # noqa: E731
    return {
        "Ref": name,
        "Arn": lambda: f"arn:aws:s3:::{name()}",
        "DomainName": lambda: f"{name()}.s3.amazonaws.com",
        "RegionalDomainName": lambda: f"{name()}.s3.{res.resolver.region}.amazonaws.com",
    }


_BUILDERS: dict[str, Callable[[LocalResources, str], Attributes]] = {
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Version": _lambda_version,
    "AWS::Lambda::Alias": _lambda_alias,
    "AWS::Lambda::LayerVersion": _lambda_layer,
    "AWS::IAM::Role": _iam_role,
    "AWS::IAM::ManagedPolicy": _iam_managed_policy,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::SNS::Topic": _sns_topic,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _event_rule,
    "AWS::Events::Connection": _event_connection,
    "AWS::Events::ApiDestination": _api_destination,
    "AWS::Events::Archive": _event_archive,
    "AWS::Scheduler::Schedule": _scheduler_schedule,
    "AWS::Scheduler::ScheduleGroup": _scheduler_group,
    "AWS::AppSync::Api": _appsync_api,
    "AWS::AppSync::ChannelNamespace": _appsync_namespace,
    "AWS::AppSync::ApiKey": _appsync_api_key,
    "AWS::AppSync::DataSource": _appsync_data_source,
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::ApiGatewayV2::Stage": _stage,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Stage": _stage,
    "AWS::CloudWatch::Alarm": _cloudwatch_alarm,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::S3::Bucket": _s3_bucket,
}
