"""The demo adapter: each system's records in a JSON file keyed by document number."""

import json
from functools import cache
from pathlib import Path
from typing import Any

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"


@cache
def _records(system: str) -> dict[str, Any]:
    path = DEMO_DATA / f"{system}.json"
    return json.loads(path.read_text(encoding="utf-8"))["registros"]


class DemoAdapter:
    source = "demo"

    def lookup(self, system: str, document: str) -> dict[str, Any] | None:
        return _records(system).get(document.strip())
