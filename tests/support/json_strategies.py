"""Hypothesis strategies for text that is JSON, or almost: what fuzz tests of JSON-reading endpoints send."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hypothesis import strategies as st


def json_ish_texts(leaves: Sequence[str], max_leaves: int) -> st.SearchStrategy[str]:
    """Arrays and objects nested around `leaves` (fragments of JSON, valid or not), written out as text."""
    return st.recursive(
        st.sampled_from(list(leaves)),
        lambda inner: (
            st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
            | st.dictionaries(st.text(max_size=3), inner, max_size=3).map(
                lambda d: "{" + ",".join(json.dumps(k) + ":" + v for k, v in d.items()) + "}"
            )
        ),
        max_leaves=max_leaves,
    )
