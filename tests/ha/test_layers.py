"""The integration uses the library only through its public API: ``from .libdlms import …``
(the names in ``libdlms.__all__``), never a module inside it, never a top-level ``libdlms``
(which Home Assistant does not have: the library is vendored)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import libdlms

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "dlms"


@pytest.mark.parametrize("path", sorted(INTEGRATION.glob("*.py")), ids=lambda p: p.name)
def test_the_integration_uses_the_public_api(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "libdlms" for a in node.names), node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0:
                assert module.split(".")[0] != "libdlms", f"{path.name}:{node.lineno}"
            elif module.split(".")[0] == "libdlms":
                assert module == "libdlms", f"{path.name}:{node.lineno}: .{module} is internal"
                names = {alias.name for alias in node.names}
                assert names <= set(libdlms.__all__), names - set(libdlms.__all__)
