"""HDLC frames as DLMS uses them (IEC 62056-46, frame format type 3).

There is no byte stuffing: 0x7E may appear anywhere inside a frame (as a length, an HCS
byte, a parameter value). Frames are therefore cut by the 11-bit length of the format
field, never by searching for the next flag, and two frames may share one flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from ..errors import EncodeError, FrameError

FLAG: Final = 0x7E
FORMAT_TYPE_3: Final = 0xA000
MAX_FRAME_LENGTH: Final = 0x7FF

LLC_REQUEST: Final = b"\xe6\xe6\x00"
LLC_RESPONSE: Final = b"\xe6\xe7\x00"


# ---------------------------------------------------------------------------- CRC


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE: Final = _make_table()


def crc16(data: bytes) -> int:
    """CRC-16/X.25 (the HDLC FCS): reflected 0x1021, init and final XOR 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def _check_bytes(data: bytes) -> bytes:
    return crc16(data).to_bytes(2, "little")


# ---------------------------------------------------------------------------- addresses


@dataclass(frozen=True, slots=True)
class HdlcAddress:
    """An HDLC address as it is on the wire: 1, 2 or 4 bytes, each carrying 7 bits of value,
    the lowest bit set on the last byte only.

    A server address is an upper (logical device) and a lower (physical) part. In the
    1-byte form there is no lower part. Values above 127 need the 4-byte form; the 3-byte
    form does not exist and is never emitted.
    """

    raw: bytes

    @classmethod
    def client(cls, sap: int) -> HdlcAddress:
        """The client SAP: always one byte (public client 16 is 0x21)."""
        if not 0 <= sap <= 0x7F:
            raise EncodeError(f"client address {sap} out of range 0..127")
        return cls(bytes(((sap << 1) | 1,)))

    @classmethod
    def server(
        cls, logical: int, physical: int | None = None, size: int | None = None
    ) -> HdlcAddress:
        """A server address. ``size`` None picks the smallest valid form: 1 byte without a
        physical address, 2 bytes when both fit in 7 bits, else 4 bytes."""
        if size is None:
            if physical is None:
                size = 1
            elif logical <= 0x7F and physical <= 0x7F:
                size = 2
            else:
                size = 4
        if size == 1:
            if physical is not None:
                raise EncodeError("a 1-byte server address has no physical part")
            if not 0 <= logical <= 0x7F:
                raise EncodeError(f"logical address {logical} needs more than 1 byte")
            return cls(bytes(((logical << 1) | 1,)))
        lower = 0 if physical is None else physical
        if size == 2:
            if not (0 <= logical <= 0x7F and 0 <= lower <= 0x7F):
                raise EncodeError("2-byte server addresses carry values 0..127 only")
            return cls(bytes((logical << 1, (lower << 1) | 1)))
        if size == 4:
            if not (0 <= logical <= 0x3FFF and 0 <= lower <= 0x3FFF):
                raise EncodeError("4-byte server addresses carry values 0..16383 only")
            return cls(
                bytes(
                    (
                        (logical >> 7) << 1,
                        (logical & 0x7F) << 1,
                        (lower >> 7) << 1,
                        ((lower & 0x7F) << 1) | 1,
                    )
                )
            )
        raise EncodeError(f"address size must be 1, 2 or 4, not {size}")

    @property
    def upper(self) -> int | None:
        raw = self.raw
        if len(raw) in (1, 2):
            return raw[0] >> 1
        if len(raw) == 4:
            return ((raw[0] >> 1) << 7) | (raw[1] >> 1)
        return None

    @property
    def lower(self) -> int | None:
        raw = self.raw
        if len(raw) == 2:
            return raw[1] >> 1
        if len(raw) == 4:
            return ((raw[2] >> 1) << 7) | (raw[3] >> 1)
        return None

    @property
    def valid(self) -> bool:
        return len(self.raw) in (1, 2, 4)

    def to_json(self) -> dict[str, int | None]:
        return {"upper": self.upper, "lower": self.lower}


def _read_address(data: bytes, pos: int, end: int) -> tuple[HdlcAddress, int]:
    start = pos
    while pos < end:
        if data[pos] & 1:
            return HdlcAddress(data[start : pos + 1]), pos + 1
        pos += 1
        if pos - start > 4:
            break
    raise FrameError("HDLC address without an end bit")


