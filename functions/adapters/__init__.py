"""Adapters between the domain and AWS: the EventBridge publisher and the JWKS token verifier."""
