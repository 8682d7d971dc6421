"""What the HTTP API answers for input a client can get wrong (paths, sizes, tokens) and for function results
that cannot go on the wire: exact statuses and messages, and never a crash of the gateway itself.

The function behind the routes is a real Lambda worker (`vcn.lambda_runtime`) that echoes what it received,
so the tests see the event exactly as a deployed function would."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.eventbridge import LoopThread
from tests.support.function_specs import local_function
from tests.support.json_strategies import json_ish_texts
from tests.support.raw_http import RawResponse, exchange, request_bytes
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.httpapi import ApiServer, HttpRoute, JwtAuthorizerConfig
from vcn.identity import DevIdentityProvider, load_or_create_signing_key
from vcn.lambda_runtime import LambdaRuntime

ISSUER = "http://127.0.0.1:4999"
AUTHORIZER = JwtAuthorizerConfig("Tokens", ISSUER, ("vcn-local",))

FUNCTIONS = """
import json


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "rawPath": event["rawPath"],
                "body": event.get("body"),
                "isBase64Encoded": event["isBase64Encoded"],
                "pathParameters": event.get("pathParameters"),
            }
        ),
    }


def broken_header(event, context):
    return {"statusCode": 200, "headers": {"x-split": "a\\r\\nx-injected: 1"}, "body": "no"}


def surrogate_body(event, context):
    return {"statusCode": 200, "body": "\\ud800"}
"""


class CountingInvoker:
    """The real Lambda runtime, counting the invocations the gateway makes (a refused request makes none)."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime
        self.invocations = 0

    async def invoke(self, function: str, payload: Any) -> Any:
        self.invocations += 1
        return await self.runtime.invoke(function, payload)

    async def invoke_async(self, function: str, payload: Any) -> None:
        self.invocations += 1
        await self.runtime.invoke_async(function, payload)


class Gateway:
    def __init__(self, port: int, invoker: CountingInvoker, provider: DevIdentityProvider) -> None:
        self.port = port
        self.invoker = invoker
        self.provider = provider

    def send(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b""
    ) -> RawResponse:
        return exchange(self.port, request_bytes(method, target, headers or [], body))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    root = tmp_path_factory.mktemp("gateway")
    code = root / "code"
    code.mkdir()
    (code / "app.py").write_text(FUNCTIONS)
    web_root = root / "web"
    web_root.mkdir()
    (web_root / "index.html").write_text("<h1>console</h1>")
    specs = [
        local_function(name, code, f"app.{handler}", timeout=10)
        for name, handler in [
            ("Echo", "echo"),
            ("BrokenHeader", "broken_header"),
            ("Surrogate", "surrogate_body"),
        ]
    ]
    provider = DevIdentityProvider(load_or_create_signing_key(root), issuer=ISSUER)

    async def jwks() -> dict[str, Any]:
        return provider.jwks

    routes = [
        HttpRoute("ANY", "/api/{proxy+}", "Echo"),
        HttpRoute("GET", "/items/{id}", "Echo"),
        HttpRoute("POST", "/secure", "Echo", AUTHORIZER),
        HttpRoute("GET", "/broken-header", "BrokenHeader"),
        HttpRoute("GET", "/surrogate", "Surrogate"),
    ]
    loop = LoopThread()
    runtime = LambdaRuntime(specs)
    invoker = CountingInvoker(runtime)
    server = ApiServer(
        routes,
        invoker,
        account_id=LOCAL_ACCOUNT.account_id,
        web_root=web_root,
        jwks_source_for=lambda config: jwks,
    )
    loop.run(runtime.start(prewarm=True), timeout=60)
    loop.run(server.start())
    try:
        yield Gateway(server.port, invoker, provider)
    finally:
        loop.run(server.stop())
        loop.run(runtime.stop())
        loop.close()


def message(response: RawResponse) -> Any:
    return json.loads(response.body)


# ---- paths


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (b"/api/a%00b", "the path holds a NUL byte (%00)"),
        (b"/%00", "the path holds a NUL byte (%00)"),
        (b"/api/a%ffb", "the path is not UTF-8 once percent-decoded (byte 0xff)"),
        (b"/items/%c3", "the path is not UTF-8 once percent-decoded (byte 0xc3)"),
        (
            b"/items/%ed%a0%80",
            "the path is not UTF-8 once percent-decoded (byte 0xed)",
        ),  # an encoded surrogate
    ],
)
def test_paths_with_nul_or_invalid_utf8_are_400_and_reach_no_function(
    gateway: Gateway, target: bytes, reason: str
) -> None:
    before = gateway.invoker.invocations
    response = gateway.send("GET", target)
    assert response.status == 400
    assert message(response) == {"message": f"Bad Request: {reason}; percent-encode paths as UTF-8"}
    assert gateway.invoker.invocations == before


def test_raw_bytes_over_0x7f_in_the_request_line_are_400(gateway: Gateway) -> None:
    before = gateway.invoker.invocations
    assert gateway.send("GET", b"/api/caf\xc3\xa9").status == 400  # refused by the HTTP parser itself
    assert gateway.invoker.invocations == before


