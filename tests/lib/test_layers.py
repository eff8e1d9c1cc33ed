"""The import arrows of the library point down, and what stands on it uses its public API.

Layers of ``libdlms``, bottom up (a module may import its own package and lower layers):

    0  errors                      the error tree
    1  obis                        the OBIS code
    2  codecs, transport           wire formats; byte transports
    3  security, cosem             each on the codecs, not on each other
    4  session                     sans-IO state machines
    5  client, translator          the asyncio client; the translator of captured bytes
    6  cli                         the command line
    7  __main__                    ``python -m libdlms``

Outside the library (the simulator, the benchmarks) only public names are used: ``libdlms``
itself, its subpackages, and the modules a subpackage lists in its ``__all__``. Inside it,
the library imports itself relatively only, so that it also works vendored as
``custom_components.dlms.libdlms``. (The integration's own rule, "only ``from .libdlms
import``", is checked by the Home Assistant tests, since its code is Python 3.14.)
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "libdlms"
RANKS = {
    "errors": 0,
    "obis": 1,
    "codecs": 2,
    "transport": 2,
    "security": 3,
    "cosem": 3,
    "session": 4,
    "client": 5,
    "translator": 5,
    "cli": 6,
    "__main__": 7,
}


def _imports(path: Path) -> Iterator[tuple[int, str, int]]:
    """(level, module, line) of every import in ``path``; ``import x`` is level 0."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", node.lineno


def _component(parts: tuple[str, ...]) -> str:
    """The layer a module of the library belongs to: ``codecs`` for codecs/hdlc.py."""
    return parts[0].removesuffix(".py")


def _library_modules() -> list[Path]:
    return sorted(
        p for p in LIBRARY.rglob("*.py") if p.name != "__init__.py" or p.parent != LIBRARY
    )


@pytest.mark.parametrize("path", _library_modules(), ids=lambda p: str(p.relative_to(LIBRARY)))
def test_library_imports_point_down(path: Path) -> None:
    parts = path.relative_to(LIBRARY).parts
    own = _component(parts)
    assert own in RANKS, f"{own} is a new layer: give it a rank in this test"
    package_depth = len(parts) - 1  # libdlms/x.py: 0, libdlms/codecs/x.py: 1
    for level, module, line in _imports(path):
        assert not (level == 0 and module.split(".")[0] in {"libdlms", "homeassistant"}), (
            f"{path.name}:{line} imports {module} absolutely (the library must stay vendorable)"
        )
        if level == 0:
            continue
        if level <= package_depth:
            continue  # within its own package (a sibling module or subpackage)
        target = module.split(".")[0] if module else ""
        if not target:
            continue  # ``from .. import x``: the package itself
        assert target in RANKS, f"{path.name}:{line} imports unknown layer {target}"
        assert RANKS[target] < RANKS[own], (
            f"{'/'.join(parts)}:{line} imports {target} (layer {RANKS[target]}) from layer "
            f"{RANKS[own]} ({own})"
        )


def _outside_modules() -> list[Path]:
    return sorted([*(ROOT / "simulator").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")])


@pytest.mark.parametrize("path", _outside_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_simulator_and_benchmarks_use_the_public_api(path: Path) -> None:
    for level, module, line in _imports(path):
        parts = module.split(".")
        if level or parts[0] != "libdlms" or len(parts) <= 2:
            continue  # ``libdlms`` and ``libdlms.<subpackage>`` are public
        assert len(parts) == 3, f"{path.name}:{line}: {module} is below the public modules"
        package = importlib.import_module(".".join(parts[:2]))
        assert parts[2] in getattr(package, "__all__", ()), (
            f"{path.name}:{line}: {module} is not a public module of {parts[1]}"
        )


def test_the_public_api_is_whole() -> None:
    import libdlms

    assert sorted(libdlms.__all__) == libdlms.__all__
    missing = [name for name in libdlms.__all__ if not hasattr(libdlms, name)]
    assert missing == []
