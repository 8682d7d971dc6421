"""A steady stream of realistic domain events (validation outcomes, recommendations, supply constraints)."""

from vcn.demo.stream import DemoStream, run_demo

__all__ = ["DemoStream", "run_demo"]
