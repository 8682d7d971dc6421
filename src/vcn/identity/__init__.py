"""The development identity provider: a local signing key, its JWKS, demo analysts and their tokens."""

from vcn.identity.analysts import DEMO_ANALYSTS, DemoAnalyst, find_analyst
from vcn.identity.keys import SigningKey, load_or_create_signing_key
from vcn.identity.provider import DevIdentityProvider

__all__ = [
    "DEMO_ANALYSTS",
    "DemoAnalyst",
    "DevIdentityProvider",
    "SigningKey",
    "find_analyst",
    "load_or_create_signing_key",
]