def test_valid_percent_encoded_utf8_reaches_the_function_decoded_in_path_parameters(gateway: Gateway) -> None:
    response = gateway.send("GET", b"/items/caf%C3%A9")
    assert response.status == 200
    assert message(response)["rawPath"] == "/items/caf%C3%A9"
    assert message(response)["pathParameters"] == {"id": "café"}


def test_a_path_segment_too_long_for_the_file_system_is_404_not_500(gateway: Gateway) -> None:
    response = gateway.send("GET", b"/" + b"a" * 1000)
    assert (response.status, message(response)) == (404, {"message": "Not Found"})


# ---- bodies


def test_deeply_nested_json_reaches_the_function_as_the_raw_string(gateway: Gateway) -> None:
    body = b"[" * 100_000 + b'{"a":NaN}'
    response = gateway.send("POST", b"/api/deep", [(b"Content-Type", b"application/json")], body)
    assert response.status == 200
    assert message(response) == {
        "rawPath": "/api/deep",
        "body": body.decode(),
        "isBase64Encoded": False,
        "pathParameters": {"proxy": "deep"},
    }


def test_a_body_over_10_mb_is_413_and_exactly_10_mb_reaches_the_function(gateway: Gateway) -> None:
    limit = 10 * 1024 * 1024
    before = gateway.invoker.invocations
    over = gateway.send(
        "POST", b"/api/big", [(b"Content-Type", b"application/octet-stream")], b"x" * (limit + 1)
    )
    assert (over.status, message(over)) == (413, {"message": "Request Entity Too Large"})
    assert gateway.invoker.invocations == before
    exact = gateway.send("POST", b"/api/big", [(b"Content-Type", b"application/octet-stream")], b"x" * limit)
    assert exact.status == 200
    assert base64.b64decode(message(exact)["body"]) == b"x" * limit


# ---- tokens and results


def test_a_token_with_bytes_over_0x7f_is_401(gateway: Gateway) -> None:
    response = gateway.send("POST", b"/secure", [(b"Authorization", b"Bearer ey\xff\xfe.x.y")], b"{}")
    assert (response.status, message(response)) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize("target", [b"/broken-header", b"/surrogate"])
def test_a_result_that_cannot_go_on_the_wire_is_the_gateways_500_json(
    gateway: Gateway, target: bytes
) -> None:
    response = gateway.send("GET", target)
    assert (response.status, message(response)) == (500, {"message": "Internal Server Error"})
    assert "x-injected" not in response.headers


# ---- anything at all


TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
path_atoms = st.one_of(
    st.text(alphabet="abcXYZ019-._~!$&'()*+,;=:@", min_size=1, max_size=8),
    st.integers(0, 255).map(lambda byte: f"%{byte:02x}"),
    st.text(min_size=1, max_size=3).map(
        lambda text: "".join(f"%{b:02X}" for b in text.encode("utf-8", "surrogatepass"))
    ),
    st.sampled_from(["/", "//", "..", "%2e%2e", "?", "?a=%00&b", "#"]),
)
paths = st.lists(path_atoms, max_size=12).map(lambda atoms: ("/" + "".join(atoms)).encode())
prefixes = st.sampled_from([b"", b"/api/", b"/items/", b"/secure", b"/dev/token"])
header_values = st.binary(max_size=40).map(lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F))
headers = st.lists(
    st.tuples(st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12).map(str.encode), header_values),
    max_size=6,
).filter(
    lambda pairs: all(
        name.lower() not in (b"content-length", b"transfer-encoding", b"connection", b"host")
        for name, _ in pairs
    )
)
json_ish = json_ish_texts(
    ["1", "NaN", "-Infinity", "1e400", '"\\ud800"', "null", '"x"', "[", "{"], max_leaves=10
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_ish.map(str.encode),
    st.integers(1, 50_000).map(lambda depth: b"[" * depth),
)
content_types = st.sampled_from(
    [b"application/json", b"text/plain; charset=latin-1", b"application/octet-stream", b""]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    prefix=prefixes,
    path=paths,
    extra_headers=headers,
    content_type=content_types,
    body=bodies,
)
def test_no_request_makes_the_gateway_itself_answer_5xx(
    gateway: Gateway,
    method: str,
    prefix: bytes,
    path: bytes,
    extra_headers: list[tuple[bytes, bytes]],
    content_type: bytes,
    body: bytes,
) -> None:
    target = (prefix.rstrip(b"/") + path) if prefix else path
    sent_headers = [*extra_headers, *([(b"Content-Type", content_type)] if content_type else [])]
    before = gateway.invoker.invocations
    response = gateway.send(method, target, sent_headers, body)
    invoked = gateway.invoker.invocations - before
    # Echo never fails, so any 5xx here would be the gateway's own failure on this input.
    assert response.status < 500, (target, response)
    if response.status == 200 and invoked:
        echoed = message(response)
        received = (
            base64.b64decode(echoed["body"]) if echoed["isBase64Encoded"] else (echoed["body"] or "").encode()
        )
        assert received == body  # the gateway parses no body: the function gets exactly what was sent
    if response.status in (400, 401, 404, 413):
        assert invoked == 0  # a request the gateway refused reaches no function
