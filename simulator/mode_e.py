"""IEC 62056-21 mode E sign-on, the meter's side: at "300 Bd" a request is answered with
the identification, and the acknowledgement that selects HDLC in binary mode switches the
line to HDLC. Anything else (a mode C option select, noise) leaves the meter at 300 Bd."""

from __future__ import annotations

from enum import Enum, auto

from libdlms.codecs import iec62056_21 as iec
from libdlms.errors import DecodeError

MANUFACTURER = "DLM"
IDENTIFICATION = "SIMULATOR"
# A sign-on message is short; a longer run of bytes without one is noise, and goes.
MAX_MESSAGE_LENGTH = 64
ACKNOWLEDGEMENT_LENGTH = 6  # ACK, protocol, baud character, mode, CR LF


class ModeEState(Enum):
    SIGN_ON = auto()  # 300 Bd: waiting for a request, or for the acknowledgement
    HDLC = auto()  # signed on (or a meter without mode E): the bytes are HDLC frames


class ModeESignOn:
    def __init__(
        self,
        *,
        required: bool,
        baud_character: str,
        manufacturer: str = MANUFACTURER,
        identification: str = IDENTIFICATION,
    ) -> None:
        self.required = required
        self.baud_character = baud_character  # the highest speed the meter offers
        self.manufacturer = manufacturer  # the FLAG id, as in "/ISK5\2MT382-1000"
        self.identification = identification
        self.state = ModeEState.HDLC
        self._buffer = b""
        self.reset()

    def reset(self) -> None:
        """Back to the sign-on, as after a disconnection or a restart (mode E meters)."""
        self.state = ModeEState.SIGN_ON if self.required else ModeEState.HDLC

    def receive_data(self, data: bytes) -> bytes:
        """Bytes at 300 Bd in; the identification out when a request is complete."""
        self._buffer += data
        buffer = self._buffer
        if buffer.startswith(iec.REQUEST_START) and buffer.endswith(iec.REQUEST_END):
            self._buffer = b""
            return self._identification()
        if buffer[:1] == bytes((iec.ACK,)) and len(buffer) >= ACKNOWLEDGEMENT_LENGTH:
            self._buffer = b""
            if self._selects_hdlc(buffer[:ACKNOWLEDGEMENT_LENGTH]):
                self.state = ModeEState.HDLC
            return b""
        if b"\n" in buffer or len(buffer) > MAX_MESSAGE_LENGTH:
            self._buffer = b""
        return b""

    def _identification(self) -> bytes:
        # "\2" after the baud character: the meter can switch to HDLC (mode E).
        text = (
            f"/{self.manufacturer}{self.baud_character}\\{iec.HDLC_PROTOCOL}"
            f"{self.identification}\r\n"
        )
        return text.encode("ascii")

    @staticmethod
    def _selects_hdlc(message: bytes) -> bool:
        """Protocol 2 (HDLC) in mode 2 (binary); anything else would ask for a mode C
        readout, which this meter does not offer. The baud character is taken as sent."""
        try:
            protocol, _, mode = iec.parse_acknowledgement(message)
        except DecodeError:
            return False
        return protocol == iec.HDLC_PROTOCOL and mode == iec.BINARY_MODE
