"""OBIS codes (IEC 62056-6-1) in both common notations.

Accepted on input: ``1-0:1.8.0*255``, ``1-0:1.8.0.255``, ``1.0.1.8.0.255``, ``1-0:1.8.0`` (F
defaults to 255) and the 6-byte form used on the wire. Output is the dotted six-group
form (``1.0.1.8.0.255``), which is what the command-line contract and the config entries
store, plus the reduced ID notation (``1-0:1.8.0*255``) for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DecodeError

_REDUCED = re.compile(
    r"^\s*(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[*.&](\d{1,3}))?\s*$"
)
_DOTTED = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$")


@dataclass(frozen=True, order=True, slots=True)
class Obis:
    """A six-group OBIS code ``A-B:C.D.E*F``."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    def __post_init__(self) -> None:
        for group in (self.a, self.b, self.c, self.d, self.e, self.f):
            if not 0 <= group <= 255:
                raise DecodeError(f"OBIS group out of range 0..255: {group}")

    @classmethod
    def parse(cls, text: str) -> Obis:
        """Parse either textual notation; raise ``DecodeError`` on anything else."""
        match = _DOTTED.match(text) or _REDUCED.match(text)
        if match is None:
            raise DecodeError(f"not an OBIS code: {text!r}")
        groups = [int(g) if g is not None else 255 for g in match.groups()]
        return cls(*groups)

    @classmethod
    def from_bytes(cls, data: bytes) -> Obis:
        if len(data) != 6:
            raise DecodeError(f"an OBIS code is 6 bytes, got {len(data)}")
        return cls(*data)

    def to_bytes(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    @property
    def dotted(self) -> str:
        """``1.0.1.8.0.255``: the form stored in config entries and printed by the CLI."""
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    @property
    def reduced(self) -> str:
        """``1-0:1.8.0*255``: the reduced ID notation printed on meters."""
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}*{self.f}"

    def __str__(self) -> str:
        return self.dotted
