"""Adapters between the domain and AWS: the EventBridge publisher, the JWKS token verifier, request/reply over
AppSync Events, the notification history and read state on DynamoDB, and the validation worker's test-only
fault injection."""
