"""M-Bus long frames carrying DLMS (EN 13757-2 link layer, IEC 62056-7-6 / the DLMS UA's
M-Bus transport), as Austrian and Swiss meters push on their M-Bus customer port.

A long frame is ``68 L L 68 C A CI … CS 16``: L counts the bytes from C to the last user
data byte, CS is their sum modulo 256. For DLMS the CI field numbers the segments of one
APDU: the low nibble is the sequence number, bit 0x10 marks the last segment; two bytes
follow, the source and destination transport SAPs (``01`` ``67`` in every capture), and then
a piece of the APDU. A meter splits one ciphered APDU over two or more frames (Netz NÖ:
``68 FA FA 68 … CI 00`` then ``68 14 14 68 … CI 11``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..errors import EncodeError, FrameError

START: Final = 0x68
STOP: Final = 0x16
HEADER_LENGTH: Final = 4  # 68 L L 68
LAST_SEGMENT: Final = 0x10
SEQUENCE_MASK: Final = 0x0F
MAX_CI_DLMS: Final = 0x1F
MAX_USER_DATA: Final = 0xFF - 5  # L is one byte and counts C, A, CI, STSAP, DTSAP too
DEFAULT_CONTROL: Final = 0x53  # SND_UD
DEFAULT_ADDRESS: Final = 0xFF  # broadcast
DEFAULT_STSAP: Final = 0x01
DEFAULT_DTSAP: Final = 0x67


@dataclass(frozen=True, slots=True)
class MbusFrame:
    """One M-Bus long frame of the DLMS transport."""

    control: int
    address: int
    ci: int
    stsap: int
    dtsap: int
    data: bytes
    """The piece of the APDU this frame carries."""

    @property
    def sequence(self) -> int:
        return self.ci & SEQUENCE_MASK

    @property
    def last_segment(self) -> bool:
        return bool(self.ci & LAST_SEGMENT)

    def encode(self) -> bytes:
        body = bytes((self.control, self.address, self.ci, self.stsap, self.dtsap)) + self.data
        if len(body) > 0xFF:
            raise EncodeError(f"M-Bus frame user data of {len(body)} bytes exceeds 255")
        length = len(body)
        return bytes((START, length, length, START)) + body + bytes((sum(body) & 0xFF, STOP))


def frame_length(data: bytes | bytearray) -> int | None:
    """The whole length of the long frame starting ``data`` (None while its header is
    incomplete). Raises ``FrameError`` when ``data`` does not start like a long frame."""
    if len(data) < HEADER_LENGTH:
        if data[:1] and data[0] != START:
            raise FrameError("not an M-Bus long frame")
        return None
    if data[0] != START or data[3] != START or data[1] != data[2]:
        raise FrameError("not an M-Bus long frame header (68 L L 68)")
    if data[1] < 5:
        raise FrameError(f"M-Bus frame length {data[1]} leaves no room for the DLMS header")
    return data[1] + 6


def decode_frame(raw: bytes) -> MbusFrame:
    """Decode one complete long frame; ``FrameError`` for a wrong checksum, stop byte or a CI
    field that is not the DLMS transport's."""
    length = frame_length(raw)
    if length is None or len(raw) != length:
        raise FrameError(f"M-Bus frame of {len(raw)} bytes, its header says {length}")
    body = raw[HEADER_LENGTH:-2]
    if raw[-1] != STOP:
        raise FrameError(f"M-Bus frame ends with 0x{raw[-1]:02X}, not the stop byte 16")
    if sum(body) & 0xFF != raw[-2]:
        raise FrameError("M-Bus frame checksum does not match")
    control, address, ci, stsap, dtsap = body[:5]
    if ci > MAX_CI_DLMS:
        raise FrameError(f"M-Bus CI field 0x{ci:02X} is not the DLMS transport's (00..1F)")
    return MbusFrame(control, address, ci, stsap, dtsap, bytes(body[5:]))


def encode_frames(
    apdu: bytes,
    *,
    max_data: int = MAX_USER_DATA,
    control: int = DEFAULT_CONTROL,
    address: int = DEFAULT_ADDRESS,
    stsap: int = DEFAULT_STSAP,
    dtsap: int = DEFAULT_DTSAP,
) -> list[bytes]:
    """One APDU as consecutive long frames, ``max_data`` APDU bytes each (at most 16)."""
    if not 1 <= max_data <= MAX_USER_DATA:
        raise EncodeError(f"M-Bus frames carry 1..{MAX_USER_DATA} APDU bytes, not {max_data}")
    chunks = [apdu[i : i + max_data] for i in range(0, len(apdu), max_data)] or [b""]
    if len(chunks) > SEQUENCE_MASK + 1:
        raise EncodeError(f"an APDU of {len(apdu)} bytes needs more than 16 M-Bus frames")
    return [
        MbusFrame(
            control,
            address,
            number | (LAST_SEGMENT if number == len(chunks) - 1 else 0),
            stsap,
            dtsap,
            chunk,
        ).encode()
        for number, chunk in enumerate(chunks)
    ]
