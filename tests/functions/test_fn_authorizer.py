"""AppSync Events Lambda authorizer against a real JWKS served over HTTP, with real RSA/EC keys."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from handlers import authorizer
from handlers.settings import AuthorizerSettings, read_settings

from tests.support.lambda_functions import (
    FakeLambdaContext,
    IdentityProvider,
    hs256_with_public_key,
    load_invoke_event,
    tampered,
    unsigned_token,
)

Authorize = Callable[[Any], dict[str, Any]]


def trust(monkeypatch: pytest.MonkeyPatch, provider: IdentityProvider) -> None:
    """Point the authorizer at `provider`: the settings its environment would give, and a fresh verifier."""
    environment = {
        "JWKS_URL": provider.jwks_url,
        "TOKEN_ISSUER": provider.issuer,
        "TOKEN_AUDIENCE": provider.audience,
    }
    monkeypatch.setattr(authorizer, "settings", read_settings(AuthorizerSettings, environment))
    authorizer.token_verifier.cache_clear()


@pytest.fixture
def authorize(
    identity_provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> Iterator[Authorize]:
    """Calls the real handler, configured through its settings like the template's environment does."""
    trust(monkeypatch, identity_provider)

    def call(token: Any) -> dict[str, Any]:
        event = load_invoke_event("authorizer-subscribe.json")
        if token is None:
            del event["authorizationToken"]
        else:
            event["authorizationToken"] = token
        return authorizer.handler(event, lambda_context)

    yield call
    authorizer.token_verifier.cache_clear()


def test_valid_rs256_token_is_authorized_with_its_grants(
    authorize: Authorize, identity_provider: IdentityProvider
) -> None:
    answer = authorize("Bearer " + identity_provider.token())
    assert answer["isAuthorized"] is True
    assert answer["handlerContext"] == {"userId": "analyst-de", "markets": "DE,FR", "plants": "ZWI"}
    assert 0 < answer["ttlOverride"] <= 300


def test_valid_es256_token_without_bearer_prefix(
    authorize: Authorize, identity_provider: IdentityProvider, signing_keys: dict
) -> None:
    answer = authorize(identity_provider.token(signing_keys["ec"], markets=["*"], plants=[]))
    assert answer["isAuthorized"] is True
    assert answer["handlerContext"] == {"userId": "analyst-de", "markets": "*", "plants": ""}


def test_ttl_never_outlives_the_token(authorize: Authorize, identity_provider: IdentityProvider) -> None:
    answer = authorize("bearer " + identity_provider.token(exp=int(time.time()) + 42))
    assert answer["isAuthorized"] is True
    assert 0 < answer["ttlOverride"] <= 42


def test_jwks_is_fetched_once_across_invocations(
    authorize: Authorize, identity_provider: IdentityProvider
) -> None:
    for _ in range(3):
        assert authorize(identity_provider.token())["isAuthorized"] is True
    assert identity_provider.fetches == 1


@pytest.mark.parametrize(
    "make_token",
    [
        # inside the verifier's clock-skew leeway, but an expired token cannot be given any TTL
        pytest.param(
            lambda p, k: p.token(exp=int(time.time()) - 5, nbf=int(time.time()) - 600), id="just-expired"
        ),
        pytest.param(
            lambda p, k: p.token(exp=int(time.time()) - 120, nbf=int(time.time()) - 600), id="expired"
        ),
        pytest.param(lambda p, k: p.token(nbf=int(time.time()) + 600), id="not-yet-valid"),
        pytest.param(lambda p, k: p.token(iss="https://evil.example.com"), id="wrong-issuer"),
        pytest.param(lambda p, k: p.token(aud="another-api"), id="wrong-audience"),
        pytest.param(lambda p, k: p.token(nbf=None), id="missing-nbf"),
        pytest.param(lambda p, k: p.token(exp=None), id="missing-exp"),
        pytest.param(lambda p, k: p.token(iss=None), id="missing-iss"),
        pytest.param(lambda p, k: p.token(aud=None), id="missing-aud"),
        pytest.param(lambda p, k: p.token(sub="user@example.com"), id="sub-not-segment-safe"),
        pytest.param(lambda p, k: tampered(p.token(), markets=["*"]), id="tampered"),
        pytest.param(lambda p, k: unsigned_token(p.claims(), "rsa-1"), id="alg-none"),
        pytest.param(lambda p, k: hs256_with_public_key(p.claims(), k["rsa"]), id="hs256-with-public-key"),
        pytest.param(lambda p, k: p.token(k["foreign"]), id="unknown-kid-never-published"),
        pytest.param(lambda p, k: "not-a-jwt", id="garbage"),
        pytest.param(lambda p, k: "Bearer ", id="bearer-without-token"),
        pytest.param(lambda p, k: "", id="empty"),
        pytest.param(lambda p, k: None, id="missing"),
    ],
)
def test_bad_tokens_are_refused(
    authorize: Authorize, identity_provider: IdentityProvider, signing_keys: dict, make_token: Callable
) -> None:
    assert authorize(make_token(identity_provider, signing_keys)) == {"isAuthorized": False}


