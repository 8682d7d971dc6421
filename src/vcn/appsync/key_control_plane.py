"""AppSync's control plane for API keys over REST-JSON, as boto3's `appsync` client calls it
(`AWS_ENDPOINT_URL_APPSYNC` or `endpoint_url` pointed at the AppSync port):

    CreateApiKey  POST   /v1/apis/{apiId}/apikeys        {"description", "expires"} -> {"apiKey": ..}
    ListApiKeys   GET    /v1/apis/{apiId}/apikeys?maxResults=&nextToken=  -> {"apiKeys": [..], "nextToken"}
    UpdateApiKey  POST   /v1/apis/{apiId}/apikeys/{id}   {"description", "expires"} -> {"apiKey": ..}
    DeleteApiKey  DELETE /v1/apis/{apiId}/apikeys/{id}   -> {}

Errors carry the type in `x-amzn-ErrorType` (where botocore reads it) and `{"message"}` in the body. Requests
are not checked for a signature: any credentials will do, as with the local EventBridge.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from vcn.appsync.api_keys import ApiKeyError, ApiKeyRecord, ApiKeyStore

MAX_RESULTS = 25


def add_key_routes(app: web.Application, store: ApiKeyStore) -> None:
    routes = KeyRoutes(store)
    app.router.add_get("/v1/apis/{api_id}/apikeys", routes.list_keys)
    app.router.add_post("/v1/apis/{api_id}/apikeys", routes.create)
    app.router.add_post("/v1/apis/{api_id}/apikeys/{key_id}", routes.update)
    app.router.add_delete("/v1/apis/{api_id}/apikeys/{key_id}", routes.delete)


def _bad_request(message: str) -> ApiKeyError:
    return ApiKeyError("BadRequestException", message, 400)


def _error(error: ApiKeyError) -> web.Response:
    return web.json_response(
        {"message": error.message}, status=error.status, headers={"x-amzn-ErrorType": error.error_type}
    )


class KeyRoutes:
    def __init__(self, store: ApiKeyStore) -> None:
        self._store = store

    def _api(self, request: web.Request) -> None:
        api_id = request.match_info["api_id"]
        if api_id != self._store.api_id:
            # UNCONFIRMED: AppSync's wording for an unknown API id.
            raise ApiKeyError("NotFoundException", f"GraphQL API {api_id} not found.", 404)

    async def _fields(self, request: web.Request) -> tuple[str | None, int | None]:
        """`description` and `expires` of a create/update body, checked as the service model types them."""
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            raise _bad_request("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _bad_request("The request body must be a JSON object.")
        description, expires = body.get("description"), body.get("expires")
        if description is not None and not isinstance(description, str):
            raise _bad_request("description must be a string.")
        if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
            raise _bad_request("expires must be a whole number of seconds since the epoch.")
        return description, expires

    async def list_keys(self, request: web.Request) -> web.Response:
        try:
            self._api(request)
            start = _token(request.query.get("nextToken"))
            size = _max_results(request.query.get("maxResults"))
        except ApiKeyError as error:
            return _error(error)
        keys = self._store.list_keys()
        page = keys[start : start + size]
        reply: dict[str, Any] = {"apiKeys": [record.to_api() for record in page]}
        if start + size < len(keys):
            reply["nextToken"] = str(start + size)
        return web.json_response(reply)

    async def create(self, request: web.Request) -> web.Response:
        return await self._write(request, self._store.create)

    async def update(self, request: web.Request) -> web.Response:
        key_id = request.match_info["key_id"]
        return await self._write(
            request, lambda description, expires: self._store.update(key_id, description, expires)
        )

    async def _write(
        self, request: web.Request, write: Callable[[str | None, int | None], ApiKeyRecord]
    ) -> web.Response:
        """Create or update a key from the body's fields; the answer is the key as the API shows it."""
        try:
            self._api(request)
            description, expires = await self._fields(request)
            record = write(description, expires)
        except ApiKeyError as error:
            return _error(error)
        return web.json_response({"apiKey": record.to_api()})

    async def delete(self, request: web.Request) -> web.Response:
        try:
            self._api(request)
            self._store.delete(request.match_info["key_id"])
        except ApiKeyError as error:
            return _error(error)
        return web.json_response({})


def _token(raw: str | None) -> int:
    if raw is None:
        return 0
    if not raw.isdigit():
        raise _bad_request("Invalid pagination token: pass the nextToken of the previous page.")
    return int(raw)


def _max_results(raw: str | None) -> int:
    if raw is None:
        return MAX_RESULTS
    if not raw.isdigit() or int(raw) > MAX_RESULTS:
        raise _bad_request(f"maxResults must be between 0 and {MAX_RESULTS}.")
    return int(raw) or MAX_RESULTS  # 0: the default page
