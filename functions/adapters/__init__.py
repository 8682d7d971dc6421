"""Adapters between the domain and AWS: the EventBridge publisher, the JWKS token verifier, request/reply over
AppSync Events, and the validation worker's test-only fault injection."""
