"""What an AWS service said when it refused a call made with boto3: the tests compare it to AWS's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of the refusal `pytest.raises` caught."""
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def refusal(call: Callable[..., Any], **request: Any) -> dict[str, str]:
    """Makes a call that must be refused and returns the whole `Error` of the reply (its code and message)."""
    with pytest.raises(ClientError) as refused:
        call(**request)
    return {key: str(value) for key, value in refused.value.response["Error"].items()}
