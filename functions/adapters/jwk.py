"""Public signing keys read from JWKs, and the check of a JWS signature against one.

RS256 (RSASSA-PKCS1-v1_5 with SHA-256) is checked with python-rsa and ES256 (ECDSA on P-256 with SHA-256)
with python-ecdsa: both pure Python, so the authorizer's package carries no native crypto library (the
`cryptography` wheel alone is 10 MB). Only verification happens here, with public keys; nothing secret is
handled, so the timing of these checks reveals nothing.

A key states the one algorithm it verifies: an RSA key verifies RS256 only, a P-256 key ES256 only, whatever
a token's header claims (no key confusion). RSA keys under 2,048 bits are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import ecdsa
import ecdsa.util
import rsa

MIN_RSA_BITS = 2048
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
EC_COORDINATE_BYTES = 32  # P-256


class UnusableKey(ValueError):
    """A JWK this module cannot verify with (another type, curve or use, a weak or malformed key)."""


class PublicKey(Protocol):
    @property
    def algorithm(self) -> str: ...

    def verifies(self, signing_input: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class RsaKey:
    """An RSA public key; verifies RS256 signatures."""

    key: rsa.PublicKey
    algorithm: str = "RS256"

    def verifies(self, signing_input: bytes, signature: bytes) -> bool:
        try:
            # python-rsa builds the expected PKCS#1 v1.5 block and compares it whole (no parsing of the
            # decrypted block), and answers which hash the signature names: only SHA-256 counts for RS256.
            return rsa.verify(signing_input, signature, self.key) == "SHA-256"
        except (rsa.VerificationError, OverflowError, ValueError):
            return False


@dataclass(frozen=True)
class EcKey:
    """A P-256 public key; verifies ES256 signatures (the JWS form: r and s, 32 bytes each)."""

    key: ecdsa.VerifyingKey
    algorithm: str = "ES256"

    def verifies(self, signing_input: bytes, signature: bytes) -> bool:
        if len(signature) != 2 * EC_COORDINATE_BYTES:
            return False
        try:
            return bool(self.key.verify(signature, signing_input, sigdecode=ecdsa.util.sigdecode_string))
        except ecdsa.BadSignatureError:
            return False


def public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The key a JWK describes; raises UnusableKey for any JWK that is not an RS256 or ES256 signing key."""
    if jwk.get("use", "sig") != "sig":
        raise UnusableKey(f"key use is {jwk.get('use')!r}, not 'sig'")
    kind = jwk.get("kty")
    key: PublicKey
    if kind == "RSA":
        modulus, exponent = _integer(jwk, "n"), _integer(jwk, "e")
        if modulus.bit_length() < MIN_RSA_BITS:
            raise UnusableKey(f"RSA key of {modulus.bit_length()} bits, under {MIN_RSA_BITS}")
        key = RsaKey(rsa.PublicKey(modulus, exponent))
    elif kind == "EC":
        if jwk.get("crv") != "P-256":
            raise UnusableKey(f"curve {jwk.get('crv')!r} is not P-256")
        x, y = _octets(jwk, "x"), _octets(jwk, "y")
        if len(x) != EC_COORDINATE_BYTES or len(y) != EC_COORDINATE_BYTES:
            raise UnusableKey("P-256 coordinates must be 32 bytes each")
        try:  # the point must lie on the curve
            verifying = ecdsa.VerifyingKey.from_string(x + y, curve=ecdsa.NIST256p, hashfunc=hashlib.sha256)
        except ecdsa.MalformedPointError as error:
            raise UnusableKey(f"not a point of P-256: {error}") from None
        key = EcKey(verifying)
    else:
        raise UnusableKey(f"key type {kind!r} is not RSA or EC")
    stated = jwk.get("alg")
    if stated is not None and stated != key.algorithm:
        raise UnusableKey(f"key states alg {stated!r}, but a {kind} key verifies {key.algorithm}")
    return key


def b64url_decode(text: str) -> bytes:
    """Base64url without padding (RFC 7515, section 2); raises ValueError on anything else."""
    if not isinstance(text, str) or not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url without padding") from None


def _octets(jwk: Mapping[str, Any], member: str) -> bytes:
    try:
        return b64url_decode(jwk[member])
    except (KeyError, ValueError):
        raise UnusableKey(f"member {member!r} is missing or not base64url") from None


def _integer(jwk: Mapping[str, Any], member: str) -> int:
    return int.from_bytes(_octets(jwk, member), "big")
