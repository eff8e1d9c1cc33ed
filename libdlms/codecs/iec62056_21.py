"""IEC 62056-21 messages for the mode E sign-on of an optical port.

The client sends a request ``/?!CR LF`` at 300 Bd 7E1; the meter identifies itself with
``/XXXZ\\2Ident CR LF`` where XXX is the manufacturer flag, Z the highest baud rate it
offers (the mode C/E characters 0..6) and ``\\2`` says it can switch to HDLC (mode E).
The client acknowledges with ``ACK 2 Z 2 CR LF``: protocol '2' (HDLC), the baud
character, mode '2' (binary). Anything else (``06 30 35 32``…) makes a meter fall back to
a mode C readout, so the ACK is built here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..errors import DecodeError, EncodeError

REQUEST_START: Final = b"/?"
REQUEST_END: Final = b"!\r\n"
ACK: Final = 0x06
SIGN_ON_BAUDRATE: Final = 300

# Baud rate characters of modes C and E.
BAUD_RATES: Final[dict[str, int]] = {
    "0": 300,
    "1": 600,
    "2": 1200,
    "3": 2400,
    "4": 4800,
    "5": 9600,
    "6": 19200,
}
HDLC_PROTOCOL: Final = "2"
BINARY_MODE: Final = "2"


def request(device_address: str = "") -> bytes:
    """The request message; an empty device address reaches whatever meter is there."""
    if not all(c.isalnum() or c == " " for c in device_address) or len(device_address) > 32:
        raise EncodeError("a device address is up to 32 letters, digits or spaces")
    return REQUEST_START + device_address.encode("ascii") + REQUEST_END


@dataclass(frozen=True, slots=True)
class Identification:
    manufacturer: str
    baud_character: str
    hdlc: bool
    identification: str

    @property
    def baudrate(self) -> int:
        return BAUD_RATES[self.baud_character]

    @classmethod
    def parse(cls, line: bytes) -> Identification:
        """The identification message, with or without its CR LF."""
        text = line.rstrip(b"\r\n")
        if len(text) < 5 or text[:1] != b"/":
            raise DecodeError(f"not an IEC 62056-21 identification: {line!r}")
        try:
            decoded = text.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError(f"identification is not ASCII: {line!r}") from None
        baud = decoded[4]
        if baud not in BAUD_RATES:
            raise DecodeError(f"baud rate character {baud!r} is not one of mode C/E")
        hdlc = decoded[5:7] == "\\2"
        return cls(
            manufacturer=decoded[1:4],
            baud_character=baud,
            hdlc=hdlc,
            identification=decoded[7:] if hdlc else decoded[5:],
        )


def acknowledgement(baud_character: str) -> bytes:
    """``ACK '2' Z '2' CR LF``: switch to HDLC at the baud rate Z."""
    if baud_character not in BAUD_RATES:
        raise EncodeError(f"baud rate character {baud_character!r} is not one of mode C/E")
    return bytes((ACK,)) + f"{HDLC_PROTOCOL}{baud_character}{BINARY_MODE}\r\n".encode("ascii")


def parse_acknowledgement(message: bytes) -> tuple[str, str, str]:
    """(protocol, baud character, mode) of an ACK/option select message."""
    if len(message) != 6 or message[0] != ACK or message[4:] != b"\r\n":
        raise DecodeError(f"not an acknowledgement/option select message: {message!r}")
    text = message[1:4].decode("ascii", errors="replace")
    return text[0], text[1], text[2]


def baud_character_for(baudrate: int) -> str:
    for character, rate in BAUD_RATES.items():
        if rate == baudrate:
            return character
    raise EncodeError(f"{baudrate} Bd has no mode C/E baud rate character")
