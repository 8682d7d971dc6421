"""A small asynchronous DynamoDB client for the local cloud's own calls (it creates the template's tables).

It speaks the same JSON protocol as every SDK; requests carry a SigV4-shaped Authorization header only so the
service knows their region (the local DynamoDB does not check signatures).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from .errors import DynamoDbError

_TARGET = "DynamoDB_20120810."


class DynamoDbClient:
    def __init__(self, url: str, region: str) -> None:
        self.url = url.rstrip("/") + "/"
        self.region = region
        self._session: aiohttp.ClientSession | None = None

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """The operation's result; raises DynamoDbError with DynamoDB's error type when it is refused."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": _TARGET + operation,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20200101/{self.region}/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=local",
        }
        async with self._session.post(self.url, data=json.dumps(request), headers=headers) as response:
            body = await response.read()
        reply: dict[str, Any] = json.loads(body or b"{}")
        if response.status >= 300:
            error_type = str(reply.get("__type", f"HTTP {response.status}")).rsplit("#", 1)[-1]
            raise DynamoDbError(error_type, str(reply.get("message") or reply.get("Message") or ""))
        return reply

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
