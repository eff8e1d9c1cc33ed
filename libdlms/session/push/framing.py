"""Finding frames in a push stream: HDLC type 3, M-Bus long frames, the wrapper, or bare
APDUs, whichever the bytes are, resynchronising after garbage.

The scanner looks at the start of its buffer and asks each framing that could begin there
whether it holds a whole, checked frame ("ok"), could still become one ("wait"), or cannot
("no"). A frame that is still incomplete does not hold up the stream when a whole checked
frame of another kind starts later in the buffer: its start was garbage, so it is skipped.
After the first good frame the scanner keeps to that framing (unless told one at the
start), so a stray byte that happens to look like the start of another framing is not
taken for one.

HDLC in DLMS has no byte stuffing: the format field's length decides where a frame ends,
and HAN meters send 7E and 7D inside the information field as they are. A flag may be
shared by two frames.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Final, Literal

from ...codecs import hdlc, mbus
from ...codecs.axdr import Reader, read_data
from ...codecs.hdlc import FLAG, LLC_REQUEST, LLC_RESPONSE, FrameType
from ...codecs.wrapper import WRAPPER_VERSION
from ...codecs.xdlms import (
    DATA_NOTIFICATION_TAG,
    GENERAL_BLOCK_TRANSFER_TAG,
    GENERAL_DED_CIPHERING_TAG,
    GENERAL_GLO_CIPHERING_TAG,
    read_notification_header,
)
from ...cosem.push.payload import read_push_body
from ...errors import DecodeError
from .events import Framing

LLCS: Final = (LLC_RESPONSE, LLC_REQUEST)
CIPHERED_TAGS: Final = frozenset({GENERAL_GLO_CIPHERING_TAG, GENERAL_DED_CIPHERING_TAG})
APDU_TAGS: Final = frozenset({DATA_NOTIFICATION_TAG, GENERAL_BLOCK_TRANSFER_TAG, *CIPHERED_TAGS})
START_BYTES: Final = frozenset({FLAG, mbus.START, 0x00, 0xE6, *APDU_TAGS})
MAX_RAW_APDU: Final = 4096
"""How long an undelimited bare APDU may grow while it does not parse yet (the largest
push payloads seen are under 1 KiB); past it, its first byte is taken for garbage."""
_MAX_HDLC_FRAME: Final = 0x7FF + 2
_LOOKAHEAD: Final = _MAX_HDLC_FRAME + MAX_RAW_APDU

Verdict = Literal["ok", "wait", "no"]


@dataclass(frozen=True, slots=True)
class LinkUnit:
    """What one frame carries: an HDLC information field, a piece of an APDU (M-Bus), or
    a whole APDU (wrapper, raw). ``more`` says that the next unit of the same ``stream``
    continues it (HDLC segmentation, M-Bus segments)."""

    framing: Framing
    data: bytes
    raw: bytes
    more: bool = False
    sequence: int | None = None
    stream: Hashable = None


@dataclass(frozen=True, slots=True)
class Skip:
    count: int
    reason: str
    raw: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class _Attempt:
    verdict: Verdict
    consumed: int = 0
    unit: LinkUnit | None = None
    reason: str = ""


_NO: Final = _Attempt("no")
_WAIT: Final = _Attempt("wait")


def _hdlc(buf: bytearray, final: bool = False) -> _Attempt:
    if len(buf) < 3:
        return _NO if len(buf) == 2 and buf[1] & 0xF0 != 0xA0 else _WAIT
    if buf[1] & 0xF0 != 0xA0:
        return _NO
    length = ((buf[1] & 0x07) << 8) | buf[2]
    if len(buf) < length + 2:
        return _WAIT
    raw = bytes(buf[: length + 2])
    if raw[-1] != FLAG:
        return _Attempt("no", reason="HDLC frame without its closing flag")
    try:
        frame = hdlc.decode_frame(raw)
    except DecodeError as err:
        return _Attempt("no", reason=f"HDLC: {err}")
    if not frame.valid:
        return _Attempt("no", reason="HDLC frame check failed")
    # The closing flag stays: it may open the next frame.
    carries = frame.frame_type in (FrameType.I, FrameType.UI) and frame.information
    unit = LinkUnit(
        Framing.HDLC,
        frame.information if carries else b"",
        raw,
        more=frame.segmented,
        stream=(frame.destination.raw, frame.source.raw),
    )
    return _Attempt("ok", length + 1, unit)


def _mbus(buf: bytearray, final: bool = False) -> _Attempt:
    try:
        length = mbus.frame_length(buf)
    except DecodeError:
        return _NO
    if length is None:
        return _WAIT
    if len(buf) < length:
        return _WAIT
    raw = bytes(buf[:length])
    try:
        frame = mbus.decode_frame(raw)
    except DecodeError as err:
        return _Attempt("no", reason=f"M-Bus: {err}")
    unit = LinkUnit(
        Framing.MBUS,
        frame.data,
        raw,
        more=not frame.last_segment,
        sequence=frame.sequence,
        stream=(frame.address, frame.stsap, frame.dtsap),
    )
    return _Attempt("ok", length, unit)


def _wrapper(buf: bytearray, final: bool = False) -> _Attempt:
    if len(buf) < 2:
        return _WAIT if buf[:1] == b"\x00" else _NO
    if int.from_bytes(buf[:2], "big") != WRAPPER_VERSION:
        return _NO
    if len(buf) < 9:
        return _WAIT
    length = int.from_bytes(buf[6:8], "big")
    if length == 0 or buf[8] not in APDU_TAGS:
        return _NO
    if len(buf) < 8 + length:
        return _WAIT
    raw = bytes(buf[: 8 + length])
    stream = (int.from_bytes(raw[2:4], "big"), int.from_bytes(raw[4:6], "big"))
    return _Attempt("ok", len(raw), LinkUnit(Framing.WRAPPER, raw[8:], raw, stream=stream))


def _raw(buf: bytearray, final: bool = False) -> _Attempt:
    start = 3 if bytes(buf[:3]) in LLCS else 0
    if start == 0 and buf[:1] == b"\xe6":
        return _WAIT if len(buf) < 3 and bytes(buf) in (b"\xe6", b"\xe6\xe7", b"\xe6\xe6") else _NO
    if len(buf) <= start:
        return _WAIT
    end = _apdu_end(bytes(buf), start, final)
    if end is None:
        return _WAIT if len(buf) < MAX_RAW_APDU else _NO
    if end < 0:
        return _NO
    raw = bytes(buf[:end])
    return _Attempt("ok", end, LinkUnit(Framing.RAW, raw[start:], raw))


def _apdu_end(buf: bytes, start: int, final: bool) -> int | None:
    """Where the bare APDU at ``start`` ends: an offset, None while it may still be
    incomplete, -1 when it cannot be an APDU."""
    tag = buf[start]
    try:
        if tag in CIPHERED_TAGS:
            title = _length(buf, start + 1)
            if title is None:
                return None
            if title[0] not in (0, 8):
                return -1
            content_length = _length(buf, title[1] + title[0])
            if content_length is None:
                return None
            if content_length[0] < 5 or buf[content_length[1] : content_length[1] + 1] not in (
                b"",
                *(bytes((sc,)) for sc in range(0x10, 0x40)),
            ):
                return -1
            end = content_length[1] + content_length[0]
            return end if end <= len(buf) else None
        if tag == GENERAL_BLOCK_TRANSFER_TAG:
            if len(buf) < start + 6:
                return None
            block_length = _length(buf, start + 6)
            if block_length is None:
                return None
            end = block_length[1] + block_length[0]
            return end if end <= len(buf) else None
        if tag == DATA_NOTIFICATION_TAG:
            return _notification_end(buf, start, final)
    except DecodeError:
        return -1
    return -1


def _length(buf: bytes, pos: int) -> tuple[int, int] | None:
    """(length, position after it) of the A-XDR length at ``pos``; None when cut off."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if size == 0 or size > 4:
        raise DecodeError(f"unsupported length form 0x{first:02X}")
    if pos + 1 + size > len(buf):
        return None
    return int.from_bytes(buf[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def _notification_end(buf: bytes, start: int, final: bool) -> int | None:
    if len(buf) < start + 6:
        return None
    try:
        _, _, body = read_notification_header(buf[start:])
    except DecodeError:
        return None if len(buf) < start + 20 else -1
    body_start = len(buf) - len(body)
    reader = Reader(buf, body_start)
    try:
        read_data(reader)
        return reader.pos
    except DecodeError:
        pass
    if not final:
        return None  # wait: more may come, or the line goes quiet (``flush``)
    try:
        # The Czech untyped descriptors have no length to end on, and a prefix of such a
        # body can read as a whole one: it is taken only once the burst is over.
        read_push_body(body)
    except DecodeError:
        return -1
    return len(buf)


_TRIES: Final = {
    Framing.HDLC: (_hdlc, frozenset({FLAG})),
    Framing.MBUS: (_mbus, frozenset({mbus.START})),
    Framing.WRAPPER: (_wrapper, frozenset({0x00})),
    Framing.RAW: (_raw, frozenset({0xE6, *APDU_TAGS})),
}


class FrameScanner:
    """Bytes in, ``LinkUnit`` and ``Skip`` out. ``framing`` fixes the framing; None finds it
    and then keeps to it (``locked``) until ``reset()``."""

    def __init__(self, framing: Framing | None = None, *, max_buffer: int = 65536) -> None:
        self.configured = framing
        self.locked: Framing | None = framing
        self.max_buffer = max(max_buffer, _MAX_HDLC_FRAME + MAX_RAW_APDU)
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def reset(self) -> None:
        """Forget partial data (the connection was lost); keep a configured framing only."""
        self._buffer.clear()
        self.locked = self.configured

    def feed(self, data: bytes) -> list[LinkUnit | Skip]:
        self._buffer += data
        return self._run(final=False)

    def flush(self) -> list[LinkUnit | Skip]:
        """The line went quiet: a bare APDU that only a burst's end delimits is taken, and
        what cannot become a frame any more is skipped."""
        return self._run(final=True)

    def _run(self, *, final: bool) -> list[LinkUnit | Skip]:
        out: list[LinkUnit | Skip] = []
        while self._buffer:
            step = self._step(final)
            if step is None:
                break
            out.append(step)
        return out

    def _framings(self) -> tuple[Framing, ...]:
        return (self.locked,) if self.locked is not None else tuple(Framing)

    def _attempt(
        self, buf: bytearray, *, ahead: bool = False, final: bool = False
    ) -> list[_Attempt]:
        first = buf[0]
        attempts = []
        for framing in self._framings():
            try_, starts = _TRIES[framing]
            if first not in starts:
                continue
            if framing is Framing.RAW and self.locked is None:
                # Bare APDUs have no check: before the stream showed its framing, one is
                # taken only where a burst ends or another APDU follows it, and never from
                # inside bytes that may be another frame's.
                if ahead:
                    continue
                attempt = try_(buf, final)
                if (
                    attempt.verdict == "ok"
                    and attempt.consumed != len(buf)
                    and _raw(buf[attempt.consumed :], final).verdict == "no"
                ):
                    attempt = _Attempt("wait")
                attempts.append(attempt)
                continue
            attempts.append(try_(buf, final))
        return attempts

    def _step(self, final: bool) -> LinkUnit | Skip | None:
        buf = self._buffer
        while len(buf) > 1 and buf[0] == FLAG and buf[1] == FLAG:
            del buf[:1]  # idle flags between frames
        if final and bytes(buf) == bytes((FLAG,)):
            del buf[:1]  # the closing flag of the last frame
            return None
        attempts = self._attempt(buf, final=final)
        for attempt in attempts:
            if attempt.verdict == "ok" and attempt.unit is not None:
                del buf[: attempt.consumed]
                if self.locked is None:
                    self.locked = attempt.unit.framing
                return attempt.unit
        if any(attempt.verdict == "wait" for attempt in attempts):
            ahead = self._whole_frame_after()
            if ahead is not None:
                return self._skip(ahead, "an incomplete frame overtaken by a whole one")
            if len(buf) > self.max_buffer:
                return self._skip(1, "buffer full")
            if final:
                return self._skip(len(buf), "a frame cut off when the line went quiet")
            return None
        reasons = [attempt.reason for attempt in attempts if attempt.reason]
        return self._skip(self._next_start(), reasons[0] if reasons else "not a frame")

    def _next_start(self) -> int:
        starts = frozenset().union(*(_TRIES[f][1] for f in self._framings()))
        buf = self._buffer
        for pos in range(1, len(buf)):
            if buf[pos] in starts:
                return pos
        return len(buf)

    def _whole_frame_after(self) -> int | None:
        buf = self._buffer
        starts = frozenset().union(*(_TRIES[f][1] for f in self._framings()))
        for pos in range(1, min(len(buf), _LOOKAHEAD)):
            if buf[pos] not in starts:
                continue
            view = buf[pos : pos + _LOOKAHEAD]
            if any(attempt.verdict == "ok" for attempt in self._attempt(view, ahead=True)):
                return pos
        return None

    def _skip(self, count: int, reason: str) -> Skip:
        raw = bytes(self._buffer[:count])
        del self._buffer[:count]
        return Skip(count, reason, raw)
