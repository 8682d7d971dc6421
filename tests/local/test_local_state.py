"""The local cloud's state folder: the AppSync API key is random per folder, kept private, and reused."""

import stat
from pathlib import Path

from vcn.local.state import API_KEY_FILE, load_or_create_api_key


def test_api_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_api_key(tmp_path)
    assert first.startswith("da2-") and len(first) > 20
    assert stat.S_IMODE((tmp_path / API_KEY_FILE).stat().st_mode) == 0o600
    assert load_or_create_api_key(tmp_path) == first


def test_each_state_folder_gets_its_own_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert load_or_create_api_key(tmp_path / "a") != load_or_create_api_key(tmp_path / "b")
