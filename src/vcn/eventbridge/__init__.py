"""A local EventBridge that behaves like AWS: the AWS JSON 1.1 API (`server`, `protocol`, with strict, bounded
JSON reading in `strict_json`), PutEvents and TestEventPattern (`service`, `put_events`), resources
(`control_plane`), event patterns (`patterns`, `rule_index`), input transformation (`input_transformer`), and
asynchronous delivery with retries, rate limits and dead-letter queues (`delivery`, `invocation`,
`api_destination`, `connection_auth`, `dead_lettering`, `dlq`, `redrive`), every pending delivery kept in a
journal in the state folder until it ends (`journal`).
Run it alone with `python -m vcn.eventbridge --port N --state-dir D`."""
