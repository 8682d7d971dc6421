"""The environment a local Lambda worker starts with: what Lambda sets, the template's, the local cloud's.

The parent's environment is NOT inherited (Lambda's is clean too): real AWS credentials never leak in.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping

from .config import FunctionSpec

# Host variables a Python process needs to run at all
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT", "SSL_CERT_FILE")

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAVCNLOCALLAMBDA00",
    "AWS_SECRET_ACCESS_KEY": "vcn-local-lambda-secret",
    "AWS_SESSION_TOKEN": "vcn-local-lambda-session",
}


def log_stream_name() -> str:
    return time.strftime("%Y/%m/%d", time.gmtime()) + "/[$LATEST]" + secrets.token_hex(16)


def worker_environment(
    spec: FunctionSpec, extra_env: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Reserved Lambda variables, the function's, the user's `overrides` (--env-vars), then the local cloud's
    (`extra_env` wins)."""
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name(),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            **DUMMY_CREDENTIALS,
        }
    )
    env.update(spec.environment)
    env.update(overrides or {})
    env["POWERTOOLS_TRACE_DISABLED"] = "true"  # there is no X-Ray daemon locally
    env.update(extra_env)
    return env
