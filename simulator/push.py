"""The simulator as a push meter: it sends a Data-Notification every ``interval`` seconds on
its customer port, unasked, as meters on HAN, P1 and M-Bus ports do.

The values come from the simulator's meter model (``SimulatedMeter``: energy integrates
the power over time, the power wobbles), read through the same ``get`` the polled path
serves, so a pushed value and a polled one agree. Each payload shape met in the field
can be chosen (``PushShape``), the APDU can be general-glo ciphered (security control
0x20 with the encryption key alone, 0x30 with both keys; the frame counter increases with
every notification), and it is framed as on the line:

- ``hdlc``: HDLC frames format type 3 (UI frames by default, I frames as Kaifa sends),
  the LLC ``E6 E7 00`` in the first frame only, the segmentation bit on every frame but
  the last when the APDU is longer than the information field;
- ``mbus``: M-Bus long frames ``68 L L 68 C A CI STSAP DTSAP … CS 16``, CI ``0x00..0x0F``
  the segment's sequence number, ``0x10`` set on the last segment (Netz NÖ: 245 APDU bytes
  per frame);
- ``wrapper``: the IEC 62056-47 header (a meter pushing over TCP);
- ``raw``: the bare APDU (Czech RS-485 meters, Salzburg).

``PushSimulator`` serves every connected TCP client with each notification (a ser2net
bridge in front of the meter); ``PtyPushSimulator`` writes them to a pseudo-terminal (a
local serial device). Both can be stopped and started again (the TCP port is kept), as a
bridge restarts; the meter's counters go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
import tty
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from types import TracebackType
from typing import Final, Literal, Self

from libdlms import Data, DataType, Obis, SecurityKeys
from libdlms.codecs.hdlc import LLC_RESPONSE, FrameType, HdlcAddress, encode_frame
from libdlms.codecs.wrapper import encode_wrapper
from libdlms.codecs.xdlms import DataNotification
from libdlms.security import SecurityControl, cipher_apdu

from .meter import SimulatedMeter
from .rfc2217 import TelnetServerCodec
from .tcp import TcpService
from .uart import UartSettings, received

DEFAULT_LINE = UartSettings(2400)
# termios speed constants -> Bd, for the speeds a push port uses and their neighbours.
TERMIOS_SPEEDS: Final = {
    getattr(termios, f"B{rate}"): rate
    for rate in (300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
    if hasattr(termios, f"B{rate}")
}

PushFraming = Literal["hdlc", "mbus", "wrapper", "raw"]
FRAMINGS: Final[tuple[PushFraming, ...]] = ("hdlc", "mbus", "wrapper", "raw")


class PushShape(StrEnum):
    """The payload layouts a push meter may use (``docs/push-meters.md``)."""

    OBIS_PAIRS = "obis-pairs"
    """One flat structure ``OBIS, value, OBIS, value, …`` (Kamstrup): no scalers."""
    OBIS_SCALER = "obis-scaler"
    """An array of ``{OBIS, value[, scaler_unit]}`` structures (Aidon, Iskra AM550)."""
    CLASS_OBIS = "class-obis"
    """An array of ``{class, OBIS, attribute, value}`` structures, each register's
    scaler_unit in an attribute-3 entry after its value (Czech meters, typed form)."""
    POSITIONAL = "positional"
    """A list identifier, then the values in a fixed order and without OBIS codes
    (Kaifa in Norway, Wiener Netze): only a format profile can name them."""


LIST_IDENTIFIER: Final = "DLMSIM_V1"
SERIAL_NUMBER: Final = Obis(0, 0, 96, 1, 0, 255)
# What the notification carries, in order: (class id, OBIS). Registers (class 3) have a
# scaler_unit at attribute 3.
PUSHED_OBJECTS: Final[tuple[tuple[int, Obis], ...]] = (
    (1, SERIAL_NUMBER),
    (3, Obis(1, 0, 1, 8, 0, 255)),
    (3, Obis(1, 0, 2, 8, 0, 255)),
    (3, Obis(1, 0, 1, 7, 0, 255)),
    (3, Obis(1, 0, 2, 7, 0, 255)),
    (3, Obis(1, 0, 32, 7, 0, 255)),
    (3, Obis(1, 0, 31, 7, 0, 255)),
    (3, Obis(1, 0, 14, 7, 0, 255)),
)
MBUS_START: Final = 0x68
MBUS_STOP: Final = 0x16
MBUS_LAST_SEGMENT: Final = 0x10
MBUS_MAX_USER_DATA: Final = 245
"""APDU bytes per M-Bus long frame: L = C, A, CI, STSAP, DTSAP and these, at most 255."""


@dataclass
class PushSettings:
    """How the meter pushes. ``keys`` None: plain; an encryption key alone: security
    control 0x20 (no tag); with the authentication key: 0x30."""

    framing: PushFraming = "hdlc"
    shape: PushShape = PushShape.OBIS_SCALER
    interval: float = 2.0
    keys: SecurityKeys | None = None
    system_title: bytes = b"DLMSIM01"
    frame_counter: int = 1
    """The first notification's frame counter (invocation counter)."""
    max_info_length: int = 128
    """HDLC information field: longer APDUs are segmented."""
    hdlc_frame_type: Literal["UI", "I"] = "UI"
    mbus_max_user_data: int = MBUS_MAX_USER_DATA
    with_date_time: bool = True
    """Send the meter's clock in the notification header (else the empty octet string)."""
    garbage: bytes = b""
    """Bytes put in front of every transmission (line noise, a bridge's banner)."""


