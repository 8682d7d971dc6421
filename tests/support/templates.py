"""CloudFormation templates a test writes for the template loader or the local cloud to read."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_template(folder: Path, text: str) -> Path:
    """`text` as `folder`/template.yaml (dedented: it may stand indented in the test); the file's path."""
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path
