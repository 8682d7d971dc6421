"""Support for handler tests: a fake Lambda context, the events/ folder, and a real JWKS identity provider.

`IdentityProvider` serves a JWKS over HTTP on 127.0.0.1 (port 0) from a thread, with RSA and EC keys made by
`cryptography`, counts how often the JWKS is fetched, and mints tokens (good and deliberately bad ones).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support.threaded_http import ThreadedHttp

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
ISSUER = "http://127.0.0.1/test-idp"
AUDIENCE = "vcn-test"


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:test-function"
    aws_request_id: str = "3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/22/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_invoke_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / "invoke" / name).read_text())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private_key: Any

    def public_jwk(self) -> dict[str, Any]:
        exporter = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        jwk = exporter.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class IdentityProvider:
    keys: list[SigningKey]
    served: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    issuer: str = ISSUER
    audience: str = AUDIENCE
    _server: ThreadedHttp | None = None

    @property
    def jwks_url(self) -> str:
        assert self._server is not None
        return f"{self._server.url}/.well-known/jwks.json"

    def start(self) -> IdentityProvider:
        self._server = ThreadedHttp(self._jwks, content_type="application/json")
        return self

    def _jwks(self, _request: BaseHTTPRequestHandler, _body: bytes) -> bytes:
        self.fetches += 1
        return json.dumps({"keys": [k.public_jwk() for k in self.served]}).encode()

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "analyst-de",
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 3600,
            "markets": ["DE", "FR"],
            "plants": ["ZWI"],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, key: SigningKey | None = None, **claim_overrides: Any) -> str:
        key = key or self.keys[0]
        return jwt.encode(
            self.claims(**claim_overrides), key.private_key, algorithm=key.algorithm, headers={"kid": key.kid}
        )


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """The classic key-confusion attack: an HMAC signature whose secret is the RSA public key's PEM."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def tampered(token: str, **claim_changes: Any) -> str:
    """Same header and signature, different claims."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(claim_changes)
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
