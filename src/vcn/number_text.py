"""Whether a text is a number as Python reads one (`float()`), for values that arrive as strings."""

from __future__ import annotations


def is_number(text: str) -> bool:
    """True when `float(text)` reads it: "42", "-1.5", "1e3", also " 7 " and "nan"."""
    try:
        float(text)
    except ValueError:
        return False
    return True
