"""The local account id and region are written once (vcn.aws_account) and passed down from there."""

from __future__ import annotations

from pathlib import Path

import vcn
from vcn.aws_account import LOCAL_ACCOUNT

SRC = Path(vcn.__file__).parent


def files_containing(text: str) -> list[str]:
    return sorted(str(path.relative_to(SRC)) for path in SRC.rglob("*.py") if text in path.read_text())


def test_the_local_account_id_and_region_are_written_in_one_module() -> None:
    assert files_containing(LOCAL_ACCOUNT.account_id) == ["aws_account.py"]
    assert files_containing(f'"{LOCAL_ACCOUNT.region}"') == ["aws_account.py"]
