"""A local EventBridge that behaves like AWS: the AWS JSON 1.1 API (`server`, `protocol`), PutEvents and
TestEventPattern (`service`, `put_events`), resources (`control_plane`), event patterns (`patterns`,
`rule_index`), input transformation (`input_transformer`), and asynchronous delivery with retries, rate limits
and dead-letter queues (`delivery`, `api_destination`, `connection_auth`, `dlq`).
Run it alone with `python -m vcn.eventbridge --port N --state-dir D`."""
