"""The generic wing knows nothing of this application: no word of its domain or of its template's parameters
appears anywhere under src/vcn (code, comments, data files)."""

from __future__ import annotations

import re
from pathlib import Path

GENERIC_WING = Path(__file__).resolve().parents[2] / "src" / "vcn"
APPLICATION_WORDS = re.compile(
    r"vehicle|analyst|\bmarkets?\b|model ?lines?|\bplants?\b|TokenIssuer|JwksUrl|ApiKeyExpires", re.I
)


def test_no_file_of_the_generic_wing_names_the_application() -> None:
    files = [path for path in GENERIC_WING.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert len(files) > 100  # the walk found the wing
    named = {
        f"{path.relative_to(GENERIC_WING)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if APPLICATION_WORDS.search(line)
    }
    assert not named, "the generic wing names the application:\n" + "\n".join(sorted(named))
