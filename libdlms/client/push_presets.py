"""Serial settings of push meters by country and grid operator, as data.

A push meter's customer port (HAN, P1, the M-Bus customer interface, sometimes the optical
port) sends on its own at a speed and parity the grid operator chose; a wrong setting gives
only noise. These presets, gathered from public trackers and the operators' port
specifications (``push_presets.json`` names its source), let a user pick "Norway: Aidon"
instead of guessing "2400 8E1"; ``framing`` and ``keys`` say what to expect on the line
(``keys``: ``none``, ``ek`` for the encryption key alone, ``ek_ak`` for both, ``varies``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..errors import ConfigurationError
from ._presets import preset_named, read_presets

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
    return read_presets("push_presets.json", PushPreset)


def push_preset_named(preset_id: str) -> PushPreset:
    """The preset with this id; ConfigurationError for an unknown id."""
    return preset_named(load_push_presets(), preset_id, "push")
