"""IEC 62056-21 messages (the mode E sign-on) as the translator shows them."""

from __future__ import annotations

import contextlib
from typing import Any

from ..codecs.iec62056_21 import parse_acknowledgement
from ..errors import DecodeError


def is_iec(raw: bytes) -> bool:
    try:
        describe_iec(raw)
    except DecodeError:
        return False
    return True


def describe_iec(raw: bytes) -> dict[str, Any]:
    """A request, an identification or an acknowledgement; anything else is a DecodeError.
    The identification is shown as sent, even with a baud character outside modes C and E."""
    text = raw.decode("ascii", errors="replace")
    if raw.startswith(b"/?") and raw.endswith(b"!\r\n"):
        return {"iec": {"message": "request", "address": text[2:-3]}}
    if raw[:1] == b"\x06":
        with contextlib.suppress(DecodeError):  # not one: said below, as for anything else
            protocol, baud, mode = parse_acknowledgement(raw)
            return {
                "iec": {
                    "message": "acknowledgement",
                    "protocol": protocol,
                    "baud": baud,
                    "mode": mode,
                }
            }
    if raw.startswith(b"/") and raw.endswith(b"\r\n") and len(raw) >= 7:
        hdlc = text[5:7] == "\\2"
        return {
            "iec": {
                "message": "identification",
                "manufacturer": text[1:4],
                "baud": text[4],
                "hdlc": hdlc,
                "identification": text[7:-2] if hdlc else text[5:-2],
            }
        }
    raise DecodeError("not an IEC 62056-21 message")
