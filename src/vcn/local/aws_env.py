"""The AWS environment local functions see: the local endpoints (the runtime adds dummy credentials)."""

from __future__ import annotations

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.lambda_runtime.environment import DUMMY_CREDENTIALS

# Access key -> secret pairs the local AppSync accepts for AWS_IAM (SigV4) requests: the Lambda workers'.
LOCAL_IAM_CREDENTIALS = {DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]: DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}


def function_environment(
    eventbridge_url: str,
    region: str = LOCAL_ACCOUNT.region,
    *,
    appsync_url: str | None = None,
    dynamodb_url: str | None = None,
) -> dict[str, str]:
    """Variables added to every function so boto3 calls reach the local cloud, never a real account.

    `appsync_url` (`http://host:port` of the AppSync port) serves AppSync's control plane (API keys);
    `dynamodb_url` is the local DynamoDB, when the template has tables."""
    environment = {
        "AWS_ENDPOINT_URL_EVENTBRIDGE": eventbridge_url,
        # Every other service also points here, so a stray SDK call fails loudly instead of reaching AWS.
        "AWS_ENDPOINT_URL": eventbridge_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if appsync_url is not None:
        environment["AWS_ENDPOINT_URL_APPSYNC"] = appsync_url
    if dynamodb_url is not None:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
    return environment