class PushMeter:
    """Builds what the meter sends, one transmission at a time; no I/O, no clock of its
    own (the meter model's). ``transmission()`` is the next notification as framed bytes."""

    def __init__(self, meter: SimulatedMeter | None = None, settings: PushSettings | None = None):
        self.meter = meter or SimulatedMeter()
        self.settings = settings or PushSettings()
        self.frame_counter = self.settings.frame_counter
        self.invoke_id = 1
        self._send_sequence = 0

    # ------------------------------------------------------------------ payload

    def _value(self, class_id: int, obis: Obis, attribute: int) -> Data:
        value = self.meter.get(class_id, obis, attribute)
        if not isinstance(value, Data):  # an object the model lacks: a meter sends null
            return Data(DataType.NULL_DATA)
        return value

    def payload(self, shape: PushShape | None = None) -> Data:
        """The notification body in ``shape`` (default: the settings')."""
        shape = shape or self.settings.shape

        def code(obis: Obis) -> Data:
            return Data(DataType.OCTET_STRING, obis.to_bytes())

        if shape is PushShape.OBIS_PAIRS:
            flat: list[Data] = []
            for class_id, obis in PUSHED_OBJECTS:
                flat += [code(obis), self._value(class_id, obis, 2)]
            return Data(DataType.STRUCTURE, flat)
        if shape is PushShape.OBIS_SCALER:
            items = []
            for class_id, obis in PUSHED_OBJECTS:
                fields = [code(obis), self._value(class_id, obis, 2)]
                if class_id == 3:
                    fields.append(self._value(class_id, obis, 3))
                items.append(Data(DataType.STRUCTURE, fields))
            return Data(DataType.ARRAY, items)
        if shape is PushShape.CLASS_OBIS:
            items = []
            for class_id, obis in PUSHED_OBJECTS:
                for attribute in (2, 3) if class_id == 3 else (2,):
                    items.append(
                        Data(
                            DataType.STRUCTURE,
                            [
                                Data(DataType.LONG_UNSIGNED, class_id),
                                code(obis),
                                Data(DataType.INTEGER, attribute),
                                self._value(class_id, obis, attribute),
                            ],
                        )
                    )
            return Data(DataType.ARRAY, items)
        values = [self._value(class_id, obis, 2) for class_id, obis in PUSHED_OBJECTS]
        return Data(DataType.STRUCTURE, [Data(DataType.VISIBLE_STRING, LIST_IDENTIFIER), *values])

    def notification(self) -> bytes:
        """The next plain Data-Notification APDU (the invoke id counts up, 24 bits)."""
        date_time = None
        if self.settings.with_date_time:
            date_time = self.meter.date_time(self.meter.clock()).to_bytes()
        apdu = DataNotification(self.invoke_id, date_time, self.payload()).encode()
        self.invoke_id = (self.invoke_id + 1) & 0xFFFFFF
        return apdu

    def apdu(self) -> bytes:
        """The next notification as sent: general-glo ciphered when there are keys."""
        plain = self.notification()
        keys = self.settings.keys
        if keys is None:
            return plain
        control = SecurityControl(
            suite=0, authentication=keys.authentication_key is not None, encryption=True
        )
        ciphered = cipher_apdu(
            plain,
            kind="general-glo",
            control=control,
            system_title=self.settings.system_title,
            invocation_counter=self.frame_counter,
            keys=keys,
        )
        self.frame_counter = (self.frame_counter + 1) & 0xFFFFFFFF
        return ciphered

    def transmission(self) -> bytes:
        """The next notification, framed: the bytes that go on the line at one push."""
        apdu = self.apdu()
        framing = self.settings.framing
        if framing == "hdlc":
            frames = hdlc_frames(
                apdu,
                max_info_length=self.settings.max_info_length,
                frame_type=FrameType[self.settings.hdlc_frame_type],
                first_send_sequence=self._send_sequence,
            )
            if self.settings.hdlc_frame_type == "I":
                self._send_sequence = (self._send_sequence + len(frames)) % 8
        elif framing == "mbus":
            frames = mbus_frames(apdu, max_user_data=self.settings.mbus_max_user_data)
        elif framing == "wrapper":
            frames = [encode_wrapper(1, 16, apdu)]
        else:
            frames = [apdu]
        return self.settings.garbage + b"".join(frames)


