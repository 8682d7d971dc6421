"""Keeping the AppSync API keys of the notification path alive: the lifetime policy over a port."""
