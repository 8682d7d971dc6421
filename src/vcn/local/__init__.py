"""`vcn local up`: the wiring that runs template.yaml on one machine (EventBridge, AppSync, Lambda, API)."""
