"""Lambda entry points: thin handlers that parse input, call the domain and hand events to the publisher."""
