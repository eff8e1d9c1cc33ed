"""The meter's end of the line, the same whichever way the client comes (a TCP socket, a
pseudo-terminal, an in-memory loopback): every chunk of bytes the line delivers goes to
every station on it (the meter, and the other meters of its bus), and what they answer
goes back with the line's and the meter's faults (an optical head's echo, noise, the
meter's turnaround). One place, so that the ways in cannot drift apart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .meter import SimulatedMeter
from .session import Faults, SecurityState, ServerSession, ServerSettings


class MeterEndpoint:
    """The meter and what outlives its connections: the faults to inject (shared by all
    sessions), its invocation counters, and every session so far (one per connection,
    newest last)."""

    def __init__(
        self,
        meter: SimulatedMeter | None = None,
        settings: ServerSettings | None = None,
        *,
        password: bytes | None = None,
        bus: Sequence[tuple[SimulatedMeter, ServerSettings]] = (),
    ) -> None:
        """``bus``: more meters on the same line (an RS-485 bus), each at its own
        server address; every one hears every frame and answers only its own."""
        self.meter = meter or SimulatedMeter()
        self.settings = settings or ServerSettings()
        if password is not None:
            self.settings.password = password
        self.faults = Faults()
        self.security = SecurityState()
        self.meter.frame_counter = self.security.last_client_counter
        self.sessions: list[ServerSession] = []
        self.bus = list(bus)
        # The wrapper (IEC 62056-47) over TCP or UDP instead of HDLC on a line.
        self.wrapper = False
        self.datagrams = False

    def reboot(self) -> None:
        """The meter restarts: every open link and association is forgotten."""
        for session in self.sessions:
            session.reboot()

    def connect(self) -> MeterConnection:
        """A new connection: a new session with the meter, and with each of its bus."""
        session = ServerSession(self.meter, self.settings, self.faults, self.security)
        self.sessions.append(session)
        others = [ServerSession(meter, settings) for meter, settings in self.bus]
        return MeterConnection(self, (session, *others))


class MeterConnection:
    def __init__(self, endpoint: MeterEndpoint, stations: Sequence[ServerSession]) -> None:
        self.endpoint = endpoint
        self.stations = tuple(stations)

    def answer(self, data: bytes, now: float) -> bytes:
        """What goes back on the line for ``data`` (``now``: the loop's clock, for the
        meters' inactivity timeouts)."""
        faults = self.endpoint.faults
        if self.endpoint.wrapper:
            return self.stations[0].receive_wrapper(data, datagram=self.endpoint.datagrams)
        # An optical head hears itself; a noisy line adds bytes of its own.
        answer = (data if faults.echo else b"") + faults.garbage
        for station in self.stations:
            answer += station.receive_data(data, now)
        return answer

    async def respond(self, data: bytes) -> bytes:
        """``answer``, after the meter's turnaround (``Faults.delay``)."""
        answer = self.answer(data, asyncio.get_running_loop().time())
        delay = self.endpoint.faults.delay
        if delay:
            await asyncio.sleep(delay)
        return answer
