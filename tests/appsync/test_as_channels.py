"""Channel path and subscription id rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcn.appsync.channels import parse_channel, validate_subscription_id
from vcn.appsync.protocol import AppSyncError


@pytest.mark.parametrize(
    ("raw", "path", "wildcard"),
    [
        ("/ns", "/ns", False),
        ("ns/a", "/ns/a", False),
        ("/ns/a-b/C9", "/ns/a-b/C9", False),
        ("/ns/*", "/ns", True),
        ("/a/b/c/d/*", "/a/b/c/d", True),
        ("/a/b/c/d/e", "/a/b/c/d/e", False),
        ("/n/" + "x" * 50, "/n/" + "x" * 50, False),
    ],
)
def test_valid_channels(raw: str, path: str, wildcard: bool) -> None:
    channel = parse_channel(raw, allow_wildcard=True)
    assert (channel.path, channel.wildcard) == (path, wildcard)
    assert channel.namespace == path.split("/")[1]


@pytest.mark.parametrize(
    "raw",
    ["/a/b/c/d/e/*", "/a/b/c/d/e/f", "/ns/-x", "/ns/x-", "/ns/x y", "/ns/", "/", "/ns/a*", "/n/" + "x" * 51],
)
def test_invalid_channels(raw: str) -> None:
    with pytest.raises(AppSyncError) as error:
        parse_channel(raw, allow_wildcard=True)
    assert error.value.error_type == "BadRequestException"


def test_wildcard_is_refused_where_not_allowed() -> None:
    with pytest.raises(AppSyncError, match="wildcard"):
        parse_channel("/ns/*", allow_wildcard=False)


def test_ancestors_are_the_wildcard_prefixes_that_match() -> None:
    assert parse_channel("/a/b/c", allow_wildcard=False).ancestors() == ("/a", "/a/b")


@given(st.from_regex(r"[A-Za-z0-9_+\-]{1,128}", fullmatch=True))
def test_every_id_of_the_documented_alphabet_is_valid(sub_id: str) -> None:
    assert validate_subscription_id(sub_id) == sub_id


@given(
    st.text(min_size=1, max_size=130).filter(
        lambda s: any(not (c.isascii() and (c.isalnum() or c in "-_+")) for c in s)
    )
)
def test_ids_with_other_characters_are_invalid(sub_id: str) -> None:
    with pytest.raises(AppSyncError):
        validate_subscription_id(sub_id)
