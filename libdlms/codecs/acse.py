"""ACSE APDUs (AARQ, AARE, RLRQ, RLRE) in BER, as IEC 62056-5-3 profiles them.

Long-form lengths are accepted everywhere (``61 82 00 35``). Fields we do not use are
skipped, not refused, and a rejecting AARE may come without user-information (L+G), so
callers look at ``result`` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from ..errors import DecodeError
from .axdr import Reader, encode_length

AARQ_TAG: Final = 0x60
AARE_TAG: Final = 0x61
RLRQ_TAG: Final = 0x62
RLRE_TAG: Final = 0x63

# joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5) DLMS-UA(8)
_DLMS_UA_OID_PREFIX: Final = bytes.fromhex("6085740508")
_APPLICATION_CONTEXT: Final = 0x01
_AUTHENTICATION_MECHANISM: Final = 0x02


class ApplicationContext(IntEnum):
    LOGICAL_NAME = 1
    SHORT_NAME = 2
    LOGICAL_NAME_WITH_CIPHERING = 3
    SHORT_NAME_WITH_CIPHERING = 4


class Mechanism(IntEnum):
    """Authentication mechanism names (the last arc of 2.16.756.5.8.2.x): none, low level
    security (a password) and the high level security mechanisms (a challenge each way)."""

    NONE = 0
    LOW = 1
    HIGH = 2  # manufacturer specific
    HIGH_MD5 = 3
    HIGH_SHA1 = 4
    HIGH_GMAC = 5
    HIGH_SHA256 = 6
    HIGH_ECDSA = 7

    @property
    def is_hls(self) -> bool:
        """A four-pass mechanism: the client proves itself after the AARE, with an ACTION."""
        return self >= Mechanism.HIGH

    @property
    def needs_secret(self) -> bool:
        """The LLS password or an HLS secret (MD5, SHA-1, SHA-256) shared with the meter;
        GMAC uses the authentication key instead and ECDSA the client's signing key."""
        return self in _WITH_SECRET

    @property
    def cli_name(self) -> str:
        """The command line's ``--auth`` name: ``none``, ``lls``, ``hls``, ``hls-md5``, …"""
        return _CLI_NAMES[self]

    @classmethod
    def from_name(cls, name: str) -> Mechanism:
        """The mechanism for a command-line name (``hls-md5``; ``hls_md5`` is taken too)."""
        wanted = name.strip().lower().replace("_", "-")
        for mechanism, cli_name in _CLI_NAMES.items():
            if cli_name == wanted:
                return mechanism
        raise ValueError(f"unknown authentication mechanism {name!r}")


_CLI_NAMES: Final = {
    Mechanism.NONE: "none",
    Mechanism.LOW: "lls",
    Mechanism.HIGH: "hls",
    Mechanism.HIGH_MD5: "hls-md5",
    Mechanism.HIGH_SHA1: "hls-sha1",
    Mechanism.HIGH_GMAC: "hls-gmac",
    Mechanism.HIGH_SHA256: "hls-sha256",
    Mechanism.HIGH_ECDSA: "hls-ecdsa",
}
_WITH_SECRET: Final = frozenset(
    {Mechanism.LOW, Mechanism.HIGH_MD5, Mechanism.HIGH_SHA1, Mechanism.HIGH_SHA256}
)


class AssociationResult(IntEnum):
    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2

    @property
    def kebab(self) -> str:
        return self.name.lower().replace("_", "-")


class AcseServiceUserDiagnostic(IntEnum):
    NULL = 0
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AP_TITLE_NOT_RECOGNIZED = 3
    CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 4
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = 5
    CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 6
    CALLED_AP_TITLE_NOT_RECOGNIZED = 7
    CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 8
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = 9
    CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 10
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = 11
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = 12
    AUTHENTICATION_FAILURE = 13
    AUTHENTICATION_REQUIRED = 14


def _oid(kind: int, value: int) -> bytes:
    return _DLMS_UA_OID_PREFIX + bytes((kind, value))


def _parse_oid(value: bytes, kind: int) -> int:
    if len(value) != 7 or value[:5] != _DLMS_UA_OID_PREFIX or value[5] != kind:
        raise DecodeError(f"unknown object identifier {value.hex()}")
    return value[6]


def _context(value: bytes) -> ApplicationContext:
    number = _parse_oid(_unwrap(value, 0x06), _APPLICATION_CONTEXT)
    try:
        return ApplicationContext(number)
    except ValueError:
        raise DecodeError(f"unknown application context {number}") from None


