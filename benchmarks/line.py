"""An emulated optical link: a half-duplex serial line at a fixed baud rate, as a TCP proxy
between the client (``socket://127.0.0.1:PORT``) and the simulator.

Two clocks run side by side:

* the **model** (``WireModel``, sans-IO): time is computed from byte counts alone. Every
  byte takes ``bits_per_byte / baudrate`` seconds (8N1: 10 bits). The line is half-duplex:
  one wire, bytes of both directions serialise on it. The meter starts answering
  ``turnaround`` seconds after the last byte of the client's request; the client is taken
  to react instantly (its CPU time is not on the wire). A burst of meter bytes that follows
  client bytes is one round trip. The model is deterministic and immune to a loaded machine.
* the **wall clock** (``LineProxy``): the proxy really holds every chunk back until its last
  byte would have left the UART (the chunk's start is the later of its arrival and the
  moment the wire is free; a meter answer also waits the turnaround after the request's last
  byte), so the client sees realistic timing, and first-to-last byte is measured with the
  event loop's clock. It includes the client's and simulator's real processing time and the
  scheduler's jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from enum import Enum

from libdlms.codecs.hdlc import FrameReader, FrameType
from simulator.tcp import TcpService


class Direction(Enum):
    TO_METER = "to_meter"
    TO_CLIENT = "to_client"


@dataclass
class WireStats:
    """What crossed the wire during one measurement."""

    bytes_to_meter: int = 0
    bytes_to_client: int = 0
    frames_to_meter: int = 0
    frames_to_client: int = 0
    rr_to_meter: int = 0  # RR frames: the client asking for the next segment of an answer
    rr_to_client: int = 0  # RR frames: the meter asking for the next segment of a request
    client_bursts: int = 0  # times the client took the line
    round_trips: int = 0  # meter answers, each after one meter turnaround
    model_seconds: float = 0.0  # first byte to last byte, by the model
    wall_seconds: float = 0.0  # first byte to last byte, by the event loop's clock
    _wall_first: float | None = field(default=None, repr=False)

    @property
    def total_bytes(self) -> int:
        return self.bytes_to_meter + self.bytes_to_client


class WireModel:
    """The line's model clock (sans-IO): feed it the bursts in wire order."""

    def __init__(self, baudrate: int, turnaround: float, bits_per_byte: int = 10) -> None:
        self.byte_time = bits_per_byte / baudrate
        self.turnaround = turnaround
        self._last: Direction | None = None
        self._readers = {d: FrameReader() for d in Direction}
        self.stats: WireStats | None = None  # the measurement in progress, if any

    def reset_direction(self) -> None:
        """A new connection: nothing is pending on the line."""
        self._last = None
        for reader in self._readers.values():
            reader.clear()

    def start(self) -> WireStats:
        self.stats = WireStats()
        return self.stats

    def stop(self) -> WireStats:
        stats, self.stats = self.stats, None
        assert stats is not None, "no measurement in progress"
        return stats

    def carry(self, direction: Direction, data: bytes) -> float:
        """Account ``data`` crossing the wire; returns the model seconds it adds (its bytes,
        plus the meter turnaround when it starts a meter answer)."""
        added = len(data) * self.byte_time
        answer = direction is Direction.TO_CLIENT and self._last is Direction.TO_METER
        if answer:
            added += self.turnaround
        new_burst = direction is not self._last
        self._last = direction
        reader = self._readers[direction]
        reader.feed(data)
        frames = list(reader)
        stats = self.stats
        if stats is None:
            return added
        if stats.model_seconds == 0.0 and stats.total_bytes == 0:
            # The measurement starts with this burst's first byte: a turnaround before it
            # (an answer to bytes sent before the measurement began) is not on the clock.
            added = len(data) * self.byte_time
        stats.model_seconds += added
        rr = sum(1 for frame in frames if frame.frame_type is FrameType.RR)
        if direction is Direction.TO_METER:
            stats.bytes_to_meter += len(data)
            stats.frames_to_meter += len(frames)
            stats.rr_to_meter += rr
            stats.client_bursts += new_burst
        else:
            stats.bytes_to_client += len(data)
            stats.frames_to_client += len(frames)
            stats.rr_to_client += rr
            stats.round_trips += answer
        return added


class LineProxy(TcpService):
    """The emulated line as a TCP proxy: the client connects to ``url``, the proxy connects
    on to ``upstream`` (the simulator) and paces every byte through a ``WireModel``."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        baudrate: int = 9600,
        turnaround: float = 0.050,
        bits_per_byte: int = 10,
    ) -> None:
        super().__init__("127.0.0.1", 0)
        self.upstream = (upstream_host, upstream_port)
        self.model = WireModel(baudrate, turnaround, bits_per_byte)
        self.turnaround = turnaround
        self._wire_free = 0.0  # loop time when the wire is next idle
        self._last_request_end = 0.0  # loop time of the last client byte on the wire
        self._last: Direction | None = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def begin(self) -> WireStats:
        """Begin a measurement (first byte to last byte of what follows)."""
        return self.model.start()

    def end(self) -> WireStats:
        return self.model.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.model.reset_direction()
        self._last = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, Direction.TO_METER)),
            asyncio.create_task(self._pump(up_reader, writer, Direction.TO_CLIENT)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await pump
            for stream in (writer, up_writer):
                stream.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await stream.wait_closed()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, direction: Direction
    ) -> None:
        loop = asyncio.get_running_loop()
        byte_time = self.model.byte_time
        while data := await source.read(4096):
            now = loop.time()
            start = max(now, self._wire_free)
            if direction is Direction.TO_CLIENT and self._last is Direction.TO_METER:
                start = max(start, self._last_request_end + self.turnaround)
            end = start + len(data) * byte_time
            self._wire_free = end
            self._last = direction
            if direction is Direction.TO_METER:
                self._last_request_end = end
            stats = self.model.stats
            if stats is not None:
                if stats._wall_first is None:
                    stats._wall_first = start
                stats.wall_seconds = end - stats._wall_first
            self.model.carry(direction, data)
            # The far end gets the chunk when its last byte has crossed the wire.
            await asyncio.sleep(max(0.0, end - loop.time()))
            sink.write(data)
            await sink.drain()
