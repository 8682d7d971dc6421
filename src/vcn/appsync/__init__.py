"""The emulated AppSync Events API: protocol, channels, authorization, handlers, fan-out and the server."""
