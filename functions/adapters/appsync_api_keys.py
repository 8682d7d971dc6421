"""The `ApiKeys` port over AppSync's control plane (boto3 `appsync`: ListApiKeys, UpdateApiKey)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from key_keeper.lifetime import ApiKeyState, KeyNotExtended


class AppSyncApiKeys:
    def __init__(self, api_id: str, client: Any) -> None:
        self.api_id = api_id
        self._client = client

    def list_keys(self) -> Sequence[ApiKeyState]:
        keys: list[ApiKeyState] = []
        for page in self._client.get_paginator("list_api_keys").paginate(apiId=self.api_id):
            keys.extend(ApiKeyState(key["id"], int(key["expires"])) for key in page.get("apiKeys", []))
        return keys

    def extend(self, key_id: str, expires: int) -> ApiKeyState:
        from botocore.exceptions import ClientError  # with boto3, which the caller has imported already

        try:
            reply = self._client.update_api_key(apiId=self.api_id, id=key_id, expires=expires)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise KeyNotExtended(f"{details.get('Code')}: {details.get('Message')}") from None
        key = reply["apiKey"]
        return ApiKeyState(key["id"], int(key["expires"]))


def appsync_api_keys(api_id: str) -> AppSyncApiKeys:
    import boto3  # imported here: only a run that reaches AWS needs it

    return AppSyncApiKeys(api_id, boto3.client("appsync"))
