"""Recognising a stream that is not DLMS, from the bytes the receiver could not frame.

Users point the listener at the wrong thing more often than at a broken meter: a DSMR P1
port, a German SML meter, an optical head in IEC 62056-21 readout mode, or a DLMS port at
the wrong baud rate or parity (which reads as noise). Saying which, instead of "no data",
is what lets them fix it.
"""

from __future__ import annotations

import re
from typing import Final

from ...codecs.dsmr import looks_like_telegram
from .events import StreamKind

SML_ESCAPE: Final = bytes.fromhex("1B1B1B1B01010101")
_DSMR_LINE: Final = re.compile(rb"\d-\d:\d{1,3}\.\d{1,3}\.\d{1,3}\(")
_IEC_LINE: Final = re.compile(rb"(?:^|[\r\n\x02])[0-9A-Z]{1,3}\.\d{1,3}(?:\.\d{1,3})?\(")
_IDENT: Final = re.compile(rb"/[A-Za-z]{3}\d")
NOISE_THRESHOLD: Final = 1024
"""Bytes skipped without any frame before the stream is called noise: several push
intervals' worth at 2400 Bd, far more than a burst of garbage after a replug."""


def recognise(skipped: bytes) -> StreamKind | None:
    """What the bytes skipped since the last good frame are, or None when it cannot be told
    yet. ``skipped`` is at most a few kilobytes (the receiver keeps a bounded sample)."""
    if SML_ESCAPE in skipped:
        return StreamKind.SML
    slash = skipped.find(b"/")
    if slash >= 0 and looks_like_telegram(skipped[slash:]) and _DSMR_LINE.search(skipped):
        return StreamKind.DSMR
    if _DSMR_LINE.search(skipped) and skipped.count(b"(") >= 3:
        return StreamKind.DSMR
    if (_IDENT.search(skipped) or b"\x02" in skipped) and _IEC_LINE.search(skipped):
        return StreamKind.IEC62056_21
    if len(skipped) >= NOISE_THRESHOLD:
        return StreamKind.NOISE
    return None
