"""The security control byte (Green Book 9.2.7.2.4.3, "Security header").

Bits 0-3 security suite id, bit 4 authentication, bit 5 encryption, bit 6 broadcast key,
bit 7 compression. Authentication only is 0x1s, encryption only 0x2s, authenticated
encryption 0x3s (s = suite).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

from ..errors import SecurityError

SUITES: Final = (0, 1, 2)

_AUTHENTICATION: Final = 0x10
_ENCRYPTION: Final = 0x20
_BROADCAST_KEY: Final = 0x40
_COMPRESSION: Final = 0x80


@dataclass(frozen=True, slots=True)
class SecurityControl:
    """One security control byte, decoded."""

    suite: int
    authentication: bool
    encryption: bool
    broadcast_key: bool = False
    compression: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.suite <= 0x0F:
            raise SecurityError(f"security suite {self.suite} does not fit in 4 bits")

    @classmethod
    def from_byte(cls, value: int) -> Self:
        if not 0 <= value <= 0xFF:
            raise SecurityError(f"security control {value} is not a byte")
        return cls(
            suite=value & 0x0F,
            authentication=bool(value & _AUTHENTICATION),
            encryption=bool(value & _ENCRYPTION),
            broadcast_key=bool(value & _BROADCAST_KEY),
            compression=bool(value & _COMPRESSION),
        )

    def to_byte(self) -> int:
        return (
            self.suite
            | (_AUTHENTICATION if self.authentication else 0)
            | (_ENCRYPTION if self.encryption else 0)
            | (_BROADCAST_KEY if self.broadcast_key else 0)
            | (_COMPRESSION if self.compression else 0)
        )

    @property
    def policy(self) -> str:
        """``none``, ``authentication``, ``encryption`` or ``authenticated-encryption``
        (the command line's ``--security`` names)."""
        if self.authentication and self.encryption:
            return "authenticated-encryption"
        if self.authentication:
            return "authentication"
        if self.encryption:
            return "encryption"
        return "none"

    @classmethod
    def for_policy(cls, policy: str, *, suite: int = 0) -> Self:
        """The control for a ``--security`` name: ``authentication``, ``encryption`` or
        ``authenticated-encryption``."""
        flags = {
            "authentication": (True, False),
            "encryption": (False, True),
            "authenticated-encryption": (True, True),
        }.get(policy)
        if flags is None:
            raise SecurityError(f"unknown security policy {policy!r}")
        return cls(suite=suite, authentication=flags[0], encryption=flags[1])
