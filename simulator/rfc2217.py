"""The meter behind an RFC 2217 access server (ser2net in telnet mode, a Moxa NPort):
Telnet option negotiation, COM-PORT-OPTION commands acknowledged, and 0xFF data bytes
doubled on the wire, so that HDLC frames cross the Telnet layer intact both ways."""

from __future__ import annotations

from enum import Enum, auto

IAC, SE, SB, WILL, WONT, DO, DONT = 255, 240, 250, 251, 252, 253, 254
BINARY, COM_PORT_OPTION = 0, 44
SERVER_OFFSET = 100  # a server answers command N with N + 100
PARITIES = {1: "N", 2: "O", 3: "E"}


class _State(Enum):
    DATA = auto()
    COMMAND = auto()
    OPTION = auto()
    SUBNEGOTIATION = auto()
    SUBNEGOTIATION_IAC = auto()


class TelnetServerCodec:
    """Sans-IO: ``feed`` splits what the client sent into serial data and the replies the
    server owes; ``escape`` prepares serial data for the wire."""

    def __init__(self) -> None:
        self._state = _State.DATA
        self._verb = 0
        self._sub = bytearray()
        self.baudrate: int | None = None
        # What the client set (RFC 2217 SET-PARITY: 1 none, 2 odd, 3 even; SET-DATASIZE).
        self.parity: str | None = None
        self.byte_size: int | None = None

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        serial = bytearray()
        replies = bytearray()
        for byte in data:
            state = self._state
            if state is _State.DATA:
                if byte == IAC:
                    self._state = _State.COMMAND
                else:
                    serial.append(byte)
            elif state is _State.COMMAND:
                if byte == IAC:
                    serial.append(IAC)
                    self._state = _State.DATA
                elif byte in (WILL, WONT, DO, DONT):
                    self._verb = byte
                    self._state = _State.OPTION
                elif byte == SB:
                    self._sub.clear()
                    self._state = _State.SUBNEGOTIATION
                else:
                    self._state = _State.DATA
            elif state is _State.OPTION:
                replies += self._answer_option(self._verb, byte)
                self._state = _State.DATA
            elif state is _State.SUBNEGOTIATION:
                if byte == IAC:
                    self._state = _State.SUBNEGOTIATION_IAC
                else:
                    self._sub.append(byte)
            elif byte == SE:
                replies += self._answer_subnegotiation(bytes(self._sub))
                self._state = _State.DATA
            else:  # IAC IAC inside a subnegotiation
                self._sub.append(byte)
                self._state = _State.SUBNEGOTIATION
        return bytes(serial), bytes(replies)

    @staticmethod
    def escape(data: bytes) -> bytes:
        return data.replace(bytes((IAC,)), bytes((IAC, IAC)))

    @staticmethod
    def _answer_option(verb: int, option: int) -> bytes:
        supported = option in (BINARY, COM_PORT_OPTION)
        if verb == WILL:
            return bytes((IAC, DO if supported else DONT, option))
        if verb == DO:
            return bytes((IAC, WILL if supported else WONT, option))
        return b""

    def _answer_subnegotiation(self, body: bytes) -> bytes:
        if len(body) < 2 or body[0] != COM_PORT_OPTION:
            return b""
        command, value = body[1], body[2:]
        if command == 1 and len(value) == 4:  # SET-BAUDRATE
            self.baudrate = int.from_bytes(value, "big") or self.baudrate
        elif command == 2 and len(value) == 1 and value[0]:  # SET-DATASIZE
            self.byte_size = value[0]
        elif command == 3 and len(value) == 1 and value[0] in PARITIES:  # SET-PARITY
            self.parity = PARITIES[value[0]]
        answer = bytes((COM_PORT_OPTION, command + SERVER_OFFSET)) + value
        return bytes((IAC, SB)) + self.escape(answer) + bytes((IAC, SE))