# ---------------------------------------------------------------------------- framing


def hdlc_frames(
    apdu: bytes,
    *,
    max_info_length: int = 128,
    frame_type: FrameType = FrameType.UI,
    destination: HdlcAddress | None = None,
    source: HdlcAddress | None = None,
    first_send_sequence: int = 0,
) -> list[bytes]:
    """``apdu`` with the LLC ``E6 E7 00`` in HDLC frames of at most ``max_info_length``
    information bytes; every frame but the last has the segmentation bit, the last one
    the poll/final bit (as the Iskra AM550 sends: ``03``, ``03``, ``13``)."""
    destination = destination or HdlcAddress.client(16)
    source = source or HdlcAddress.server(1, 17)
    payload = LLC_RESPONSE + apdu
    chunks = [payload[i : i + max_info_length] for i in range(0, len(payload), max_info_length)]
    return [
        encode_frame(
            frame_type,
            destination,
            source,
            information=chunk,
            segmented=number < len(chunks) - 1,
            poll_final=number == len(chunks) - 1,
            send_sequence=(first_send_sequence + number) % 8,
        )
        for number, chunk in enumerate(chunks)
    ]


def mbus_frames(
    apdu: bytes,
    *,
    max_user_data: int = MBUS_MAX_USER_DATA,
    address: int = 0xFF,
    control: int = 0x53,
    stsap: int = 0x01,
    dtsap: int = 0x67,
) -> list[bytes]:
    """``apdu`` in M-Bus long frames (EN 13757-2, DLMS over M-Bus as Austrian meters push
    it): CI is the segment's sequence number, with 0x10 on the last one."""
    if not 1 <= max_user_data <= 250:
        raise ValueError("an M-Bus long frame carries 1..250 APDU bytes")
    chunks = [apdu[i : i + max_user_data] for i in range(0, len(apdu), max_user_data)]
    if len(chunks) > 16:
        raise ValueError("an APDU over more than 16 M-Bus frames cannot be numbered")
    frames = []
    for number, chunk in enumerate(chunks):
        ci = number | (MBUS_LAST_SEGMENT if number == len(chunks) - 1 else 0)
        body = bytes((control, address, ci, stsap, dtsap)) + chunk
        length = len(body)
        frames.append(
            bytes((MBUS_START, length, length, MBUS_START))
            + body
            + bytes((sum(body) & 0xFF, MBUS_STOP))
        )
    return frames


# ---------------------------------------------------------------------------- serving