def test_token_signed_by_a_key_of_another_type_under_a_known_kid_is_refused(
    authorize: Authorize, identity_provider: IdentityProvider, signing_keys: dict
) -> None:
    # an ES256 token that claims the RSA key's kid must not verify
    import jwt

    token = jwt.encode(
        identity_provider.claims(),
        signing_keys["ec"].private_key,
        algorithm="ES256",
        headers={"kid": "rsa-1"},
    )
    assert authorize(token) == {"isAuthorized": False}


def test_unknown_kid_triggers_one_refresh_and_succeeds_once_the_key_is_published(
    authorize: Authorize, identity_provider: IdentityProvider, signing_keys: dict
) -> None:
    assert authorize(identity_provider.token())["isAuthorized"] is True
    assert identity_provider.fetches == 1
    identity_provider.served.append(signing_keys["rotated"])  # key rotation at the identity provider
    assert authorize(identity_provider.token(signing_keys["rotated"]))["isAuthorized"] is True
    assert identity_provider.fetches == 2
    assert authorize(identity_provider.token(signing_keys["rotated"]))["isAuthorized"] is True
    assert identity_provider.fetches == 2


def test_unknown_kid_that_never_appears_refreshes_exactly_once_per_token(
    authorize: Authorize, identity_provider: IdentityProvider, signing_keys: dict
) -> None:
    assert authorize(identity_provider.token())["isAuthorized"] is True
    assert authorize(identity_provider.token(signing_keys["foreign"])) == {"isAuthorized": False}
    assert identity_provider.fetches == 2


def test_unreachable_jwks_refuses(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext, identity_provider: IdentityProvider
) -> None:
    token = identity_provider.token()
    trust(monkeypatch, identity_provider)
    identity_provider.stop()
    try:
        event = {**load_invoke_event("authorizer-connect.json"), "authorizationToken": token}
        assert authorizer.handler(event, lambda_context) == {"isAuthorized": False}
    finally:
        authorizer.token_verifier.cache_clear()


def test_the_token_never_reaches_the_log(
    authorize: Authorize, identity_provider: IdentityProvider, caplog: pytest.LogCaptureFixture
) -> None:
    good, bad = identity_provider.token(), identity_provider.token(aud="another-api")
    with caplog.at_level("DEBUG"):
        authorize(good)
        authorize(bad)
    messages = [r.getMessage() for r in caplog.records]
    assert "token accepted" in messages and "token rejected" in messages
    logged = " ".join(str(r.__dict__) for r in caplog.records)
    for token in (good, bad):
        for part in token.split("."):
            assert part not in logged


@pytest.mark.parametrize("name", ["authorizer-connect.json", "authorizer-subscribe.json"])
def test_sample_events_are_refused_as_shipped_and_accepted_with_a_real_token(
    name: str, authorize: Authorize, identity_provider: IdentityProvider, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(name)
    assert authorizer.handler(event, lambda_context) == {"isAuthorized": False}
    event["authorizationToken"] = "Bearer " + identity_provider.token()
    answer = authorizer.handler(json.loads(json.dumps(event)), lambda_context)
    assert answer["isAuthorized"] is True


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("abc", "abc"),
        ("Bearer", "Bearer"),
        ("  ", None),
        (5, None),
    ],
)
def test_bearer_prefix_is_optional(value: object, token: str | None) -> None:
    assert authorizer.bearer_token(value) == token