def _mechanism(value: bytes) -> Mechanism:
    number = _parse_oid(value, _AUTHENTICATION_MECHANISM)
    try:
        return Mechanism(number)
    except ValueError:
        raise DecodeError(f"unknown authentication mechanism {number}") from None


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(value)) + value


def _read_fields(body: bytes) -> dict[int, bytes]:
    reader = Reader(body)
    fields: dict[int, bytes] = {}
    while reader.remaining:
        tag = reader.byte()
        if tag & 0x1F == 0x1F:
            raise DecodeError(f"multi-byte BER tag 0x{tag:02X} is not used by ACSE")
        fields[tag] = reader.take(reader.length())
    return fields


def _unwrap(value: bytes, tag: int) -> bytes:
    """The content of the single TLV with ``tag`` that fills ``value``."""
    reader = Reader(value)
    if reader.byte() != tag:
        raise DecodeError(f"expected BER tag 0x{tag:02X} in {value.hex()}")
    content = reader.take(reader.length())
    reader.expect_end()
    return content


def _outer(data: bytes, tag: int, name: str) -> bytes:
    reader = Reader(data)
    if not data or reader.byte() != tag:
        raise DecodeError(f"not an {name}")
    body = reader.take(reader.length())
    reader.expect_end()
    return body


# ---------------------------------------------------------------------------- AARQ


@dataclass(frozen=True, slots=True)
class Aarq:
    application_context: ApplicationContext = ApplicationContext.LOGICAL_NAME
    mechanism: Mechanism = Mechanism.NONE
    calling_ap_title: bytes | None = None
    calling_authentication_value: bytes | None = None
    user_information: bytes | None = None

    def encode(self) -> bytes:
        body = _tlv(0xA1, _tlv(0x06, _oid(_APPLICATION_CONTEXT, self.application_context)))
        if self.calling_ap_title is not None:
            body += _tlv(0xA6, _tlv(0x04, self.calling_ap_title))
        if self.mechanism is not Mechanism.NONE:
            body += _tlv(0x8A, b"\x07\x80")  # sender-acse-requirements: authentication
            body += _tlv(0x8B, _oid(_AUTHENTICATION_MECHANISM, self.mechanism))
            if self.calling_authentication_value is not None:
                body += _tlv(0xAC, _tlv(0x80, self.calling_authentication_value))
        if self.user_information is not None:
            body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(AARQ_TAG, body)

    def to_json(self) -> dict[str, Any]:
        """The authentication value is a secret (an LLS password): only its length shows.
        ``user_information`` is hex here; the translator describes the APDU it holds."""
        value = self.calling_authentication_value
        return {
            "application_context": self.application_context.name.lower(),
            "mechanism": self.mechanism.name.lower(),
            "calling_ap_title": self.calling_ap_title.hex() if self.calling_ap_title else None,
            "authentication_value_length": len(value) if value else None,
        } | _user_information_json(self.user_information)

    @classmethod
    def decode(cls, data: bytes) -> Aarq:
        fields = _read_fields(_outer(data, AARQ_TAG, "AARQ"))
        if 0xA1 not in fields:
            raise DecodeError("AARQ without application-context-name")
        context = _context(fields[0xA1])
        mechanism = Mechanism.NONE
        if 0x8B in fields:
            mechanism = _mechanism(fields[0x8B])
        auth_value = None
        if 0xAC in fields:
            auth_value = _read_fields(fields[0xAC]).get(0x80)
        return cls(
            application_context=context,
            mechanism=mechanism,
            calling_ap_title=_unwrap(fields[0xA6], 0x04) if 0xA6 in fields else None,
            calling_authentication_value=auth_value,
            user_information=_unwrap(fields[0xBE], 0x04) if 0xBE in fields else None,
        )


# ---------------------------------------------------------------------------- AARE


