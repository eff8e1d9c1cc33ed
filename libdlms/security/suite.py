"""Security suites and the keys they use (Green Book 9.2.3.7, "Cryptographic algorithms").

| suite | ciphering    | EK, AK, KEK | digital signature   |
|-------|--------------|-------------|---------------------|
| 0     | AES-GCM-128  | 16 bytes    | none                |
| 1     | AES-GCM-128  | 16 bytes    | ECDSA P-256/SHA-256 |
| 2     | AES-GCM-256  | 32 bytes    | ECDSA P-384/SHA-384 |

The authentication tag is 12 bytes in every suite. Key lengths are checked against the suite
before any cryptographic operation, and key material never appears in ``repr()``, ``str()``
or an exception message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

from ..errors import ConfigurationError
from .control import SecurityControl

TAG_LENGTH: Final = 12
SYSTEM_TITLE_LENGTH: Final = 8

_KEY_LENGTHS: Final[dict[int, int]] = {0: 16, 1: 16, 2: 32}


def key_length(suite: int) -> int:
    """The EK/AK/KEK length in bytes for a security suite."""
    try:
        return _KEY_LENGTHS[suite]
    except KeyError:
        raise ConfigurationError(f"security suite {suite} is not supported (0, 1 or 2)") from None


def check_key(name: str, key: bytes, suite: int) -> None:
    """Raise ``ConfigurationError`` unless ``key`` has the length ``suite`` requires. The message
    names the key and the lengths, never its bytes."""
    expected = key_length(suite)
    if not isinstance(key, bytes):
        raise ConfigurationError(f"the {name} must be bytes")
    if len(key) != expected:
        raise ConfigurationError(
            f"the {name} is {len(key)} bytes; security suite {suite} needs {expected}"
        )


def _describe(key: bytes | None) -> str:
    return "None" if key is None else f"<{len(key)} bytes>"


@dataclass(frozen=True, slots=True, repr=False)
class SecurityKeys:
    """The symmetric keys of one client-server pair.

    ``encryption_key`` is the global unicast encryption key (GUEK, "EK"),
    ``authentication_key`` the authentication key ("AK": needed for authentication, i.e.
    security control 0x1s/0x3s, and for HLS-GMAC), ``broadcast_key`` the global broadcast
    encryption key (used when the control's broadcast bit is set) and ``dedicated_key`` the
    dedicated key sent in the InitiateRequest (used by ``ded-`` and ``general-ded-``
    ciphering). ``repr()`` and ``str()`` show only the lengths.
    """

    encryption_key: bytes
    authentication_key: bytes | None = None
    broadcast_key: bytes | None = None
    dedicated_key: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("encryption_key", "authentication_key", "broadcast_key", "dedicated_key"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bytes):
                raise ConfigurationError(f"{name.replace('_', ' ')} must be bytes")

    def __repr__(self) -> str:
        return (
            f"SecurityKeys(encryption_key={_describe(self.encryption_key)}, "
            f"authentication_key={_describe(self.authentication_key)}, "
            f"broadcast_key={_describe(self.broadcast_key)}, "
            f"dedicated_key={_describe(self.dedicated_key)})"
        )

    __str__ = __repr__

    @classmethod
    def from_hex(
        cls,
        encryption_key: str,
        authentication_key: str | None = None,
        *,
        broadcast_key: str | None = None,
        dedicated_key: str | None = None,
    ) -> Self:
        """Keys typed by a user (the key letter, ``--ek``/``--ak``): hexadecimal, spaces
        allowed. A bad digit is a ``ConfigurationError`` that does not repeat the input."""
        return cls(
            _from_hex("encryption key", encryption_key),
            None
            if authentication_key is None
            else _from_hex("authentication key", authentication_key),
            None if broadcast_key is None else _from_hex("broadcast key", broadcast_key),
            None if dedicated_key is None else _from_hex("dedicated key", dedicated_key),
        )

    def validate(self, suite: int) -> None:
        """Check every key present against ``suite``'s key length."""
        check_key("encryption key", self.encryption_key, suite)
        if self.authentication_key is not None:
            check_key("authentication key", self.authentication_key, suite)
        if self.broadcast_key is not None:
            check_key("broadcast key", self.broadcast_key, suite)
        if self.dedicated_key is not None:
            check_key("dedicated key", self.dedicated_key, suite)

    def cipher_key(self, control: SecurityControl, *, dedicated: bool = False) -> bytes:
        """The block cipher key for one APDU, checked against its suite: the dedicated key
        for ``ded-`` ciphering, the broadcast key when the broadcast bit is set, else EK."""
        if dedicated:
            if self.dedicated_key is None:
                raise ConfigurationError("dedicated ciphering needs the dedicated key")
            key, name = self.dedicated_key, "dedicated key"
        elif control.broadcast_key:
            if self.broadcast_key is None:
                raise ConfigurationError(
                    "the broadcast key bit is set but no broadcast key is given"
                )
            key, name = self.broadcast_key, "broadcast key"
        else:
            key, name = self.encryption_key, "encryption key"
        check_key(name, key, control.suite)
        return key

    def auth_key(self, suite: int) -> bytes:
        """The authentication key, checked against ``suite``."""
        if self.authentication_key is None:
            raise ConfigurationError("authentication needs the authentication key (AK)")
        check_key("authentication key", self.authentication_key, suite)
        return self.authentication_key


def _from_hex(name: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(":", "").replace(" ", ""))
    except ValueError:
        raise ConfigurationError(f"the {name} is not hexadecimal") from None


def check_system_title(system_title: bytes, *, what: str = "system title") -> None:
    """A system title is 8 bytes (it is the first 8 bytes of the 12-byte GCM IV)."""
    if not isinstance(system_title, bytes) or len(system_title) != SYSTEM_TITLE_LENGTH:
        size = len(system_title) if isinstance(system_title, bytes) else "?"
        raise ConfigurationError(f"the {what} must be {SYSTEM_TITLE_LENGTH} bytes, not {size}")
