"""Whether AppSync Events may call the functions an API relies on: its Lambda authorizer and the functions of
its namespaces' handlers.

An `AWS_LAMBDA` auth provider is invoked by `appsync.amazonaws.com` through the function's resource policy:
an `AWS::Lambda::Permission` for that principal, with no `SourceArn` or the API's. Without it every connect
and subscribe that uses the mode is refused, and no subscriber receives anything.

A namespace handler (`OnSubscribe`, `OnPublish`) with a `DataSourceName` calls the function of that
`AWS_LAMBDA` data source as the data source's `ServiceRoleArn`: the role must let `appsync.amazonaws.com`
assume it and allow `lambda:InvokeFunction` on that function. Otherwise every subscribe (or publish) of the
namespace fails. A function or a role of another stack is noted as not verified.

A handler whose `LambdaConfig.InvokeType` is `EVENT` invokes its function asynchronously, as a rule invokes a
function target: what the function fails on is retried by Lambda and then dropped unless the function keeps
it. `event_handlers` lists those functions for the targets check, which asks the same of them as of a
function target (`targets`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vcn.check.findings import IAM, CheckResults, Finding
from vcn.check.iam import role_statements
from vcn.check.invoke_permissions import (
    INVOKE_FUNCTION,
    function_permission,
    missing_permission,
    trusts,
)
from vcn.template.errors import TemplateError
from vcn.template.view import TemplateView

APPSYNC = "appsync.amazonaws.com"
HANDLERS = ("OnSubscribe", "OnPublish")
REQUEST_RESPONSE, EVENT = "REQUEST_RESPONSE", "EVENT"  # a handler's LambdaConfig.InvokeType


def check_appsync_invoke(view: TemplateView) -> CheckResults:
    results = CheckResults()
    functions = view.by_arn("AWS::Lambda::Function")
    for api in view.logical_ids("AWS::AppSync::Api"):
        for uri in _authorizers(view, api):
            _check_authorizer(view, api, uri, functions, results)
    roles = view.by_arn("AWS::IAM::Role")
    used: dict[str, list[str]] = {}  # data source name -> `<handler> of namespace <logical id>`
    for namespace, handler, source, _ in _handlers(view):
        used.setdefault(source, []).append(f"{handler} of namespace {namespace}")
    for source, handlers in used.items():
        found = _lambda_data_source(view, source)
        if found is None:
            continue  # not a Lambda data source of this template
        data_source, function_arn, role_arn = found
        if role_arn is not None and role_arn not in roles:
            results.note(
                IAM, f"not verified: {data_source} calls its function as {role_arn}, a role of another stack"
            )
            continue
        problem = _role_problem(view, roles, role_arn, function_arn, functions)
        if problem is not None:
            function = functions.get(function_arn, function_arn)
            results.fail(
                Finding(
                    IAM,
                    data_source,
                    f"{problem}: every {', '.join(handlers)} fails",
                    hint=f"give {data_source} a ServiceRoleArn whose role {APPSYNC} may assume and that "
                    f"allows {INVOKE_FUNCTION} on {function}",
                )
            )
    return results


def _check_authorizer(
    view: TemplateView, api: str, uri: str, functions: Mapping[str, str], results: CheckResults
) -> None:
    function = functions.get(uri)
    if function is None:
        results.note(IAM, f"not verified: {api}'s Lambda authorizer {uri} is not a function of this template")
        return
    api_arn = str(view.resolve({"Fn::GetAtt": [api, "ApiArn"]}, api))
    allowed, others = function_permission(view, uri, APPSYNC, api_arn)
    if allowed:
        return
    results.fail(
        Finding(
            IAM,
            function,
            f"AppSync may not invoke {function}, the Lambda authorizer of {api} "
            f"({missing_permission(APPSYNC, others)}): every connect and subscribe with AWS_LAMBDA is "
            "refused",
            hint=f"add an AWS::Lambda::Permission: Action {INVOKE_FUNCTION}, FunctionName !GetAtt "
            f"{function}.Arn, Principal {APPSYNC}, SourceArn !GetAtt {api}.ApiArn",
        )
    )


def _role_problem(
    view: TemplateView,
    roles: Mapping[str, str],
    role_arn: str | None,
    function_arn: str,
    functions: Mapping[str, str],
) -> str | None:
    function = functions.get(function_arn, function_arn)
    if role_arn is None:
        return f"no ServiceRoleArn: AppSync has no role to invoke {function} with"
    role = roles[role_arn]
    if not trusts(view, role, APPSYNC):
        return f"role {role} does not let {APPSYNC} assume it"
    if not any(s.allows(INVOKE_FUNCTION, function_arn) for s in role_statements(view, role)):
        return f"role {role} may not {INVOKE_FUNCTION} on {function}"
    return None


def _resolved(view: TemplateView, lid: str) -> Mapping[str, Any]:
    try:
        return view.resolved(lid)
    except TemplateError:
        return {}


def _authorizers(view: TemplateView, api: str) -> Iterator[str]:
    config = _resolved(view, api).get("EventConfig")
    providers = config.get("AuthProviders") if isinstance(config, Mapping) else None
    for provider in providers if isinstance(providers, list) else []:
        if isinstance(provider, Mapping) and provider.get("AuthType") == "AWS_LAMBDA":
            uri = (provider.get("LambdaAuthorizerConfig") or {}).get("AuthorizerUri")
            if isinstance(uri, str):
                yield uri


def event_handlers(view: TemplateView) -> dict[str, list[str]]:
    """Function ARN -> `<handler> of namespace <logical id>` of each handler that invokes a Lambda data
    source's function in EVENT mode (asynchronously)."""
    invoked: dict[str, list[str]] = {}
    for namespace, handler, source, invoke_type in _handlers(view):
        found = _lambda_data_source(view, source) if invoke_type == EVENT else None
        if found is not None:
            invoked.setdefault(found[1], []).append(f"{handler} of namespace {namespace}")
    return invoked


def _handlers(view: TemplateView) -> Iterator[tuple[str, str, str, str]]:
    """(namespace logical id, handler, data source name, invoke type) of every handler with an integration."""
    for namespace in view.logical_ids("AWS::AppSync::ChannelNamespace"):
        configs = _resolved(view, namespace).get("HandlerConfigs")
        for handler in HANDLERS:
            config = configs.get(handler) if isinstance(configs, Mapping) else None
            integration = config.get("Integration") if isinstance(config, Mapping) else None
            name = integration.get("DataSourceName") if isinstance(integration, Mapping) else None
            lambda_config = integration.get("LambdaConfig") if isinstance(integration, Mapping) else None
            invoke_type = lambda_config.get("InvokeType") if isinstance(lambda_config, Mapping) else None
            if isinstance(name, str):
                mode = invoke_type if isinstance(invoke_type, str) else REQUEST_RESPONSE
                yield namespace, handler, name, mode


def _lambda_data_source(view: TemplateView, name: str) -> tuple[str, str, str | None] | None:
    """(logical id, function ARN, service role ARN) of the Lambda data source named `name`."""
    for lid in view.logical_ids("AWS::AppSync::DataSource"):
        properties = _resolved(view, lid)
        function_arn = (properties.get("LambdaConfig") or {}).get("LambdaFunctionArn")
        if properties.get("Name") == name and isinstance(function_arn, str):
            role = properties.get("ServiceRoleArn")
            return lid, function_arn, role if isinstance(role, str) else None
    return None
