"""Notification history: what was published to the analysts' namespaces, readable after the fact.

`positions` orders recorded notifications and turns positions into cursors; `selectors` says which channels a
read covers; `recording` is what the OnPublish recorder does with a publish; `reading` serves a page of
history; `read_state` keeps what each user has read. The stores behind them are ports (`ports`), implemented
with DynamoDB in `adapters.dynamodb_history`; nothing here imports an AWS SDK.
"""
