"""The simulator as an asyncio TCP server on 127.0.0.1 (what ``socket://`` reaches)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from .meter import SimulatedMeter
from .rfc2217 import TelnetServerCodec
from .session import Faults, SecurityState, ServerSession, ServerSettings
from .tcp import TcpService

_LOGGER = logging.getLogger(__name__)


class MeterSimulator(TcpService):
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
    ) -> None:
        """``bus``: more meters on the same line (an RS-485 bus), each at its own
        server address; every one hears every frame and answers only its own."""
        super().__init__(host, port)
        self.meter = meter or SimulatedMeter()
        self.settings = settings or ServerSettings()
        if password is not None:
            self.settings.password = password
        self.faults = Faults()
        self.security = SecurityState()
        self.meter.frame_counter = self.security.last_client_counter
        self.sessions: list[ServerSession] = []  # one per TCP connection, newest last
        self.bus = list(bus)
        self.rfc2217 = rfc2217  # behind an RFC 2217 access server (rfc2217:// URLs)

    def reboot(self) -> None:
        """The meter restarts: every open link and association is forgotten."""
        for session in self.sessions:
            session.reboot()

    @property
    def url(self) -> str:
        scheme = "rfc2217" if self.rfc2217 else "socket"
        return f"{scheme}://{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = ServerSession(self.meter, self.settings, self.faults, self.security)
        self.sessions.append(session)
        others = [ServerSession(meter, settings) for meter, settings in self.bus]
        telnet = TelnetServerCodec() if self.rfc2217 else None
        try:
            while data := await reader.read(4096):
                if telnet is not None:
                    data, replies = telnet.feed(data)
                    if replies:
                        writer.write(replies)
                # An optical head hears itself; a noisy line adds bytes of its own.
                now = asyncio.get_running_loop().time()
                answer = (data if self.faults.echo else b"") + self.faults.garbage
                for station in (session, *others):
                    answer += station.receive_data(data, now)
                if self.faults.delay:
                    await asyncio.sleep(self.faults.delay)
                if telnet is not None:
                    answer = telnet.escape(answer)
                if answer:
                    writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
