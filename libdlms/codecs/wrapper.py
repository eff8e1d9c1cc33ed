"""The DLMS/COSEM transport layer for IP networks (IEC 62056-47, Green Book "wrapper").

Every APDU over TCP or UDP is preceded by an 8-byte header of four big-endian Unsigned16
fields: version (always 1), source wPort, destination wPort, and the length of the APDU
that follows (the header excluded). Over TCP the stream is cut by that length, so
``WrapperReader`` is sans-IO: feed bytes, take whole PDUs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ..errors import DecodeError, EncodeError

WRAPPER_VERSION: Final = 0x0001
HEADER_SIZE: Final = 8
MAX_APDU_LENGTH: Final = 0xFFFF


def _u16(value: int, name: str) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise EncodeError(f"wrapper {name} {value} is outside 0..65535")
    return value.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class WrapperHeader:
    source_wport: int
    destination_wport: int
    length: int
    version: int = WRAPPER_VERSION

    def encode(self) -> bytes:
        return (
            _u16(self.version, "version")
            + _u16(self.source_wport, "source wPort")
            + _u16(self.destination_wport, "destination wPort")
            + _u16(self.length, "length")
        )

    @classmethod
    def decode(cls, data: bytes) -> WrapperHeader:
        """The header at the start of ``data`` (which may go on with the APDU)."""
        if len(data) < HEADER_SIZE:
            raise DecodeError(f"a wrapper header is {HEADER_SIZE} bytes, got {len(data)}")
        version, source, destination, length = (
            int.from_bytes(data[i : i + 2], "big") for i in range(0, HEADER_SIZE, 2)
        )
        if version != WRAPPER_VERSION:
            raise DecodeError(f"wrapper version {version} is not {WRAPPER_VERSION}")
        return cls(source, destination, length, version)

    def to_json(self) -> dict[str, int]:
        return {
            "version": self.version,
            "source_wport": self.source_wport,
            "destination_wport": self.destination_wport,
            "length": self.length,
        }


@dataclass(frozen=True, slots=True)
class WrapperPdu:
    """A header and the APDU it carries."""

    source_wport: int
    destination_wport: int
    apdu: bytes

    @property
    def header(self) -> WrapperHeader:
        return WrapperHeader(self.source_wport, self.destination_wport, len(self.apdu))

    def encode(self) -> bytes:
        if len(self.apdu) > MAX_APDU_LENGTH:
            raise EncodeError(f"an APDU of {len(self.apdu)} bytes does not fit the wrapper")
        return self.header.encode() + self.apdu

    @classmethod
    def decode(cls, data: bytes) -> WrapperPdu:
        """Exactly one PDU: the length field must match the bytes after the header."""
        header = WrapperHeader.decode(data)
        present = len(data) - HEADER_SIZE
        if header.length != present:
            raise DecodeError(f"wrapper length says {header.length} bytes, {present} follow")
        return cls(header.source_wport, header.destination_wport, data[HEADER_SIZE:])


def encode_wrapper(source_wport: int, destination_wport: int, apdu: bytes) -> bytes:
    return WrapperPdu(source_wport, destination_wport, apdu).encode()


def split_wrapper(data: bytes) -> list[WrapperPdu]:
    """Consecutive PDUs that fill ``data`` exactly; anything else is a DecodeError."""
    pdus: list[WrapperPdu] = []
    pos = 0
    while pos < len(data):
        header = WrapperHeader.decode(data[pos : pos + HEADER_SIZE])
        end = pos + HEADER_SIZE + header.length
        if end > len(data):
            raise DecodeError(
                f"wrapper length says {header.length} bytes at offset {pos}, "
                f"{len(data) - pos - HEADER_SIZE} follow"
            )
        pdus.append(
            WrapperPdu(header.source_wport, header.destination_wport, data[pos + HEADER_SIZE : end])
        )
        pos = end
    if not pdus:
        raise DecodeError("no wrapper PDU")
    return pdus


def looks_like_wrapper(data: bytes) -> bool:
    """True when ``data`` is one or more whole wrapper PDUs (version 1, lengths exact)."""
    try:
        split_wrapper(data)
    except DecodeError:
        return False
    return True


class WrapperReader:
    """Cuts a TCP byte stream into wrapper PDUs (sans-IO: feed bytes, take PDUs). A header
    with a version other than 1 means the stream is out of step: DecodeError."""

    def __init__(self, max_apdu_length: int = MAX_APDU_LENGTH) -> None:
        self._buffer = bytearray()
        self.max_apdu_length = max_apdu_length

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def __iter__(self) -> Iterator[WrapperPdu]:
        while (pdu := self.next_pdu()) is not None:
            yield pdu

    def next_pdu(self) -> WrapperPdu | None:
        if len(self._buffer) < HEADER_SIZE:
            return None
        header = WrapperHeader.decode(bytes(self._buffer[:HEADER_SIZE]))
        if header.length > self.max_apdu_length:
            raise DecodeError(
                f"wrapper APDU of {header.length} bytes exceeds {self.max_apdu_length}"
            )
        end = HEADER_SIZE + header.length
        if len(self._buffer) < end:
            return None
        apdu = bytes(self._buffer[HEADER_SIZE:end])
        del self._buffer[:end]
        return WrapperPdu(header.source_wport, header.destination_wport, apdu)
