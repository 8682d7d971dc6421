"""The RS256 signing key of the development identity provider: made once in the state folder, as JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "signing-key.pem"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """A private RSA key and the public JWK clients verify its tokens with."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        }

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}


def _thumbprint(key: rsa.RSAPrivateKey) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` that changes only when the key does."""
    numbers = key.public_key().public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_or_create_signing_key(state_dir: Path) -> SigningKey:
    """Read `<state_dir>/identity/signing-key.pem`, creating it (mode 0600) on first use."""
    folder = Path(state_dir) / "identity"
    path = folder / KEY_FILE
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key; delete it to create a new one")
        return SigningKey(loaded, _thumbprint(loaded))
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write through a 0600 descriptor so the key is never readable by others, not even briefly.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, path)
    return SigningKey(key, _thumbprint(key))
