"""The security control byte (Green Book 9.2.7.2.4.3, "Security header").

Bits 0-3 security suite id, bit 4 authentication, bit 5 encryption, bit 6 broadcast key,
bit 7 compression. Authentication only is 0x1s, encryption only 0x2s, authenticated
encryption 0x3s (s = suite).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Self

from ..errors import ConfigurationError

SUITES: Final = (0, 1, 2)


class SecurityPolicy(StrEnum):
    """What protects each xDLMS APDU of an association (the command line's ``--security``
    names, which are also what config entries store)."""

    NONE = "none"
    AUTHENTICATION = "authentication"
    ENCRYPTION = "encryption"
    AUTHENTICATED_ENCRYPTION = "authenticated-encryption"

    @property
    def authentication(self) -> bool:
        return self in (SecurityPolicy.AUTHENTICATION, SecurityPolicy.AUTHENTICATED_ENCRYPTION)

    @property
    def encryption(self) -> bool:
        return self in (SecurityPolicy.ENCRYPTION, SecurityPolicy.AUTHENTICATED_ENCRYPTION)

    @classmethod
    def from_name(cls, name: str) -> SecurityPolicy:
        try:
            return cls(name)
        except ValueError:
            raise ConfigurationError(f"unknown security policy {name!r}") from None


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
            raise ConfigurationError(f"security suite {self.suite} does not fit in 4 bits")

    @classmethod
    def from_byte(cls, value: int) -> Self:
        if not 0 <= value <= 0xFF:
            raise ConfigurationError(f"security control {value} is not a byte")
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
    def policy(self) -> SecurityPolicy:
        if self.authentication and self.encryption:
            return SecurityPolicy.AUTHENTICATED_ENCRYPTION
        if self.authentication:
            return SecurityPolicy.AUTHENTICATION
        if self.encryption:
            return SecurityPolicy.ENCRYPTION
        return SecurityPolicy.NONE

    @classmethod
    def for_policy(cls, policy: SecurityPolicy | str, *, suite: int = 0) -> Self:
        """The control that protects APDUs under ``policy`` (not ``none``) with ``suite``."""
        policy = SecurityPolicy.from_name(policy)
        if policy is SecurityPolicy.NONE:
            raise ConfigurationError("the security policy none has no security control")
        return cls(suite=suite, authentication=policy.authentication, encryption=policy.encryption)
