"""The published DLMS/COSEM test vectors, kept in the repository (``tests/vectors/``): they are
published facts, so a fresh clone runs every vector test with nothing beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "dlms-vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return vectors
