"""The DLMS wrapper's transports (IEC 62056-47): ``tcp://host:port`` and ``udp://host:port``.

Meters with an Ethernet, GPRS or LTE module, gateways and gas meters (port 4059) carry
APDUs behind the wrapper header straight over TCP or UDP, with no HDLC; ``socket://`` stays
a serial bridge carrying HDLC. Both say ``wrapper`` (the client then drives a
``WrapperLink``); UDP also says ``datagrams``: one read is one datagram, and a lost request
may be sent again.
"""

from __future__ import annotations

import asyncio
from typing import Final
from urllib.parse import urlsplit

from ..errors import CommunicationError, ConfigurationError, DlmsTimeoutError
from .base import Transport
from .serial import SerialTransport

WRAPPER_SCHEMES: Final = ("tcp", "udp")
IANA_DLMS_PORT: Final = 4059


def wrapper_address(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a ``tcp://`` or ``udp://`` URL (port 4059 when none)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in WRAPPER_SCHEMES or not parts.hostname:
        raise ConfigurationError(f"not a wrapper URL (tcp://host:port, udp://host:port): {url}")
    try:
        port = parts.port or IANA_DLMS_PORT
    except ValueError:
        raise ConfigurationError(f"the port in {url} is not a number 1..65535") from None
    return parts.scheme, parts.hostname, port


def is_wrapper_url(url: str) -> bool:
    return urlsplit(url.strip()).scheme in WRAPPER_SCHEMES


class TcpTransport(SerialTransport):
    """The wrapper over TCP: the bytes of one TCP connection (serialx's socket)."""

    wrapper = True
    datagrams = False

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        _, host, port = wrapper_address(url)
        super().__init__(f"socket://{host}:{port}", connect_timeout=connect_timeout)
        self.wrapper_url = f"tcp://{host}:{port}"

    def __repr__(self) -> str:
        return f"TcpTransport({self.wrapper_url!r})"


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes | Exception] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" for an earlier datagram, on a connected socket.
        self.received.put_nowait(exc)


class UdpTransport:
    """The wrapper over UDP: one datagram per PDU, from and to ``host:port`` only."""

    wrapper = True
    datagrams = True

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        _, self.host, self.port = wrapper_address(url)
        self.url = f"udp://{self.host}:{self.port}"
        self.connect_timeout = connect_timeout
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Datagrams | None = None

    def __repr__(self) -> str:
        return f"UdpTransport({self.url!r})"

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                transport, protocol = await loop.create_datagram_endpoint(
                    _Datagrams, remote_addr=(self.host, self.port)
                )
        except TimeoutError as err:
            raise DlmsTimeoutError(f"timed out opening {self.url}") from err
        except OSError as err:
            raise CommunicationError(f"cannot open {self.url}: {err.strerror or err}") from err
        self._transport, self._protocol = transport, protocol

    async def read(self) -> bytes:
        if self._protocol is None:
            raise CommunicationError("port is not open")
        item = await self._protocol.received.get()
        if isinstance(item, Exception):
            raise CommunicationError(f"{self.url}: {item}") from item
        return item

    async def write(self, data: bytes) -> None:
        if self._transport is None:
            raise CommunicationError("port is not open")
        self._transport.sendto(data)

    async def close(self) -> None:
        transport, self._transport, self._protocol = self._transport, None, None
        if transport is not None:
            transport.close()

    async def set_line(self, *, baudrate: int, byte_size: int, parity: str) -> None:
        """No line to set over IP."""


def transport_for_url(url: str, *, baudrate: int = 9600, parity: str = "N") -> Transport:
    """The transport a URL names: the wrapper over TCP or UDP, else serialx (a local
    device, ``socket://``, ``rfc2217://``, an ESPHome proxy) at ``baudrate``."""
    scheme = urlsplit(url.strip()).scheme
    if scheme == "tcp":
        return TcpTransport(url)
    if scheme == "udp":
        return UdpTransport(url)
    return SerialTransport(url, baudrate=baudrate, parity=parity)
