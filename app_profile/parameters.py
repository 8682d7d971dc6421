"""Template parameter values for local runs: the identity parameters point at the local identity provider."""

from __future__ import annotations

from collections.abc import Mapping

from vcn.local.profile import LocalIdentity


def local_parameters(identity: LocalIdentity) -> Mapping[str, str]:
    """TokenIssuer, TokenAudience and JwksUrl of template.yaml, for the local cloud."""
    return {
        "TokenIssuer": identity.issuer,
        "TokenAudience": identity.audience,
        "JwksUrl": identity.jwks_url,
    }