# ---------------------------------------------------------------------------- frames


class FrameType(Enum):
    I = "I"  # noqa: E741  (the standard's name)
    RR = "RR"
    RNR = "RNR"
    SNRM = "SNRM"
    DISC = "DISC"
    UA = "UA"
    DM = "DM"
    FRMR = "FRMR"
    UI = "UI"


# Unnumbered frames: control byte with the P/F bit (0x10) cleared.
_UNNUMBERED: Final[dict[int, FrameType]] = {
    0x83: FrameType.SNRM,
    0x43: FrameType.DISC,
    0x63: FrameType.UA,
    0x0F: FrameType.DM,
    0x87: FrameType.FRMR,
    0x03: FrameType.UI,
}
_UNNUMBERED_CODES: Final[dict[FrameType, int]] = {v: k for k, v in _UNNUMBERED.items()}


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded HDLC frame. ``hcs_ok`` is None for frames without an information field
    (they have no header check)."""

    frame_type: FrameType
    destination: HdlcAddress
    source: HdlcAddress
    poll_final: bool = True
    segmented: bool = False
    send_sequence: int | None = None
    receive_sequence: int | None = None
    information: bytes = b""
    hcs_ok: bool | None = None
    fcs_ok: bool = True
    raw: bytes = field(default=b"", compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return (
            self.fcs_ok
            and self.hcs_ok is not False
            and self.destination.valid
            and self.source.valid
        )

    @property
    def control_name(self) -> str:
        pf = int(self.poll_final)
        if self.frame_type is FrameType.I:
            return f"I(N(S)={self.send_sequence},N(R)={self.receive_sequence},P/F={pf})"
        if self.frame_type in (FrameType.RR, FrameType.RNR):
            return f"{self.frame_type.value}(N(R)={self.receive_sequence},P/F={pf})"
        return f"{self.frame_type.value}(P/F={pf})"

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.frame_type.value,
            "poll_final": self.poll_final,
            "segmented": self.segmented,
            "destination": self.destination.to_json(),
            "source": self.source.to_json(),
            "send_sequence": self.send_sequence,
            "receive_sequence": self.receive_sequence,
            "hcs_ok": self.hcs_ok,
            "fcs_ok": self.fcs_ok,
            "information": self.information.hex() if self.information else None,
        }


def _control_byte(
    frame_type: FrameType, poll_final: bool, send_sequence: int, receive_sequence: int
) -> int:
    pf = 0x10 if poll_final else 0
    if frame_type is FrameType.I:
        return ((receive_sequence & 7) << 5) | pf | ((send_sequence & 7) << 1)
    if frame_type is FrameType.RR:
        return ((receive_sequence & 7) << 5) | pf | 0x01
    if frame_type is FrameType.RNR:
        return ((receive_sequence & 7) << 5) | pf | 0x05
    return _UNNUMBERED_CODES[frame_type] | pf


def encode_frame(
    frame_type: FrameType,
    destination: HdlcAddress,
    source: HdlcAddress,
    *,
    information: bytes = b"",
    poll_final: bool = True,
    segmented: bool = False,
    send_sequence: int = 0,
    receive_sequence: int = 0,
) -> bytes:
    """One complete frame, flags included."""
    control = _control_byte(frame_type, poll_final, send_sequence, receive_sequence)
    header_length = 2 + len(destination.raw) + len(source.raw) + 1
    length = header_length + 2 + (len(information) + 2 if information else 0)
    if length > MAX_FRAME_LENGTH:
        raise EncodeError(f"frame of {length} bytes exceeds the 11-bit length field")
    fmt = FORMAT_TYPE_3 | (0x0800 if segmented else 0) | length
    header = fmt.to_bytes(2, "big") + destination.raw + source.raw + bytes((control,))
    body = header + _check_bytes(header) + information if information else header
    return bytes((FLAG,)) + body + _check_bytes(body) + bytes((FLAG,))


def decode_frame(raw: bytes) -> Frame:
    """Decode one frame (with or without its flags). Check failures are reported in
    ``hcs_ok``/``fcs_ok`` rather than raised, so a translator can show them; structural
    problems (wrong format type, length mismatch, missing address end bit) raise."""
    body = raw
    if body[:1] == bytes((FLAG,)):
        body = body[1:]
    if body[-1:] == bytes((FLAG,)):
        body = body[:-1]
    if len(body) < 2:
        raise FrameError("frame shorter than its format field")
    fmt = int.from_bytes(body[:2], "big")
    if fmt & 0xF000 != FORMAT_TYPE_3:
        raise FrameError(f"not an HDLC frame format type 3 (format field 0x{fmt:04X})")
    length = fmt & MAX_FRAME_LENGTH
    if length != len(body):
        raise FrameError(f"length field says {length} bytes, frame has {len(body)}")
    if length < 7:
        raise FrameError(f"frame of {length} bytes is too short")
    end = length - 2
    destination, pos = _read_address(body, 2, end)
    source, pos = _read_address(body, pos, end)
    if pos >= end:
        raise FrameError("frame ends before its control field")
    control = body[pos]
    pos += 1
    fcs_ok = crc16(body[:-2]).to_bytes(2, "little") == body[-2:]
    hcs_ok: bool | None = None
    information = b""
    if pos < end:
        if pos + 2 > end:
            raise FrameError("frame ends inside its header check sequence")
        hcs_ok = crc16(body[:pos]).to_bytes(2, "little") == body[pos : pos + 2]
        information = body[pos + 2 : end]
    send_sequence: int | None = None
    receive_sequence: int | None = None
    if control & 1 == 0:
        frame_type = FrameType.I
        send_sequence = (control >> 1) & 7
        receive_sequence = control >> 5
    elif control & 0x0F == 0x01:
        frame_type = FrameType.RR
        receive_sequence = control >> 5
    elif control & 0x0F == 0x05:
        frame_type = FrameType.RNR
        receive_sequence = control >> 5
    else:
        try:
            frame_type = _UNNUMBERED[control & ~0x10 & 0xFF]
        except KeyError:
            raise FrameError(f"unknown HDLC control field 0x{control:02X}") from None
    return Frame(
        frame_type=frame_type,
        destination=destination,
        source=source,
        poll_final=bool(control & 0x10),
        segmented=bool(fmt & 0x0800),
        send_sequence=send_sequence,
        receive_sequence=receive_sequence,
        information=information,
        hcs_ok=hcs_ok,
        fcs_ok=fcs_ok,
        raw=bytes((FLAG,)) + body + bytes((FLAG,)),
    )


class FrameReader:
    """Cuts a byte stream into frames by their length field (sans-IO: feed bytes, take
    frames). Garbage between frames and frames that do not decode are skipped, counted in
    ``discarded``, and the reader resynchronises on the next flag."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.discarded = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def pending(self) -> int:
        """Bytes of a frame in progress (a lone flag kept for sharing does not count)."""
        return len(self._buffer.lstrip(bytes((FLAG,))))

    def clear(self) -> None:
        self._buffer.clear()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> Frame | None:
        buffer = self._buffer
        while True:
            start = buffer.find(FLAG)
            if start < 0:
                self.discarded += len(buffer)
                buffer.clear()
                return None
            if start:
                self.discarded += start
                del buffer[:start]
            # Shared or repeated flags: 7E 7E A0 ... -> skip to the last flag before a format byte.
            while len(buffer) >= 2 and buffer[1] == FLAG:
                del buffer[0]
            if len(buffer) < 3:
                return None
            fmt = (buffer[1] << 8) | buffer[2]
            if fmt & 0xF000 != FORMAT_TYPE_3:
                self.discarded += 1
                del buffer[0]
                continue
            length = fmt & MAX_FRAME_LENGTH
            if len(buffer) < length + 2:
                # Incomplete, or noise that only looks like a frame start ("7E A0 FF" claims
                # 255 bytes): a complete frame that checks further on settles which.
                later = self._checked_frame_after(1)
                if later is None:
                    return None
                self.discarded += later
                del buffer[:later]
                continue
            if buffer[length + 1] != FLAG:
                self.discarded += 1
                del buffer[0]
                continue
            raw = bytes(buffer[: length + 2])
            try:
                frame = decode_frame(raw)
            except FrameError:
                self.discarded += 1
                del buffer[0]
                continue
            # Keep the closing flag: it may open the next frame.
            del buffer[: length + 1]
            return frame

    def _checked_frame_after(self, position: int) -> int | None:
        """The offset of the first flag at or after ``position`` that opens a complete
        frame whose header and frame checks pass."""
        buffer = self._buffer
        while (start := buffer.find(FLAG, position)) >= 0 and start + 2 < len(buffer):
            position = start + 1
            fmt = (buffer[start + 1] << 8) | buffer[start + 2]
            if fmt & 0xF000 != FORMAT_TYPE_3:
                continue
            end = start + (fmt & MAX_FRAME_LENGTH) + 1
            if end >= len(buffer) or buffer[end] != FLAG:
                continue
            try:
                if decode_frame(bytes(buffer[start : end + 1])).valid:
                    return start
            except FrameError:
                continue
        return None


