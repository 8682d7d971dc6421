"""Writes the note in the event to the table with plain boto3, and reads it back."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    table.put_item(Item=event)
    stored = table.get_item(Key={"topic": event["topic"], "at": event["at"]})["Item"]
    return {"stored": stored, "endpoint": table.meta.client.meta.endpoint_url}
