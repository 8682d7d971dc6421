"""What the Lambda runtime needs to know about one function: its code, handler, limits and environment.

The template loader makes `FunctionSpec`s from `AWS::Lambda::Function` resources; the runtime reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vcn.arns import Arn


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """How Lambda handles a function's asynchronous invocations (`AWS::Lambda::EventInvokeConfig`)."""

    maximum_retry_attempts: int = 2  # 0..2 retries after the first attempt fails
    maximum_event_age_seconds: int = 21600  # 60..21600: an older event is not attempted again
    on_failure: str | None = None  # destination ARN for the invocation record of a failed event


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """One Lambda function, named locally by its logical id, in the account and region it runs in."""

    name: str
    code_dir: Path
    handler: str
    region: str
    account: str
    runtime: str = "python3.13"
    architecture: str = "x86_64"
    timeout: int = 3
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    dead_letter_arn: str | None = None  # DeadLetterConfig.TargetArn: where failed async invocations go
    async_invoke: AsyncInvokeConfig = AsyncInvokeConfig()

    @property
    def arn(self) -> str:
        return str(Arn("aws", "lambda", self.region, self.account, f"function:{self.name}"))
