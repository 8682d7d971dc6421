"""Test doubles and helpers shared by several test folders (production code never imports them)."""