@dataclass(frozen=True, slots=True)
class Aare:
    application_context: ApplicationContext
    result: AssociationResult
    diagnostic_source: int  # 1 = acse-service-user, 2 = acse-service-provider
    diagnostic: int
    responding_ap_title: bytes | None = None
    mechanism: Mechanism | None = None
    responding_authentication_value: bytes | None = None
    user_information: bytes | None = None

    def encode(self) -> bytes:
        body = _tlv(0xA1, _tlv(0x06, _oid(_APPLICATION_CONTEXT, self.application_context)))
        body += _tlv(0xA2, _tlv(0x02, bytes((self.result,))))
        source_tag = 0xA0 + self.diagnostic_source
        body += _tlv(0xA3, _tlv(source_tag, _tlv(0x02, bytes((self.diagnostic,)))))
        if self.responding_ap_title is not None:
            body += _tlv(0xA4, _tlv(0x04, self.responding_ap_title))
        if self.mechanism is not None and self.mechanism is not Mechanism.NONE:
            body += _tlv(0x88, b"\x07\x80")
            body += _tlv(0x89, _oid(_AUTHENTICATION_MECHANISM, self.mechanism))
            if self.responding_authentication_value is not None:
                body += _tlv(0xAA, _tlv(0x80, self.responding_authentication_value))
        if self.user_information is not None:
            body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(AARE_TAG, body)

    def to_json(self) -> dict[str, Any]:
        title = self.responding_ap_title
        return {
            "application_context": self.application_context.name.lower(),
            "result": self.result.kebab,
            "diagnostic_source": "acse-service-user"
            if self.diagnostic_source == 1
            else "acse-service-provider",
            "diagnostic": self.diagnostic,
            "mechanism": self.mechanism.name.lower() if self.mechanism is not None else None,
            "responding_ap_title": title.hex() if title else None,
        } | _user_information_json(self.user_information)

    @classmethod
    def decode(cls, data: bytes) -> Aare:
        fields = _read_fields(_outer(data, AARE_TAG, "AARE"))
        for tag, name in ((0xA1, "application-context-name"), (0xA2, "result")):
            if tag not in fields:
                raise DecodeError(f"AARE without {name}")
        context = _context(fields[0xA1])
        result_bytes = _unwrap(fields[0xA2], 0x02)
        if len(result_bytes) != 1 or result_bytes[0] > 2:
            raise DecodeError(f"bad AARE result {result_bytes.hex()}")
        source, diagnostic = 1, 0
        if 0xA3 in fields:
            inner = _read_fields(fields[0xA3])
            if len(inner) != 1:
                raise DecodeError("bad result-source-diagnostic")
            ((tag, value),) = inner.items()
            source = tag - 0xA0
            diagnostic_bytes = _unwrap(value, 0x02)
            if len(diagnostic_bytes) != 1:
                raise DecodeError("bad result-source-diagnostic value")
            diagnostic = diagnostic_bytes[0]
        mechanism = None
        if 0x89 in fields:
            mechanism = _mechanism(fields[0x89])
        auth_value = None
        if 0xAA in fields:
            auth_value = _read_fields(fields[0xAA]).get(0x80)
        return cls(
            application_context=context,
            result=AssociationResult(result_bytes[0]),
            diagnostic_source=source,
            diagnostic=diagnostic,
            responding_ap_title=_unwrap(fields[0xA4], 0x04) if 0xA4 in fields else None,
            mechanism=mechanism,
            responding_authentication_value=auth_value,
            user_information=_unwrap(fields[0xBE], 0x04) if 0xBE in fields else None,
        )


# ---------------------------------------------------------------------------- RLRQ / RLRE


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """RLRQ. Reason 0 = normal."""

    reason: int | None = 0
    user_information: bytes | None = None

    def encode(self) -> bytes:
        return _encode_release(RLRQ_TAG, self.reason, self.user_information)

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason} | _user_information_json(self.user_information)

    @classmethod
    def decode(cls, data: bytes) -> ReleaseRequest:
        return cls(*_decode_release(data, RLRQ_TAG, "RLRQ"))


@dataclass(frozen=True, slots=True)
class ReleaseResponse:
    """RLRE. Reason 0 = normal."""

    reason: int | None = 0
    user_information: bytes | None = None

    def encode(self) -> bytes:
        return _encode_release(RLRE_TAG, self.reason, self.user_information)

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason} | _user_information_json(self.user_information)

    @classmethod
    def decode(cls, data: bytes) -> ReleaseResponse:
        return cls(*_decode_release(data, RLRE_TAG, "RLRE"))


def _user_information_json(user_information: bytes | None) -> dict[str, Any]:
    """The user-information (the xDLMS APDU an ACSE APDU carries) as hex, when there is one."""
    return {"user_information": user_information.hex()} if user_information else {}


def _encode_release(tag: int, reason: int | None, user_information: bytes | None) -> bytes:
    body = b"" if reason is None else _tlv(0x80, bytes((reason,)))
    if user_information is not None:
        body += _tlv(0xBE, _tlv(0x04, user_information))
    return _tlv(tag, body)


def _decode_release(data: bytes, tag: int, name: str) -> tuple[int | None, bytes | None]:
    fields = _read_fields(_outer(data, tag, name))
    reason = fields[0x80][0] if fields.get(0x80) else None
    user_information = _unwrap(fields[0xBE], 0x04) if 0xBE in fields else None
    return reason, user_information
