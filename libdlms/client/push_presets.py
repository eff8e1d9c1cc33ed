"""Serial settings of push meters by country and grid operator, as data.

A push meter's customer port (HAN, P1, the M-Bus customer interface, sometimes the optical
port) sends on its own at a speed and parity the grid operator chose; a wrong setting gives
only noise. These presets, gathered from public trackers and the operators' port
specifications (``push_presets.json`` names its source), let a user pick "Norway: Aidon"
instead of guessing "2400 8E1"; ``framing`` and ``keys`` say what to expect on the line
(``keys``: ``none``, ``ek`` for the encryption key alone, ``ek_ak`` for both, ``varies``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..errors import ConfigurationError

PARITIES = ("N", "E", "O")
KEY_NEEDS = ("none", "ek", "ek_ak", "varies")
FRAMINGS = ("hdlc", "mbus", "wrapper", "raw")


@dataclass(frozen=True, slots=True)
class PushPreset:
    """One meter type's serial settings at one grid operator (or a whole country)."""

    id: str
    country: str
    """ISO 3166 alpha-2 code."""
    label: str
    operators: str
    meters: str
    port: str
    baudrate: int
    parity: str
    """``N``, ``E`` or ``O``, as the serial transport takes it."""
    byte_size: int
    framing: str
    """The framing seen on this port (``hdlc``, ``mbus``, ``wrapper``, ``raw``)."""
    keys: str
    notes: str = ""

    def __post_init__(self) -> None:
        if self.parity not in PARITIES:
            raise ConfigurationError(f"preset {self.id}: parity must be one of {PARITIES}")
        if self.keys not in KEY_NEEDS:
            raise ConfigurationError(f"preset {self.id}: keys must be one of {KEY_NEEDS}")
        if self.framing not in FRAMINGS:
            raise ConfigurationError(f"preset {self.id}: framing must be one of {FRAMINGS}")
        if self.baudrate <= 0 or self.byte_size not in (7, 8):
            raise ConfigurationError(f"preset {self.id}: impossible serial settings")


@cache
def load_push_presets() -> tuple[PushPreset, ...]:
    """Every preset, in the file's order (by country). Reads the packaged JSON once (the
    first call does file I/O: in an event loop, make it from an executor)."""
    text = resources.files(__package__).joinpath("push_presets.json").read_text("utf-8")
    presets = tuple(PushPreset(**entry) for entry in json.loads(text)["presets"])
    if len({preset.id for preset in presets}) != len(presets):
        raise ConfigurationError("push presets: duplicate id")
    return presets


def push_preset_named(preset_id: str) -> PushPreset:
    """The preset with this id; ConfigurationError for an unknown id."""
    for preset in load_push_presets():
        if preset.id == preset_id:
            return preset
    raise ConfigurationError(f"no push preset named {preset_id!r}")
