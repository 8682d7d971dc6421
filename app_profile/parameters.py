"""Template parameter values for local runs: the identity parameters point at the local identity provider."""

from __future__ import annotations

import time
from collections.abc import Mapping

from vcn.local.profile import LocalIdentity

# AWS accepts 1..365 days; just under a year keeps the key valid for any local session.
API_KEY_LIFETIME_SECONDS = 365 * 86400 - 3600


def local_parameters(identity: LocalIdentity) -> Mapping[str, str]:
    """TokenIssuer, TokenAudience, JwksUrl and ApiKeyExpires of template.yaml, for the local cloud."""
    return {
        "TokenIssuer": identity.issuer,
        "TokenAudience": identity.audience,
        "JwksUrl": identity.jwks_url,
        "ApiKeyExpires": str(int(time.time()) + API_KEY_LIFETIME_SECONDS),
    }
