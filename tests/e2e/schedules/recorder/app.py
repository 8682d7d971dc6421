"""Appends every event it is invoked with to the file named by RECORD_TO, one JSON line each."""

import json
import os
from typing import Any


def handler(event: Any, _context: Any) -> None:
    with open(os.environ["RECORD_TO"], "a", encoding="utf-8") as record:
        record.write(json.dumps(event) + "\n")
