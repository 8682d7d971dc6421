"""Lambda functions as the local runtime takes them (`FunctionSpec`), in the local account and region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.lambda_runtime import FunctionSpec


def local_function(name: str, code_dir: Path, handler: str, **settings: Any) -> FunctionSpec:
    """Function `name` (`handler` in `code_dir`) in the local account and region; `settings` are the
    spec's other fields (timeout, environment, async_invoke, ...)."""
    return FunctionSpec(
        name=name,
        code_dir=code_dir,
        handler=handler,
        region=LOCAL_ACCOUNT.region,
        account=LOCAL_ACCOUNT.account_id,
        **settings,
    )
