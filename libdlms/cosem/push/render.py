"""How a pushed value is shown (the ``listen`` contract): text where the meter meant text,
date-times where the bytes are a valid COSEM date-time, hex for the rest, exact numbers.

Octet strings are ambiguous on the wire: meters send meter numbers, list identifiers and
date-times all as octet strings. Printable text is checked first, so a 12-character meter
number (``181220000009``) stays text even though it is 12 bytes long like a date-time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ...codecs.axdr import BitString, Data, DataType
from ...errors import DlmsError
from ..clock import CosemDateTime
from .values import PlainValue

_PRINTABLE = frozenset(range(0x20, 0x7F))
DATE_TIME_LENGTH = 12


def printable_text(raw: bytes) -> str | None:
    """``raw`` as text when every byte is printable ASCII (the empty string included)."""
    if all(byte in _PRINTABLE for byte in raw):
        return raw.decode("ascii")
    return None


def date_time(raw: bytes) -> dt.datetime | None:
    """``raw`` as a datetime when it is a valid 12-byte COSEM date-time with a complete
    date (aware when the meter gives its deviation), else None."""
    if len(raw) != DATE_TIME_LENGTH:
        return None
    try:
        parsed = CosemDateTime.from_bytes(raw)
        if parsed.hour is not None and parsed.hour > 23:
            return None
        return parsed.to_datetime()
    except DlmsError:
        return None


def render(data: Data) -> PlainValue:
    """The plain value of one leaf: number, text, datetime, hex, boolean or None."""
    value = data.value
    kind = data.type
    if kind in (DataType.OCTET_STRING, DataType.DATE_TIME):
        raw: bytes = value
        if kind is DataType.OCTET_STRING:
            text = printable_text(raw)
            if text is not None:
                return text
        stamp = date_time(raw)
        return stamp if stamp is not None else raw.hex()
    if kind in (DataType.DATE, DataType.TIME):
        return bytes(value).hex()
    if isinstance(value, BitString):
        return "".join(
            "1" if value.data[i // 8] & (0x80 >> (i % 8)) else "0" for i in range(value.length)
        )
    if isinstance(value, list):  # a structure where a leaf was expected: keep its tree
        return str(data.to_json())
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)  # pragma: no cover - every Data value is one of the above


def scaled(value: PlainValue, scaler: int | None) -> int | float | Decimal | None:
    """``value * 10**scaler`` exactly (a Decimal) for numbers; the number itself without a
    scaler; None for what is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if scaler is None:
        return value
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return exact.scaleb(scaler)
