"""JwksTokenVerifier directly: what a verified token yields; the refresh cooldown limits JWKS fetches."""

from __future__ import annotations

import base64

import pytest
from adapters.token_verifier import JwksTokenVerifier, TokenRejected

from tests.support.lambda_functions import IdentityProvider


def verifier(provider: IdentityProvider, **options: float) -> JwksTokenVerifier:
    return JwksTokenVerifier(provider.jwks_url, provider.issuer, provider.audience, **options)


def test_verified_token_exposes_subject_expiry_and_claims(identity_provider: IdentityProvider) -> None:
    claims = identity_provider.claims()
    verified = verifier(identity_provider).verify(identity_provider.token())
    assert verified.subject == "analyst-de"
    assert verified.expires_at == claims["exp"]
    assert verified.claims["markets"] == ["DE", "FR"]


def test_rejection_reason_names_the_problem(identity_provider: IdentityProvider) -> None:
    with pytest.raises(TokenRejected, match="Audience"):
        verifier(identity_provider).verify(identity_provider.token(aud="other"))
    with pytest.raises(TokenRejected, match="'HS256' is not allowed"):
        verifier(identity_provider).verify(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"  # HS256 header, any payload
        )


def test_refresh_cooldown_limits_fetches_for_unknown_kids(
    identity_provider: IdentityProvider, signing_keys: dict
) -> None:
    limited = verifier(identity_provider, refresh_cooldown_seconds=60)
    limited.verify(identity_provider.token())
    for _ in range(3):
        with pytest.raises(TokenRejected, match="rsa-x"):
            limited.verify(identity_provider.token(signing_keys["foreign"]))
    assert identity_provider.fetches == 1


@pytest.mark.parametrize(
    "header",
    [b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b'"just a string"'],
    ids=["not-utf8", "nested-too-deeply", "not-an-object"],
)
def test_a_token_whose_header_is_no_json_object_is_rejected_not_a_crash(
    identity_provider: IdentityProvider, header: bytes
) -> None:
    """A crash would count as the authorizer's error (its Errors alarm) for a caller's garbage token."""
    encoded = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    with pytest.raises(TokenRejected, match="malformed token"):
        verifier(identity_provider).verify(f"{encoded}.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
