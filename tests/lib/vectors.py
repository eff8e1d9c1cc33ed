"""Loads the shared, published test vectors (../shared/vectors/dlms-vectors.json).

CI lays ``shared/`` beside the repository, as on the developers' machines. A fresh
clone without it has no vectors: then the vector tests are reported as skipped with the
reason, never silently passed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "dlms-vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    if not VECTORS_PATH.exists():
        if os.environ.get("CI"):
            # CI always has shared/ beside the clone: missing vectors there is a broken setup.
            raise FileNotFoundError(f"test vectors missing in CI: {VECTORS_PATH}")
        return []
    vectors: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())
    return vectors
