"""One APDU as the translator shows it: ``{"tag": "<name>", "hex": "…", …}``.

A plain APDU is decoded (``codecs.xdlms.decode_apdu``) and shows its own fields
(``to_json()``); the xDLMS APDU inside an ACSE APDU is described in turn, and a 12-byte
date-time gets its reading beside the hex. A ciphered APDU shows its security header, and
with keys its plaintext, described the same way; keys that cannot serve (missing, of the
wrong length) are said in ``decipher_error`` on that APDU, a tag that does not verify is
``tag_ok: false``. An APDU we can name but not decode (short-name services, general
signing) shows its tag and hex only.
"""

from __future__ import annotations

from typing import Any, Final

from ..codecs.acse import Aare, Aarq, ReleaseRequest, ReleaseResponse
from ..codecs.xdlms import (
    APDU_TAG_NAMES,
    DATA_NOTIFICATION_TAG,
    DECODABLE_TAGS,
    DataNotification,
    EventNotificationRequest,
    decode_apdu,
)
from ..cosem.clock import CosemDateTime
from ..errors import ConfigurationError, DecipheringError, DecodeError, SecurityError
from ..security import decipher_apdu, is_ciphered, parse_ciphered_apdu
from .context import NO_KEYS, DescribeContext
from .push import describe_notification

# The date-time octet strings whose reading (``<key>_text``) follows their hex.
_DATE_TIMES: Final[dict[type, str]] = {
    DataNotification: "date_time",
    EventNotificationRequest: "time",
}


def apdu_name(tag: int) -> str:
    return APDU_TAG_NAMES.get(tag, f"unknown-0x{tag:02x}")


def describe_apdu(apdu: bytes, context: DescribeContext = NO_KEYS) -> dict[str, Any]:
    """One APDU, without reassembly."""
    if not apdu:
        raise DecodeError("empty APDU")
    tag = apdu[0]
    out: dict[str, Any] = {"tag": apdu_name(tag), "hex": apdu.hex()}
    if is_ciphered(tag):
        return out | _describe_ciphered(apdu, context)
    if tag not in DECODABLE_TAGS:
        return out
    try:
        decoded = decode_apdu(apdu)
    except DecodeError:
        if tag != DATA_NOTIFICATION_TAG:
            raise
        return out | describe_notification(apdu)  # as meters send it, not as the standard
    out |= decoded.to_json()
    if isinstance(decoded, Aarq | Aare | ReleaseRequest | ReleaseResponse):
        if decoded.user_information:
            inner = context.with_sender(_sender(decoded))
            out["user_information"] = describe_apdu(decoded.user_information, inner)
    elif type(decoded) in _DATE_TIMES:
        out = _with_date_time_text(out, _DATE_TIMES[type(decoded)])
    return out


def _sender(apdu: Aarq | Aare | ReleaseRequest | ReleaseResponse) -> bytes | None:
    """The system title of whoever sent ``apdu``, when it names it."""
    if isinstance(apdu, Aarq):
        return apdu.calling_ap_title
    if isinstance(apdu, Aare):
        return apdu.responding_ap_title
    return None


def _with_date_time_text(described: dict[str, Any], key: str) -> dict[str, Any]:
    """``<key>_text`` right after ``key`` when it holds a 12-byte COSEM date-time."""
    out: dict[str, Any] = {}
    for name, value in described.items():
        out[name] = value
        if name == key and value is not None:
            raw = bytes.fromhex(value)
            if len(raw) == 12:
                out[f"{key}_text"] = str(CosemDateTime.from_bytes(raw))
    return out


def _describe_ciphered(apdu: bytes, context: DescribeContext) -> dict[str, Any]:
    """Security header always; with keys also ``tag_ok`` and the ``plaintext`` APDU."""
    parsed = parse_ciphered_apdu(apdu)
    out: dict[str, Any] = {
        "tag": parsed.name,
        "security_control": f"0x{parsed.control.to_byte():02x}",
        "invocation_counter": parsed.invocation_counter,
    }
    if parsed.system_title is not None:
        out["system_title"] = parsed.system_title.hex()
    if context.keys is None:
        return out
    if parsed.dedicated and context.keys.dedicated_key is None:
        out["decipher_error"] = (
            f"{parsed.name} needs the dedicated key: give it (--dk), "
            "or decode it after the AARQ that carries it"
        )
        return out
    try:
        deciphered = decipher_apdu(parsed, keys=context.keys, system_title=context.system_title)
    except DecipheringError:
        out["tag_ok"] = False
        return out
    except (SecurityError, ConfigurationError) as err:  # keys or title that cannot serve
        out["decipher_error"] = str(err)
        return out
    out["tag_ok"] = deciphered.tag_ok
    out["plaintext"] = describe_apdu(deciphered.plaintext, context)
    return out
