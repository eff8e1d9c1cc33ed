"""A transport on serialx: local serial devices, ``socket://``, ``rfc2217://`` and the
ESPHome serial proxy URLs that Home Assistant's ``SerialPortSelector`` returns.

Every failure of the port surfaces as ``CommunicationError`` with a message a person
can act on; serialx, OSError and timeout details are chained, not leaked raw.
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

import serialx
from serialx.common import UnknownUriScheme

from ..errors import CommunicationError, DlmsTimeoutError

READ_CHUNK: Final = 4096
_HOST_PORT: Final = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$")


def normalize_url(url: str) -> str:
    """``host:port`` alone means a TCP bridge (ser2net, ESP): ``socket://host:port``."""
    url = url.strip()
    if _HOST_PORT.match(url):
        return f"socket://{url}"
    return url


class SerialTransport:
    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        byte_size: int = 8,
        parity: str = "N",
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = normalize_url(url)
        self.baudrate = baudrate
        self.byte_size = byte_size
        self.parity = parity
        self.connect_timeout = connect_timeout
        self._serial: serialx.AsyncSerial | None = None

    def __repr__(self) -> str:
        return f"SerialTransport({self.url!r}, baudrate={self.baudrate})"

    async def open(self) -> None:
        if not self.url:
            raise CommunicationError("no port given")
        serial = serialx.async_serial_for_url(
            self.url, baudrate=self.baudrate, byte_size=self.byte_size, parity=self.parity
        )
        try:
            async with asyncio.timeout(self.connect_timeout):
                await serial.open()
        except TimeoutError as err:
            raise DlmsTimeoutError(f"timed out opening {self.url}") from err
        except UnknownUriScheme as err:
            raise CommunicationError(f"unsupported port URL {self.url!r}") from err
        except (serialx.SerialException, OSError, ValueError) as err:
            raise CommunicationError(f"cannot open {self.url}: {_describe(err)}") from err
        self._serial = serial

    async def read(self) -> bytes:
        serial = self._require_open()
        try:
            data = await serial.read(READ_CHUNK)
        except (serialx.SerialException, OSError) as err:
            raise CommunicationError(f"reading {self.url} failed: {_describe(err)}") from err
        if not data:
            raise CommunicationError(f"{self.url} closed the connection")
        return data

    async def write(self, data: bytes) -> None:
        serial = self._require_open()
        try:
            await serial.write(data)
        except (serialx.SerialException, OSError) as err:
            raise CommunicationError(f"writing {self.url} failed: {_describe(err)}") from err

    async def set_line(self, *, baudrate: int, byte_size: int, parity: str) -> None:
        serial = self._require_open()
        try:
            await serial.reconfigure_port(baudrate=baudrate, byte_size=byte_size, parity=parity)
        except (serialx.SerialException, OSError, ValueError) as err:
            raise CommunicationError(
                f"cannot set {self.url} to {baudrate} Bd {byte_size}{parity}1: {_describe(err)}"
            ) from err
        self.baudrate, self.byte_size, self.parity = baudrate, byte_size, parity

    async def close(self) -> None:
        serial, self._serial = self._serial, None
        if serial is None:
            return
        try:
            await serial.close()
        except (serialx.SerialException, OSError):
            serial.abort()

    def _require_open(self) -> serialx.AsyncSerial:
        if self._serial is None:
            raise CommunicationError("port is not open")
        return self._serial


def _describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    if isinstance(err, OSError) and err.strerror:
        text = err.strerror
    return text
