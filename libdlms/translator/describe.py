"""Bytes to a JSON description: what ``dlms decode`` prints (its contract is the command
line's, in the README). Anything that does not decode raises ``DecodeError``; the caller
prints it as ``{"error": …}``."""

from __future__ import annotations

from typing import Any

from ..codecs.axdr import decode_data
from ..codecs.hdlc import FLAG
from ..codecs.wrapper import looks_like_wrapper
from ..codecs.xdlms import APDU_TAG_NAMES
from ..errors import DecodeError
from ..security import SecurityKeys
from ..session.push.events import Framing
from .context import DescribeContext
from .iec import describe_iec, is_iec
from .push import LLC_PREFIXES, notifications
from .reassembly import (
    describe_apdus,
    describe_hdlc,
    describe_mbus,
    describe_wrapper,
    looks_like_mbus,
)

KINDS = ("auto", "hdlc", "mbus", "wrapper", "apdu", "data", "iec")
_PUSHED = frozenset(
    {
        "data-notification",
        "general-glo-ciphering",
        "general-ded-ciphering",
        "general-block-transfer",
    }
)
_WRAPPER_VERSION_BYTES = b"\x00\x01"


def describe(
    raw: bytes,
    kind: str = "auto",
    *,
    keys: SecurityKeys | None = None,
    system_title: bytes | None = None,
) -> dict[str, Any]:
    """``kind``: ``auto``, ``hdlc``, ``mbus``, ``wrapper``, ``apdu``, ``data`` or ``iec``.
    ``auto`` takes 0x7E for HDLC, M-Bus long frames whose checks hold for M-Bus, a
    version-1 wrapper header whose lengths match the bytes exactly for the wrapper, ``/``
    or ACK for IEC 62056-21, and anything else as an APDU (after the LLC ``E6 E7 00``,
    when the bytes start with it: a push meter's raw output).
    Pushed Data-Notifications are added under ``notifications``, as ``dlms listen``
    prints them.

    With ``keys``, ciphered APDUs are deciphered; ``system_title`` is the sender's, for
    service-specific ciphering (general-ciphering APDUs carry their own, and an AARQ or
    AARE supplies the calling or responding AP title to the APDU inside it)."""
    context = DescribeContext(keys, system_title)
    if not raw:
        raise DecodeError("no bytes to decode")
    if kind == "auto":
        kind = _recognise(raw)
    if kind == "hdlc":
        return _with_notifications(describe_hdlc(raw, context), raw, Framing.HDLC, context)
    if kind == "wrapper":
        return _with_notifications(describe_wrapper(raw, context), raw, Framing.WRAPPER, context)
    if kind == "mbus":
        return _with_notifications(describe_mbus(raw, context), raw, Framing.MBUS, context)
    if kind == "data":
        return {"data": decode_data(raw).to_json()}
    if kind == "iec":
        return describe_iec(raw)
    llc = raw[:3] in LLC_PREFIXES
    apdu = raw[3:] if llc else raw
    if not apdu or apdu[0] not in APDU_TAG_NAMES:
        raise DecodeError(f"unknown APDU tag 0x{raw[0]:02X}")
    result = {"llc": raw[:3].hex()} if llc else {}
    return _with_notifications(
        result | describe_apdus([(None, apdu)], context=context), raw, Framing.RAW, context
    )


def _with_notifications(
    result: dict[str, Any], raw: bytes, framing: Framing, context: DescribeContext
) -> dict[str, Any]:
    """``notifications``: the Data-Notifications the bytes hold, as ``dlms listen``
    prints them (absent when there are none)."""
    if not _may_push(result, context):
        return result
    found = notifications(raw, framing, keys=context.keys, system_title=context.system_title)
    if found:
        result["notifications"] = found
    return result


def _may_push(result: dict[str, Any], context: DescribeContext) -> bool:
    """Whether the described bytes hold a Data-Notification (plain, deciphered or carried
    in blocks), or a general-glo ciphered APDU the given keys could not open."""
    stack: list[Any] = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            tag = item.get("tag")
            if tag == "data-notification":
                return True
            if (
                tag == "general-glo-ciphering"
                and context.keys is not None
                and "plaintext" not in item
            ):
                return True
            stack.extend(value for value in item.values() if isinstance(value, dict | list))
    return False


def _recognise(raw: bytes) -> str:
    if raw[0] == FLAG:
        return "hdlc"
    if raw[:2] == _WRAPPER_VERSION_BYTES and looks_like_wrapper(raw):
        return "wrapper"
    if raw[:1] in (b"/", b"\x06") and is_iec(raw):
        return "iec"
    if looks_like_mbus(raw):
        return "mbus"
    return "apdu"
