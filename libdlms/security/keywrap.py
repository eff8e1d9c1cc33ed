"""AES key wrap (RFC 3394) for key transfer (Security setup methods key_transfer /
global_key_transfer: the new key travels wrapped with the master key, KEK)."""

from __future__ import annotations

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from ..errors import ConfigurationError, DecipheringError
from .suite import check_key


def _check_wrapped_length(name: str, data: bytes) -> None:
    if not isinstance(data, bytes) or len(data) < 16 or len(data) % 8:
        raise ConfigurationError(f"the {name} must be a multiple of 8 bytes, at least 16")


def wrap_key(kek: bytes, key: bytes, *, suite: int = 0) -> bytes:
    """``key`` wrapped with ``kek`` (both checked against ``suite``'s key length)."""
    check_key("key encryption key", kek, suite)
    check_key("key to wrap", key, suite)
    return aes_key_wrap(kek, key)


def unwrap_key(kek: bytes, wrapped: bytes, *, suite: int = 0) -> bytes:
    """The key inside ``wrapped``; ``DecipheringError`` when its integrity check fails."""
    check_key("key encryption key", kek, suite)
    _check_wrapped_length("wrapped key", wrapped)
    try:
        key = aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        raise DecipheringError(
            "the wrapped key does not unwrap (wrong KEK or altered bytes)"
        ) from None
    check_key("unwrapped key", key, suite)
    return key
