"""vcn: the local cloud for vehicle-configuration notifications (EventBridge, AppSync Events, Lambda)."""

__version__ = "0.1.0"
