"""Pushed notifications in a capture, as ``dlms decode`` adds them: the bytes go through the
same ``PushReceiver`` a listener uses, so every Data-Notification they hold (after
deciphering, when keys were given) becomes exactly what a ``dlms listen`` line is.

``describe_notification`` shows a Data-Notification the strict decoder refuses (the typed
header date-time of Kaifa meters, the untyped descriptors of Czech ones) with the lenient
readings.
"""

from __future__ import annotations

from typing import Any, Final

from ..codecs.xdlms import read_notification_header
from ..cosem.clock import CosemDateTime
from ..cosem.push.payload import read_push_body
from ..errors import KeyRequired
from ..security import SecurityKeys
from ..session.push.events import Framing, NotificationFailed, NotificationReceived
from ..session.push.receiver import PushReceiver

LLC_PREFIXES: Final = (b"\xe6\xe7\x00", b"\xe6\xe6\x00")
_DATE_TIME_LENGTH: Final = 12


def describe_notification(apdu: bytes) -> dict[str, Any]:
    """A Data-Notification described with the lenient readings."""
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


def notifications(
    raw: bytes,
    framing: Framing,
    *,
    keys: SecurityKeys | None = None,
    system_title: bytes | None = None,
) -> list[dict[str, Any]]:
    """The contract's notification objects for the pushed bytes ``raw``; one that does not
    decode gives ``{"error", "framing", "system_title", "frame_counter", "hex"}`` as a
    ``listen`` error line does. Ciphered notifications without a key are left out: the
    translator's own description already shows their security header."""
    receiver = PushReceiver(framing=framing, keys=keys, system_title=system_title)
    out: list[dict[str, Any]] = []
    for event in receiver.receive_data(raw) + receiver.line_idle():
        if isinstance(event, NotificationReceived):
            out.append(event.notification.to_json())
        elif isinstance(event, NotificationFailed) and not isinstance(event.error, KeyRequired):
            out.append(event.to_json())
    return out
