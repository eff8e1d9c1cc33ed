"""Reading a packaged presets file: ``{"source": …, "presets": [{"id": …, …}, …]}``, each
entry a keyword argument set for one dataclass, ids unique."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any, Protocol, TypeVar

from ..errors import ConfigurationError


class _Named(Protocol):
    @property
    def id(self) -> str: ...


P = TypeVar("P", bound=_Named)


def read_presets(filename: str, build: Callable[..., P]) -> tuple[P, ...]:
    """Every preset of ``filename`` (next to this module), in the file's order; file I/O."""
    text = resources.files(__package__).joinpath(filename).read_text("utf-8")
    entries: list[dict[str, Any]] = json.loads(text)["presets"]
    presets = tuple(build(**entry) for entry in entries)
    if len({preset.id for preset in presets}) != len(presets):
        raise ConfigurationError(f"{filename}: duplicate id")
    return presets


def preset_named(presets: Iterable[P], preset_id: str, kind: str) -> P:
    """The preset with this id; ConfigurationError for an unknown id."""
    for preset in presets:
        if preset.id == preset_id:
            return preset
    raise ConfigurationError(f"no {kind} preset named {preset_id!r}")
