"""AES-GCM ciphering of one APDU's content (Green Book 9.2.7.2.4, "Cryptographic protection").

The ciphered content that follows the tag (and length) of a glo-/ded-/general- APDU is
``SC ‖ IC ‖ payload ‖ T``:

- IV = system title (8 bytes) ‖ invocation counter (4 bytes, big-endian).
- Authentication only (SC 0x1s): the payload is the plaintext in clear, and T is the GMAC
  tag over AAD = SC ‖ AK ‖ plaintext.
- Encryption only (SC 0x2s): the payload is the GCM ciphertext, AAD empty, and there is no T.
- Authenticated encryption (SC 0x3s): the payload is the GCM ciphertext, T the tag over
  AAD = SC ‖ AK.
- T is the GCM tag truncated to 12 bytes in every suite. The APDU tag and the system title
  are not authenticated (the system title enters through the IV).

A tag that does not verify raises ``DecipheringError``; its message never contains a key.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import DecipheringError, SecurityError
from .control import SecurityControl
from .suite import TAG_LENGTH, SecurityKeys, check_system_title

IC_MAX: Final = 0xFFFFFFFF
HEADER_LENGTH: Final = 5  # SC + IC


def make_iv(system_title: bytes, invocation_counter: int) -> bytes:
    """The 12-byte GCM IV: system title ‖ invocation counter (big-endian)."""
    check_system_title(system_title)
    check_invocation_counter(invocation_counter)
    return system_title + invocation_counter.to_bytes(4, "big")


def check_invocation_counter(invocation_counter: int) -> None:
    if (
        not isinstance(invocation_counter, int)
        or isinstance(invocation_counter, bool)
        or not 0 <= invocation_counter <= IC_MAX
    ):
        raise SecurityError(f"invocation counter {invocation_counter!r} is not a 32-bit unsigned")


@dataclass(frozen=True, slots=True)
class Deciphered:
    """What one ciphered content carried. ``tag`` is the received 12-byte authentication tag
    (None without authentication); when present it has been verified."""

    control: SecurityControl
    system_title: bytes
    invocation_counter: int
    plaintext: bytes
    tag: bytes | None = None

    @property
    def iv(self) -> bytes:
        return self.system_title + self.invocation_counter.to_bytes(4, "big")

    @property
    def tag_ok(self) -> bool | None:
        """True when a tag was verified, None when the content carried none (a failed tag
        raises instead)."""
        return True if self.tag is not None else None


# ------------------------------------------------------------------------- primitives


def _gcm_encrypt(key: bytes, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext, encryptor.tag[:TAG_LENGTH]


def _gcm_decrypt(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    # The decryption and tag check are one operation; cryptography refuses tags shorter than
    # min_tag_length, so allow exactly the 12 bytes every suite uses.
    decryptor = Cipher(
        algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
    ).decryptor()
    decryptor.authenticate_additional_data(aad)
    plaintext = decryptor.update(ciphertext)
    try:
        decryptor.finalize()
    except InvalidTag:
        raise DecipheringError(
            "authentication tag does not verify (wrong key or system title, or altered bytes)"
        ) from None
    return plaintext


def _gcm_keystream_xor(key: bytes, iv: bytes, data: bytes) -> bytes:
    """GCM without authentication (encryption-only security): CTR mode from inc32(J0),
    where J0 = IV ‖ 00000001 for a 96-bit IV (NIST SP 800-38D 7.1). Symmetric."""
    counter_block = iv + (2).to_bytes(4, "big")
    cipher = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
    return cipher.update(data) + cipher.finalize()


def gmac_tag(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The 12-byte GMAC tag over ``aad`` (GCM with an empty plaintext)."""
    return _gcm_encrypt(key, iv, aad, b"")[1]


def verify_gmac_tag(key: bytes, iv: bytes, aad: bytes, tag: bytes) -> None:
    if len(tag) != TAG_LENGTH or not hmac.compare_digest(gmac_tag(key, iv, aad), tag):
        raise DecipheringError(
            "authentication tag does not verify (wrong key or system title, or altered bytes)"
        )


# ------------------------------------------------------------------------- content


