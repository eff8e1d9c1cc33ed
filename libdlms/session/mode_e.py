"""The client side of the IEC 62056-21 mode E sign-on, sans-IO.

An optical port that starts in mode E waits at 300 Bd 7E1 for a request, answers with its
identification, and switches to HDLC at the speed the client's acknowledgement selects. The
machine says which line settings apply (``line``), queues the bytes to write
(``data_to_send``), and turns what the port delivers (``receive_data``, any chunking, the
optical head's echo and noise included) into one ``Identified`` event. The caller changes the
line speed when ``line`` changes, after the acknowledgement has left the UART at 300 Bd (a
short wait that is the caller's, as every clock is).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from ..codecs import iec62056_21 as iec
from ..errors import CommunicationError, DecodeError, LocalProtocolError

_LINE_END = b"\r\n"
# An identification is a few dozen bytes; a line this long without CR LF is not one.
MAX_LINE = 256


@dataclass(frozen=True, slots=True)
class LineSettings:
    """What the serial line must be set to."""

    baudrate: int
    byte_size: int
    parity: str  # "N" or "E"


SIGN_ON_LINE = LineSettings(iec.SIGN_ON_BAUDRATE, 7, "E")


@dataclass(frozen=True, slots=True)
class Identified:
    """The meter identified itself and the acknowledgement is queued; after it has been
    written, the line goes to ``line`` (8N1 at the chosen speed) and HDLC begins."""

    identification: iec.Identification
    line: LineSettings


class ModeEState(Enum):
    IDLE = auto()
    AWAITING_IDENTIFICATION = auto()  # request sent at 300 Bd 7E1
    SWITCHING = auto()  # acknowledgement queued: HDLC at the new speed next
    ERROR = auto()  # the meter offers no HDLC


class ModeESignOn:
    """``max_baudrate`` caps the speed the meter offers (a long or noisy optical cable)."""

    def __init__(self, max_baudrate: int = 19200) -> None:
        self.max_baudrate = max_baudrate
        self.state = ModeEState.IDLE
        self.line = SIGN_ON_LINE
        self._request = b""
        self._buffer = b""
        self._outgoing = b""

    def start(self) -> None:
        """Queue the request (``/?!`` CR LF); the line must be at ``SIGN_ON_LINE``."""
        if self.state is not ModeEState.IDLE:
            raise LocalProtocolError(f"cannot start a sign-on in state {self.state.name}")
        self._request = iec.request()
        self._outgoing += self._request
        self.state = ModeEState.AWAITING_IDENTIFICATION

    def data_to_send(self) -> bytes:
        data, self._outgoing = self._outgoing, b""
        return data

    def receive_data(self, data: bytes) -> list[Identified]:
        """The identification, once its line is complete. Lines that are not one (noise,
        the head's echo of our request) are skipped. Raises ``CommunicationError`` when the
        meter does not offer HDLC; the machine is then in ``ERROR``."""
        if self.state is not ModeEState.AWAITING_IDENTIFICATION:
            return []
        self._buffer = (self._buffer + data)[-MAX_LINE:]
        while _LINE_END in self._buffer:
            line, self._buffer = self._buffer.split(_LINE_END, 1)
            start = line.rfind(b"/")
            if start < 0 or line[start:] + _LINE_END == self._request:
                continue  # noise, or the optical head's echo of our request
            try:
                identification = iec.Identification.parse(line[start:])
            except DecodeError:
                self.state = ModeEState.ERROR
                raise
            return [self._identified(identification)]
        return []

    def _identified(self, identification: iec.Identification) -> Identified:
        if not identification.hdlc:
            self.state = ModeEState.ERROR
            raise CommunicationError(
                f"the meter ({identification.manufacturer}) does not offer HDLC in mode E"
            )
        # The fastest mode C/E speed both the meter and our cap allow (300 Bd at least).
        limit = min(identification.baudrate, self.max_baudrate)
        baudrate = max(r for r in iec.BAUD_RATES.values() if r <= limit or r == 300)
        self._outgoing += iec.acknowledgement(iec.baud_character_for(baudrate))
        self.line = LineSettings(baudrate, 8, "N")
        self.state = ModeEState.SWITCHING
        return Identified(identification, self.line)


__all__ = ["SIGN_ON_LINE", "Identified", "LineSettings", "ModeESignOn", "ModeEState"]
