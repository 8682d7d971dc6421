"""The development identity provider: a local signing key, its JWKS, and tokens for demo users."""

from vcn.identity.keys import SigningKey, load_or_create_signing_key
from vcn.identity.provider import DevIdentityProvider
from vcn.identity.users import DemoUser, find_user

__all__ = [
    "DemoUser",
    "DevIdentityProvider",
    "SigningKey",
    "find_user",
    "load_or_create_signing_key",
]
