"""The authorizer's pure-Python signature checks and JWKS cache, against keys and signatures made by
`cryptography` (which the functions no longer ship): what verifies, what is refused and why."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from adapters.jwk import EcKey, RsaKey, UnusableKey, b64url_decode, public_key
from adapters.jwks_cache import MAX_JWKS_BYTES, JwksCache, JwksUnavailable, KeyNotFound
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.lambda_functions import SigningKey, b64url
from tests.support.threaded_http import ThreadedHttp

MESSAGE = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"


def rs_signature(key: SigningKey, message: bytes = MESSAGE, digest: Any = None) -> bytes:
    return bytes(key.private_key.sign(message, padding.PKCS1v15(), digest or hashes.SHA256()))


def es_signature(key: SigningKey, message: bytes = MESSAGE) -> bytes:
    r, s = decode_dss_signature(key.private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("which", "sign", "kind"), [("rsa", rs_signature, RsaKey), ("ec", es_signature, EcKey)]
)
def test_a_signature_verifies_and_any_change_breaks_it(
    signing_keys: dict, which: str, sign: Callable[[SigningKey], bytes], kind: type
) -> None:
    key = public_key(signing_keys[which].public_jwk())
    assert isinstance(key, kind) and key.algorithm == signing_keys[which].algorithm
    signature = sign(signing_keys[which])
    assert key.verifies(MESSAGE, signature)
    assert not key.verifies(MESSAGE + b"x", signature)
    assert not key.verifies(MESSAGE, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not key.verifies(MESSAGE, signature[1:])  # shorter than the key's signatures


def test_rs256_refuses_a_signature_over_the_modulus_or_by_another_key(signing_keys: dict) -> None:
    key = public_key(signing_keys["rsa"].public_jwk())
    assert not key.verifies(MESSAGE, b"\xff" * 256)  # larger than the modulus
    assert not key.verifies(MESSAGE, rs_signature(signing_keys["rotated"]))


def test_rs256_refuses_a_pkcs1_signature_over_another_hash(signing_keys: dict) -> None:
    key = public_key(signing_keys["rsa"].public_jwk())
    assert not key.verifies(MESSAGE, rs_signature(signing_keys["rsa"], digest=hashes.SHA1()))
    assert not key.verifies(MESSAGE, rs_signature(signing_keys["rsa"], digest=hashes.SHA512()))


def test_es256_refuses_a_zero_half_and_the_der_form(signing_keys: dict) -> None:
    key = public_key(signing_keys["ec"].public_jwk())
    assert not key.verifies(MESSAGE, es_signature(signing_keys["ec"])[:32] + bytes(32))
    der = signing_keys["ec"].private_key.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    assert not key.verifies(MESSAGE, der)  # DER is how X.509 writes it, not JWS


def jwk_with(key: SigningKey, **changes: Any) -> dict[str, Any]:
    jwk = {**key.public_jwk(), **changes}
    return {name: value for name, value in jwk.items() if value is not None}


@pytest.mark.parametrize(
    ("which", "changes", "reason"),
    [
        ("rsa", {"use": "enc"}, "use is 'enc'"),
        ("rsa", {"alg": "RS512"}, "states alg 'RS512'"),
        ("ec", {"alg": "RS256"}, "states alg 'RS256'"),
        ("ec", {"crv": "P-384"}, "curve 'P-384'"),
        ("ec", {"x": b64url(bytes(31) + b"\x01")}, "not a point of P-256"),
        ("ec", {"y": b64url(bytes(16))}, "32 bytes each"),
        ("rsa", {"kty": "oct"}, "key type 'oct'"),
        ("rsa", {"n": None}, "member 'n' is missing"),
        ("rsa", {"e": "AQAB=="}, "member 'e' is missing or not base64url"),
    ],
)
def test_a_jwk_that_cannot_verify_says_why(
    signing_keys: dict, which: str, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UnusableKey, match=reason):
        public_key(jwk_with(signing_keys[which], **changes))


def test_rsa_keys_under_2048_bits_are_refused() -> None:
    weak = SigningKey("weak", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(UnusableKey, match="1024 bits, under 2048"):
        public_key(weak.public_jwk())


def test_b64url_refuses_padding_and_foreign_alphabets() -> None:
    assert b64url_decode("AQAB") == b"\x01\x00\x01"
    for bad in ("AQAB==", "A+/B", "A"):
        with pytest.raises(ValueError):
            b64url_decode(bad)


class JwksServer:
    """Serves whatever body is set, counting fetches."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.fetches = 0
        self.http = ThreadedHttp(self._answer)
        self.url = f"{self.http.url}/jwks.json"

    def _answer(self, _request: http.server.BaseHTTPRequestHandler, _body: bytes) -> bytes:
        self.fetches += 1
        return self.body

    def serve(self, *jwks: Any) -> None:
        self.body = json.dumps({"keys": list(jwks)}).encode()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.http.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache_of(server: JwksServer, key: SigningKey, **options: float) -> tuple[JwksCache, Clock]:
    """A cache of `server`, which serves `key` alone, on a clock the test moves."""
    server.serve(key.public_jwk())
    clock = Clock()
    return JwksCache(server.url, clock=clock, **options), clock