# ---------------------------------------------------------------------------- SNRM/UA parameters

_PARAM_FORMAT: Final = 0x81
_PARAM_GROUP: Final = 0x80
MAX_INFO_TX: Final = 0x05
MAX_INFO_RX: Final = 0x06
WINDOW_TX: Final = 0x07
WINDOW_RX: Final = 0x08
DEFAULT_MAX_INFO: Final = 128
DEFAULT_WINDOW: Final = 1


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """Negotiated link parameters, each seen from the sender of the frame carrying them."""

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def encode(self) -> bytes:
        """The information field of an SNRM: only the values that differ from the
        defaults, since some meters refuse parameters they were not expecting."""
        items = b""
        for ident, value, default, width in (
            (MAX_INFO_TX, self.max_info_tx, DEFAULT_MAX_INFO, None),
            (MAX_INFO_RX, self.max_info_rx, DEFAULT_MAX_INFO, None),
            (WINDOW_TX, self.window_tx, DEFAULT_WINDOW, 4),
            (WINDOW_RX, self.window_rx, DEFAULT_WINDOW, 4),
        ):
            if value == default:
                continue
            size = width or (1 if value <= 0xFF else 2)
            items += bytes((ident, size)) + value.to_bytes(size, "big")
        if not items:
            return b""
        return bytes((_PARAM_FORMAT, _PARAM_GROUP, len(items))) + items

    @classmethod
    def decode(cls, information: bytes) -> HdlcParameters:
        """Parameters from a UA (or SNRM) information field; absent ones keep defaults.
        Strict: raises ``FrameError`` for anything that is not a well-formed field."""
        if not information:
            return cls()
        if (
            len(information) < 3
            or information[0] != _PARAM_FORMAT
            or information[1] != _PARAM_GROUP
        ):
            raise FrameError("UA information is not an HDLC parameter negotiation field")
        end = 3 + information[2]
        if end > len(information):
            raise FrameError("HDLC parameter group longer than the frame")
        return cls._from_items(_parameter_items(information, 3, end))

    @classmethod
    def read(cls, information: bytes) -> HdlcParameters | None:
        """What a meter's UA carries, read as meters write it: when the group length
        disagrees with the bytes after it (some write 0, some count wrong), the items that
        are actually there, if they parse whole; else the strict reading; None when
        neither makes sense (the caller then keeps to its own proposal)."""
        if (
            len(information) > 3
            and information[:2] == bytes((_PARAM_FORMAT, _PARAM_GROUP))
            and information[2] != len(information) - 3
        ):
            try:
                return cls._from_items(_parameter_items(information, 3, len(information)))
            except FrameError:
                pass
        try:
            return cls.decode(information)
        except FrameError:
            return None

    @classmethod
    def _from_items(cls, values: dict[int, int]) -> HdlcParameters:
        return cls(
            max_info_tx=values.get(MAX_INFO_TX, DEFAULT_MAX_INFO),
            max_info_rx=values.get(MAX_INFO_RX, DEFAULT_MAX_INFO),
            window_tx=values.get(WINDOW_TX, DEFAULT_WINDOW),
            window_rx=values.get(WINDOW_RX, DEFAULT_WINDOW),
        )


def _parameter_items(information: bytes, pos: int, end: int) -> dict[int, int]:
    """The (identifier, value) items between ``pos`` and ``end``, each 1-4 bytes long."""
    values: dict[int, int] = {}
    while pos < end:
        if pos + 2 > end:
            raise FrameError("truncated HDLC parameter")
        ident, size = information[pos], information[pos + 1]
        if pos + 2 + size > end or not 1 <= size <= 4:
            raise FrameError(f"bad HDLC parameter length {size}")
        values[ident] = int.from_bytes(information[pos + 2 : pos + 2 + size], "big")
        pos += 2 + size
    return values