class _Pusher:
    """The ticker both ways out share: one transmission every interval, to ``_send``."""

    def __init__(self, push: PushMeter) -> None:
        self.push = push
        self.sent: list[bytes] = []
        """Every transmission so far, in order (tests compare what arrived with it)."""
        self._ticker: asyncio.Task[None] | None = None
        self.on_sent: Callable[[bytes], None] | None = None

    def _start_ticker(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _stop_ticker(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.push.settings.interval)
            self.push_now()

    def push_now(self) -> bytes:
        """Send the next notification at once (the ticker does so every interval)."""
        data = self.push.transmission()
        self.sent.append(data)
        self._send(data)
        if self.on_sent is not None:
            self.on_sent(data)
        return data

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are: a real meter's capture replayed, or line noise."""
        self.sent.append(data)
        self._send(data)

    def _send(self, data: bytes) -> None:
        raise NotImplementedError


class PushSimulator(TcpService, _Pusher):
    """A push meter behind a TCP bridge on ``host:port``: every connected client gets
    every notification; what clients send is ignored (the customer port is one-way).

    ``rfc2217``: behind an RFC 2217 access server (``rfc2217://``, ser2net in telnet mode),
    where the client sets the serial side's speed and parity; the meter sends at ``line``,
    and a client that set other settings gets what a UART makes of it (``uart``): noise."""

    def __init__(
        self,
        push: PushMeter | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rfc2217: bool = False,
        line: UartSettings = DEFAULT_LINE,
    ) -> None:
        TcpService.__init__(self, host, port)
        _Pusher.__init__(self, push or PushMeter())
        self.rfc2217 = rfc2217
        self.line = line
        self._writers: set[asyncio.StreamWriter] = set()
        self._telnet: dict[asyncio.StreamWriter, TelnetServerCodec] = {}
        self._joined: asyncio.Condition | None = None

    @property
    def url(self) -> str:
        scheme = "rfc2217" if self.rfc2217 else "socket"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def clients(self) -> int:
        return len(self._writers)

    async def wait_for_clients(self, count: int = 1) -> None:
        """Until at least ``count`` clients are connected (a test's way to know that the
        next notification reaches them)."""
        if self._joined is None:
            self._joined = asyncio.Condition()
        async with self._joined:
            await self._joined.wait_for(lambda: len(self._writers) >= count)

    async def start(self) -> None:
        await TcpService.start(self)
        self._start_ticker()

    async def stop(self) -> None:
        await self._stop_ticker()
        await TcpService.stop(self)

    def _send(self, data: bytes) -> None:
        for writer in list(self._writers):
            if writer.is_closing():
                self._writers.discard(writer)
                continue
            telnet = self._telnet.get(writer)
            if telnet is None:
                writer.write(data)
                continue
            line = self.line
            heard = UartSettings(
                telnet.baudrate or line.baudrate,
                telnet.parity or line.parity,
                telnet.byte_size or line.byte_size,
            )
            writer.write(telnet.escape(received(data, line, heard)))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        telnet = TelnetServerCodec() if self.rfc2217 else None
        if telnet is not None:
            self._telnet[writer] = telnet
        if self._joined is not None:
            async with self._joined:
                self._joined.notify_all()
        try:
            while data := await reader.read(4096):
                if telnet is not None:
                    _, replies = telnet.feed(data)
                    if replies:
                        writer.write(replies)
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            self._telnet.pop(writer, None)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


class PtyPushSimulator(_Pusher):
    """A push meter on a pseudo-terminal: a client opens ``path`` as a serial device.
    Notifications written while no one reads are dropped once the pty's buffer is full,
    as a serial line forgets what no one listened to.

    The meter sends at ``line`` (speed and parity). Before each transmission the speed the
    reader set (the pty's termios, real) is read, and a reader at another speed gets what a
    UART would make of it (``uart``): noise. The reader's parity cannot be seen: Linux's pty
    driver clears PARENB from every termios set on a pty, so on a pty the parity is taken
    to match (on a real port, 8N1 read as 8E1 or the reverse is noise too). On this kernel,
    opening the pty again with only the parity changed fails (EINVAL: nothing the pty keeps
    would change); a real port has no such trap.
    """

    def __init__(self, push: PushMeter | None = None, *, line: UartSettings = DEFAULT_LINE) -> None:
        super().__init__(push or PushMeter())
        self.path = ""
        self.line = line
        self._master = -1
        self._slave = -1

    def reader_speed(self) -> int | None:
        """The speed the reader set on the pty (None: not one of termios' speeds)."""
        if self._slave < 0:
            return None
        return TERMIOS_SPEEDS.get(termios.tcgetattr(self._slave)[4])

    async def start(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._start_ticker()

    def _send(self, data: bytes) -> None:
        if self._master < 0:
            return
        speed = self.reader_speed()
        if speed is not None and speed != self.line.baudrate:
            data = received(data, self.line, replace(self.line, baudrate=speed))
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            os.write(self._master, data)

    async def stop(self) -> None:
        await self._stop_ticker()
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
