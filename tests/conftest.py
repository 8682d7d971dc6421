"""Suite-wide collection order: what takes long starts first.

`make test` runs pytest with `--dist loadfile --no-loadscope-reorder`: each file goes whole to the next free
worker, in collection order. A file collected last keeps one worker busy after the others have finished; so
the tests that install packages on a fresh machine (npm, `sam build`'s pip: tens of seconds there) come
first, then the long ones, then the rest (bench/README.md, "Test suite").
"""

from __future__ import annotations

import pytest

LONG = ("slow", "e2e", "browser")


def start_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("installs"):
        return 0
    if any(item.get_closest_marker(name) for name in LONG):
        return 1
    return 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the order within each rank stays; a file whose tests are of mixed ranks is scheduled
    # whole where its first test stands.
    items.sort(key=start_rank)
