"""The simulator as an asyncio TCP server on 127.0.0.1 (what ``socket://`` reaches), or in
memory through ``LoopbackTransport`` (the same connections, without the socket)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from .connection import MeterEndpoint
from .meter import SimulatedMeter
from .rfc2217 import TelnetServerCodec
from .session import ServerSettings
from .tcp import TcpService

_LOGGER = logging.getLogger(__name__)

READ_CHUNK = 4096


class MeterSimulator(TcpService, MeterEndpoint):
    """Serves ``meter`` on ``host:port`` (port 0 picks a free one; after the first start
    the same port is reused, so a test can stop the meter and bring it back)."""

    def __init__(
        self,
        meter: SimulatedMeter | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        password: bytes | None = None,
        settings: ServerSettings | None = None,
        bus: Sequence[tuple[SimulatedMeter, ServerSettings]] = (),
        rfc2217: bool = False,
        wrapper: bool = False,
    ) -> None:
        TcpService.__init__(self, host, port)
        MeterEndpoint.__init__(self, meter, settings, password=password, bus=bus)
        self.rfc2217 = rfc2217  # behind an RFC 2217 access server (rfc2217:// URLs)
        self.wrapper = wrapper  # the DLMS wrapper over TCP (tcp:// URLs), no HDLC

    @property
    def url(self) -> str:
        scheme = "tcp" if self.wrapper else "rfc2217" if self.rfc2217 else "socket"
        return f"{scheme}://{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = self.connect()
        telnet = TelnetServerCodec() if self.rfc2217 else None
        try:
            while data := await reader.read(READ_CHUNK):
                if telnet is not None:
                    data, replies = telnet.feed(data)
                    if replies:
                        writer.write(replies)
                answer = await connection.respond(data)
                if telnet is not None:
                    answer = telnet.escape(answer)
                if answer:
                    writer.write(answer)
                await writer.drain()
                if connection.stations[0].wrapper_broken:
                    break  # a wrapper stream out of step: the meter closes the connection
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
