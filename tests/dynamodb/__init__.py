"""The local DynamoDB: boto3 against the service, its durability, TTL and its place in the local cloud."""
