"""Ciphered xDLMS APDUs: service-specific glo-/ded- ciphering and general-glo-/general-ded-
ciphering (Green Book, DLMS UA 1000-2, IEC 62056-5-3 clause 8; the tags are in
``codecs.xdlms.tags``).

Every service-specific form is ``[tag] IMPLICIT OCTET STRING`` holding ``SC ‖ IC ‖ payload ‖
T``. Other APDUs (data-notification [15], exception-response [216], access-request/-response
[217]/[218], general-block-transfer [224]) have no service-specific form: they travel in
general-glo-ciphering [219] 0xDB or general-ded-ciphering [220] 0xDC, ``SEQUENCE { system-title
OCTET STRING, ciphered-content OCTET STRING }``, which carry the sender's system title
themselves (some devices send it empty: then the caller's system title is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from ..codecs.axdr import Reader, encode_length
from ..codecs.xdlms import (
    APDU_TAG_NAMES,
    GENERAL_DED_CIPHERING_TAG,
    GENERAL_GLO_CIPHERING_TAG,
    SERVICE_SPECIFIC_CIPHERING,
)
from ..errors import DecodeError, EncodeError, SecurityError
from .control import SecurityControl
from .counter import InvocationCounterGuard
from .gcm import HEADER_LENGTH, Deciphered, decrypt, encrypt
from .suite import SecurityKeys, check_system_title

CipheringKind = Literal["glo", "ded", "general-glo", "general-ded"]
CIPHERING_KINDS: Final[tuple[CipheringKind, ...]] = get_args(CipheringKind)

GENERAL_GLO_CIPHERING: Final = GENERAL_GLO_CIPHERING_TAG
GENERAL_DED_CIPHERING: Final = GENERAL_DED_CIPHERING_TAG

# plain tag: (kebab name, glo- tag, ded- tag)
SERVICE_SPECIFIC: Final[dict[int, tuple[str, int, int]]] = {
    plain: (APDU_TAG_NAMES[plain], glo, ded)
    for plain, (glo, ded) in SERVICE_SPECIFIC_CIPHERING.items()
}
# ciphered tag: (kind, plain tag)
_CIPHERED: Final[dict[int, tuple[CipheringKind, int | None]]] = {
    **{glo: ("glo", plain) for plain, (_, glo, _) in SERVICE_SPECIFIC.items()},
    **{ded: ("ded", plain) for plain, (_, _, ded) in SERVICE_SPECIFIC.items()},
    GENERAL_GLO_CIPHERING: ("general-glo", None),
    GENERAL_DED_CIPHERING: ("general-ded", None),
}


def is_ciphered(tag: int) -> bool:
    """Whether an APDU tag is one of the ciphered forms this module handles."""
    return tag in _CIPHERED


def ciphered_tag(plain_tag: int, kind: CipheringKind) -> int:
    """The tag that carries ``plain_tag`` ciphered with ``kind``."""
    if kind == "general-glo":
        return GENERAL_GLO_CIPHERING
    if kind == "general-ded":
        return GENERAL_DED_CIPHERING
    if kind not in ("glo", "ded"):
        raise EncodeError(f"unknown ciphering kind {kind!r}")
    entry = SERVICE_SPECIFIC.get(plain_tag)
    if entry is None:
        raise EncodeError(
            f"APDU tag 0x{plain_tag:02X} has no {kind}- form; use general-{kind}-ciphering"
        )
    return entry[1] if kind == "glo" else entry[2]


def apdu_name(tag: int) -> str | None:
    """The kebab-case name of a ciphered tag (``glo-get-request``, ``general-glo-ciphering``)."""
    return APDU_TAG_NAMES[tag] if tag in _CIPHERED else None


@dataclass(frozen=True, slots=True)
class CipheredApdu:
    """A ciphered APDU taken apart without any key: what a translator can show before (or
    without) deciphering."""

    tag: int
    kind: CipheringKind
    content: bytes
    """``SC ‖ IC ‖ payload ‖ T``, at least 5 bytes."""
    system_title: bytes | None = None
    """general-*: the system title as carried (possibly empty); None for glo-/ded-."""

    @property
    def name(self) -> str:
        return apdu_name(self.tag) or f"0x{self.tag:02X}"

    @property
    def plain_tag(self) -> int | None:
        """The tag the plaintext must carry (None for general-*: any APDU)."""
        return _CIPHERED[self.tag][1]

    @property
    def dedicated(self) -> bool:
        return self.kind in ("ded", "general-ded")

    @property
    def control(self) -> SecurityControl:
        return SecurityControl.from_byte(self.content[0])

    @property
    def invocation_counter(self) -> int:
        return int.from_bytes(self.content[1:HEADER_LENGTH], "big")


def parse_ciphered_apdu(apdu: bytes) -> CipheredApdu:
    """Split a ciphered APDU (long-form lengths accepted, empty general-* system titles
    tolerated). Raises ``DecodeError`` for anything else, truncated or with trailing bytes."""
    reader = Reader(bytes(apdu))
    tag = reader.byte()
    entry = _CIPHERED.get(tag)
    if entry is None:
        raise DecodeError(f"APDU tag 0x{tag:02X} is not a ciphered APDU")
    kind = entry[0]
    system_title: bytes | None = None
    if kind in ("general-glo", "general-ded"):
        system_title = reader.take(reader.length())
    content = reader.take(reader.length())
    reader.expect_end()
    if len(content) < HEADER_LENGTH:
        raise DecodeError(
            f"ciphered content of {len(content)} bytes lacks the security header (SC and IC)"
        )
    return CipheredApdu(tag, kind, content, system_title)


def cipher_apdu(
    plain_apdu: bytes,
    *,
    kind: CipheringKind,
    control: SecurityControl,
    system_title: bytes,
    invocation_counter: int,
    keys: SecurityKeys,
) -> bytes:
    """Cipher one plain xDLMS APDU into a complete ciphered APDU.

    ``kind`` ``glo``/``ded`` gives the service-specific tag (a GET-Request 0xC0 becomes
    0xC8/0xD0, an InitiateRequest 0x01 the glo-initiateRequest 0x21 of a ciphered AARQ);
    ``general-glo``/``general-ded`` wraps any APDU with our system title. ``ded`` kinds use
    ``keys.dedicated_key``. ``system_title`` is ours (the sender's), ``invocation_counter`` a
    fresh ``counter.next()``.
    """
    if not plain_apdu:
        raise EncodeError("cannot cipher an empty APDU")
    tag = ciphered_tag(plain_apdu[0], kind)
    check_system_title(system_title)
    content = encrypt(
        bytes(plain_apdu),
        control=control,
        system_title=system_title,
        invocation_counter=invocation_counter,
        keys=keys,
        dedicated=kind in ("ded", "general-ded"),
    )
    if kind in ("general-glo", "general-ded"):
        return (
            bytes((tag,))
            + encode_length(len(system_title))
            + system_title
            + encode_length(len(content))
            + content
        )
    return bytes((tag,)) + encode_length(len(content)) + content


def decipher_apdu(
    apdu: bytes | CipheredApdu,
    *,
    keys: SecurityKeys,
    system_title: bytes | None = None,
    require_authentication: bool = False,
    counter_guard: InvocationCounterGuard | None = None,
) -> Deciphered:
    """Check and decipher one ciphered APDU; ``.plaintext`` is the plain APDU.

    ``system_title`` is the sender's: required for glo-/ded- APDUs (for a response, the
    server's system title from the AARE's responding-AP-title); for general-* the one in the
    APDU is used, and ``system_title`` only when the APDU carries an empty one.
    ``require_authentication`` refuses APDUs without a tag (see ``gcm.decrypt``).
    ``counter_guard`` rejects a replayed or stale IC before deciphering and records the IC
    once the tag verified.

    Raises ``DecodeError`` (malformed, or a plaintext of another service than the tag
    says), ``SecurityError`` (key missing or of the wrong length for the suite, no system
    title), ``DecipheringError`` (tag does not verify), ``InvocationCounterError``.
    """
    parsed = apdu if isinstance(apdu, CipheredApdu) else parse_ciphered_apdu(apdu)
    sender = parsed.system_title or system_title
    if sender is None:
        raise SecurityError(
            f"{parsed.name} needs the sender's system title to decipher"
            if parsed.system_title is None
            else f"{parsed.name} carries an empty system title; the sender's must be given"
        )
    check_system_title(sender, what="sender's system title")
    control = parsed.control
    key_label = (
        "dedicated" if parsed.dedicated else "broadcast" if control.broadcast_key else "global"
    )
    if counter_guard is not None:
        counter_guard.check(sender, parsed.invocation_counter, key=key_label)
    deciphered = decrypt(
        parsed.content,
        system_title=sender,
        keys=keys,
        dedicated=parsed.dedicated,
        require_authentication=require_authentication,
    )
    plain_tag = parsed.plain_tag
    if plain_tag is not None and deciphered.plaintext[:1] != bytes((plain_tag,)):
        found = f"0x{deciphered.plaintext[0]:02X}" if deciphered.plaintext else "nothing"
        raise DecodeError(f"{parsed.name} must carry an APDU 0x{plain_tag:02X}, not {found}")
    if counter_guard is not None:
        counter_guard.accept(sender, parsed.invocation_counter, key=key_label)
    return deciphered