def encrypt(
    plaintext: bytes,
    *,
    control: SecurityControl,
    system_title: bytes,
    invocation_counter: int,
    keys: SecurityKeys,
    dedicated: bool = False,
) -> bytes:
    """``SC ‖ IC ‖ payload ‖ T``: the ciphered content of one APDU.

    ``system_title`` is the sender's (ours, when we send), ``invocation_counter`` a value
    taken from an ``InvocationCounter`` (``counter.next()``), never reused. ``dedicated``
    selects the dedicated key (``ded-`` ciphering). Keys and arguments are checked before
    any cryptographic operation.
    """
    if control.compression:
        raise SecurityError("compressed APDUs are not supported")
    if not (control.authentication or control.encryption):
        raise SecurityError("the security control asks for neither authentication nor encryption")
    iv = make_iv(system_title, invocation_counter)
    key = keys.cipher_key(control, dedicated=dedicated)
    sc = bytes((control.to_byte(),))
    header = sc + invocation_counter.to_bytes(4, "big")
    if control.authentication:
        ak = keys.auth_key(control.suite)
        if control.encryption:
            ciphertext, tag = _gcm_encrypt(key, iv, sc + ak, plaintext)
            return header + ciphertext + tag
        return header + plaintext + gmac_tag(key, iv, sc + ak + plaintext)
    return header + _gcm_keystream_xor(key, iv, plaintext)


def _split_content(content: bytes) -> tuple[SecurityControl, int, bytes]:
    """SC, IC and what follows them; compression (never used by meters) is refused."""
    if len(content) < HEADER_LENGTH:
        raise DecipheringError(f"ciphered content of {len(content)} bytes has no SC and IC")
    control = SecurityControl.from_byte(content[0])
    if control.compression:
        raise SecurityError("compressed APDUs are not supported")
    return control, int.from_bytes(content[1:HEADER_LENGTH], "big"), content[HEADER_LENGTH:]


def decrypt(
    content: bytes,
    *,
    system_title: bytes,
    keys: SecurityKeys,
    dedicated: bool = False,
    require_authentication: bool = False,
) -> Deciphered:
    """Check and decipher ``SC ‖ IC ‖ payload ‖ T``.

    ``system_title`` is the sender's (the server's, for a response). Raises
    ``DecipheringError`` when the tag does not verify, ``SecurityError`` for a key that does
    not fit the suite in SC, a missing key, compression, or - with
    ``require_authentication`` - content that carries no authentication tag (a peer
    must not be able to downgrade an authenticated association to unauthenticated APDUs).
    A security control with neither bit set is returned as it came, ``tag_ok`` None.
    """
    control, invocation_counter, payload = _split_content(content)
    if require_authentication and not control.authentication:
        raise DecipheringError(
            f"security control 0x{control.to_byte():02X} carries no authentication, "
            "and authentication is required"
        )
    iv = make_iv(system_title, invocation_counter)
    if not (control.authentication or control.encryption):
        return Deciphered(control, system_title, invocation_counter, payload)
    key = keys.cipher_key(control, dedicated=dedicated)
    sc = content[:1]
    if not control.authentication:
        plaintext = _gcm_keystream_xor(key, iv, payload)
        return Deciphered(control, system_title, invocation_counter, plaintext)
    ak = keys.auth_key(control.suite)
    if len(payload) < TAG_LENGTH:
        raise DecipheringError(
            f"ciphered content of {len(content)} bytes is too short for its authentication tag"
        )
    body, tag = payload[:-TAG_LENGTH], payload[-TAG_LENGTH:]
    if control.encryption:
        plaintext = _gcm_decrypt(key, iv, sc + ak, body, tag)
    else:
        verify_gmac_tag(key, iv, sc + ak + body, tag)
        plaintext = body
    return Deciphered(control, system_title, invocation_counter, plaintext, tag)


def decrypt_unverified(
    content: bytes, *, system_title: bytes, keys: SecurityKeys, dedicated: bool = False
) -> Deciphered:
    """Decipher ``SC ‖ IC ‖ payload ‖ T`` with the encryption key alone, leaving any tag
    unchecked (``tag_ok`` None).

    For received push data only, where the user may have the encryption key and not the
    authentication key (Austrian DSOs hand out only the EK; Luxembourg's published AK fails
    on real meters). Without the tag nothing vouches for the bytes, so the caller must check
    the plaintext's structure before trusting it. Never use this for a session's responses.
    """
    control, invocation_counter, payload = _split_content(content)
    if control.authentication:
        if len(payload) < TAG_LENGTH:
            raise DecipheringError(
                f"ciphered content of {len(content)} bytes is too short for its authentication tag"
            )
        payload = payload[:-TAG_LENGTH]
    if not control.encryption:
        return Deciphered(control, system_title, invocation_counter, payload)
    iv = make_iv(system_title, invocation_counter)
    key = keys.cipher_key(control, dedicated=dedicated)
    plaintext = _gcm_keystream_xor(key, iv, payload)
    return Deciphered(control, system_title, invocation_counter, plaintext)