def test_keys_are_kept_for_their_lifespan_then_fetched_again(
    jwks_server: JwksServer, signing_keys: dict
) -> None:
    cache, clock = cache_of(jwks_server, signing_keys["rsa"], lifespan_seconds=300)
    first = cache.key("rsa-1")
    clock.now += 299
    assert cache.key("rsa-1") is first and jwks_server.fetches == 1
    clock.now += 1
    cache.key("rsa-1")
    assert jwks_server.fetches == 2


def test_an_unknown_kid_refetches_at_most_once_per_cooldown(
    jwks_server: JwksServer, signing_keys: dict
) -> None:
    cache, clock = cache_of(jwks_server, signing_keys["rsa"], refresh_cooldown_seconds=60)
    cache.key("rsa-1")
    for _ in range(3):
        with pytest.raises(KeyNotFound, match="no key 'rsa-2'"):
            cache.key("rsa-2")
    assert jwks_server.fetches == 1
    jwks_server.serve(signing_keys["rsa"].public_jwk(), signing_keys["rotated"].public_jwk())
    clock.now += 60
    assert cache.key("rsa-2").algorithm == "RS256"
    assert jwks_server.fetches == 2


def test_a_kid_whose_key_is_unusable_is_refused_with_the_reason(
    jwks_server: JwksServer, signing_keys: dict
) -> None:
    jwks_server.serve(jwk_with(signing_keys["rsa"], use="enc"), {"kty": "RSA"}, "not a JWK")
    with pytest.raises(KeyNotFound, match="'rsa-1' is unusable: key use is 'enc'"):
        JwksCache(jwks_server.url).key("rsa-1")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>", "is not JSON"),
        (b'{"keys": {}}', "has no 'keys' list"),
        (b"[]", "has no 'keys' list"),
        (b'{"keys": []}' + b" " * MAX_JWKS_BYTES, "over 1,048,576 bytes"),
    ],
)
def test_a_jwks_that_cannot_be_read_makes_every_key_unavailable(
    jwks_server: JwksServer, body: bytes, reason: str
) -> None:
    jwks_server.body = body
    with pytest.raises(JwksUnavailable, match=reason):
        JwksCache(jwks_server.url).key("rsa-1")


def test_an_unreachable_jwks_is_unavailable(jwks_server: JwksServer) -> None:
    url = jwks_server.url
    jwks_server.http.close()
    with pytest.raises(JwksUnavailable, match=r"fetching .* failed"):
        JwksCache(url, fetch_timeout_seconds=2).key("rsa-1")


def test_an_es256_token_of_pyjwt_verifies(signing_keys: dict) -> None:
    # PyJWT (which many identity providers use) writes the same r||s form this module reads
    import jwt

    token = jwt.encode(
        {"sub": "x"}, signing_keys["ec"].private_key, algorithm="ES256", headers={"kid": "ec-1"}
    )
    header, payload, signature = token.split(".")
    key = public_key(signing_keys["ec"].public_jwk())
    assert key.verifies(f"{header}.{payload}".encode(), b64url_decode(signature))
