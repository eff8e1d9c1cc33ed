"""Pushed notifications in a capture, as ``dlms decode`` adds them: every Data-Notification
the bytes hold (after deciphering, when keys were given) becomes the same object a
``dlms listen`` line is (``Notification.to_json()``), under ``notifications``.

It works on what the translator already reassembled (HDLC segments, wrapper PDUs, GBT
blocks, deciphered plaintext), so framing is read once. The notification header is read
leniently, as meters send it: the date-time as an octet string (``0C`` + 12 bytes, or
``00`` when absent) or typed (``09 0C`` + 12 bytes, Kaifa); the body by the payload
decoder, which also reads the Czech untyped attribute descriptors.
"""

from __future__ import annotations

from typing import Any, Final

from ..codecs.axdr import Reader
from ..codecs.xdlms import DATA_NOTIFICATION_TAG
from ..cosem.clock import CosemDateTime
from ..cosem.push.payload import decode_payload, read_push_body
from ..errors import DecodeError, DlmsError
from ..session.push.events import Framing, Notification

LLC_PREFIXES: Final = (b"\xe6\xe7\x00", b"\xe6\xe6\x00")
_OCTET_STRING: Final = 0x09
_DATE_TIME_LENGTH: Final = 12


def read_notification_header(apdu: bytes) -> tuple[int, bytes | None, bytes]:
    """(long invoke id, date-time or None, body bytes) of a Data-Notification, with the
    date-time typed or not."""
    reader = Reader(apdu)
    if reader.byte() != DATA_NOTIFICATION_TAG:
        raise DecodeError("not a Data-Notification")
    long_invoke_id = reader.u32()
    length = reader.byte()
    if length == _OCTET_STRING and apdu[reader.pos : reader.pos + 1] == b"\x0c":
        length = reader.byte()  # typed: 09 0C …
    date_time = reader.take(length) if length else None
    return long_invoke_id, date_time, apdu[reader.pos :]


def describe_notification(apdu: bytes) -> dict[str, Any]:
    """A Data-Notification the strict decoder refuses (typed header date-time, untyped
    descriptors in the body), described with the lenient readings."""
    long_invoke_id, date_time, body = read_notification_header(apdu)
    out: dict[str, Any] = {
        "long_invoke_id": long_invoke_id,
        "invoke_id": long_invoke_id & 0xFFFFFF,
        "date_time": None if date_time is None else date_time.hex(),
    }
    if date_time is not None and len(date_time) == _DATE_TIME_LENGTH:
        out["date_time_text"] = str(CosemDateTime.from_bytes(date_time))
    out["body"] = read_push_body(body).to_json()
    return out


def notification_of(
    apdu: bytes,
    framing: Framing | str,
    *,
    ciphered: dict[str, Any] | None = None,
    profile: str | None = None,
) -> Notification:
    """The Notification a plain Data-Notification APDU is; ``ciphered`` the translator's
    description of the ciphered APDU around it (its security header). ``framing`` is a
    ``Framing`` or its name."""
    long_invoke_id, date_time, body = read_notification_header(apdu)
    decoded = decode_payload(read_push_body(body), profile=profile)
    time = None
    if date_time is not None and len(date_time) == _DATE_TIME_LENGTH:
        try:
            time = CosemDateTime.from_bytes(date_time)
        except DlmsError:
            time = None
    system_title = frame_counter = security_control = None
    if ciphered is not None:
        title = ciphered.get("system_title")
        system_title = None if title is None else bytes.fromhex(title)
        frame_counter = ciphered.get("invocation_counter")
        security_control = int(ciphered["security_control"], 16)
    return Notification(
        framing=Framing(framing),
        values=decoded.values,
        time=time,
        invoke_id=long_invoke_id & 0xFFFFFF,
        long_invoke_id=long_invoke_id,
        system_title=system_title,
        frame_counter=frame_counter,
        security_control=security_control,
        profile=decoded.profile,
        tree=decoded.tree,
        apdu=apdu,
    )


def notifications(described: dict[str, Any], framing: Framing) -> list[dict[str, Any]]:
    """The contract's notification objects for every Data-Notification in a translator
    result (``apdu`` or ``apdus``); one that does not decode gives ``{"error", …}``."""
    apdus = described.get("apdus") or ([described["apdu"]] if "apdu" in described else [])
    out: list[dict[str, Any]] = []
    for item in apdus:
        ciphered = item if "plaintext" in item else None
        plain = item["plaintext"] if ciphered is not None else item
        if plain.get("tag") != "data-notification":
            continue
        try:
            raw = bytes.fromhex(plain["hex"])
            out.append(notification_of(raw, framing, ciphered=ciphered).to_json())
        except DlmsError as err:
            out.append({"error": str(err), "framing": str(framing), "hex": plain["hex"].upper()})
    return out
