"""A TCP link proxy between a client and a meter that breaks HDLC frames on purpose.

The simulator's own ``Faults`` act inside the meter (an answer not sent, a bit flipped
before sending). Some faults belong to the line instead: a frame delivered twice, two
frames swapped, a connection that dies half-way through a frame. Those cannot be made by
the meter without lying about its own state, so this proxy sits on the wire, cuts the
byte stream into frames by their format field (as a receiver must: DLMS HDLC has no byte
stuffing) and tampers with whole frames, counting each fault down as it fires.

Bytes that are not a frame (noise, a partial frame at the end of a connection) are passed
through untouched; the proxy expects the meter to send well-formed frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from libdlms.codecs.hdlc import FLAG, FORMAT_TYPE_3, MAX_FRAME_LENGTH

from .loopback import open_loopback
from .tcp import TcpService

_LOGGER = logging.getLogger(__name__)

READ_CHUNK = 4096


@dataclass
class LinkFaults:
    """Faults for one direction of the link. Each counter is the number of frames (or
    events) still to be hit; it counts down as the fault fires, so a test sets it and
    later sees 0 when the fault really happened."""

    skip_frames: int = 0  # let N frames through untouched before any fault fires
    duplicate_frames: int = 0  # send each of the next N frames twice in a row
    # N times: hold a frame back and send it after the next one (a frame still held when
    # the connection ends is lost with it)
    swap_frames: int = 0
    drop_mid_frame: int = 0  # send the first half of a frame, then close both connections
    corrupt_frames: int = 0  # flip a bit covered by the FCS (a bad FCS, the header intact)
    delay_frames: int = 0  # hold each of the next N frames for ``delay`` seconds
    delay: float = 0.0


def split_frames(buffer: bytearray) -> list[tuple[bytes, bool]]:
    """Take complete frames (and the bytes between them) off the front of ``buffer``.

    Returns ``(chunk, is_frame)`` in wire order; an incomplete frame stays in ``buffer``.
    Frames are cut by the 11-bit length of the format field, never by looking for the
    next flag, because 0x7E may appear inside a frame."""
    out: list[tuple[bytes, bool]] = []
    while buffer:
        if buffer[0] != FLAG:
            end = buffer.find(FLAG)
            end = len(buffer) if end < 0 else end
            out.append((bytes(buffer[:end]), False))
            del buffer[:end]
            continue
        if len(buffer) < 3:
            break
        fmt = (buffer[1] << 8) | buffer[2]
        if fmt & 0xF000 != FORMAT_TYPE_3:  # a lone or shared flag, or noise
            out.append((bytes(buffer[:1]), False))
            del buffer[:1]
            continue
        size = (fmt & MAX_FRAME_LENGTH) + 2
        if len(buffer) < size:
            break
        if buffer[size - 1] != FLAG:
            out.append((bytes(buffer[:1]), False))
            del buffer[:1]
            continue
        out.append((bytes(buffer[:size]), True))
        del buffer[:size]
    return out


class _LinkDropped(Exception):
    """The proxy cut the connection on purpose (``drop_mid_frame``)."""


class LinkProxy(TcpService):
    """Listens on ``host`` (a free port) and forwards every connection to ``target``
    (``socket://host:port``, e.g. a ``MeterSimulator.url``, or the service itself, reached
    in memory), opening one connection to the target per client connection, as a TCP
    serial bridge in front of a meter would.

    ``to_client`` tampers with what the meter sends, ``to_meter`` with what the client
    sends. ``connections`` counts the client connections accepted; ``open_connections``
    is how many are still up (0 once every session ended, whatever way it ended)."""

    def __init__(self, target: str | TcpService, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target: TcpService | tuple[str, int]
        if isinstance(target, TcpService):
            self.target = target
        else:
            parts = urlsplit(target)
            if parts.hostname is None or parts.port is None:
                raise ValueError(f"target {target!r} is not socket://host:port")
            self.target = (parts.hostname, parts.port)
        super().__init__(host, port)
        self.to_client = LinkFaults()
        self.to_meter = LinkFaults()
        self.connections = 0
        self.frames_to_client = 0  # frames forwarded (a duplicate counts twice)
        self.frames_to_meter = 0

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    async def _handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        meter_writer: asyncio.StreamWriter | None = None
        try:
            try:
                meter_reader, meter_writer = await self._open_target()
            except OSError:
                return  # the meter's port is gone: the client sees the connection close
            # Either direction ending (the client hung up, the meter closed, a drop fault)
            # ends both: a bridge with one side gone is of no use to anybody.
            async with asyncio.TaskGroup() as group:
                pumps = [
                    group.create_task(
                        self._pump(client_reader, meter_writer, self.to_meter, to_client=False)
                    ),
                    group.create_task(
                        self._pump(meter_reader, client_writer, self.to_client, to_client=True)
                    ),
                ]
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                for pump in pumps:
                    pump.cancel()
        except* (ConnectionError, _LinkDropped):
            pass
        finally:
            for writer in (client_writer, meter_writer):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                        await writer.wait_closed()

    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self.target, TcpService):
            return await open_loopback(self.target.serve)
        return await asyncio.open_connection(*self.target)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        faults: LinkFaults,
        *,
        to_client: bool,
    ) -> None:
        buffer = bytearray()
        held: bytes | None = None  # a frame kept back by ``swap_frames``
        while data := await reader.read(READ_CHUNK):
            buffer += data
            for chunk, is_frame in split_frames(buffer):
                if not is_frame:
                    writer.write(chunk)
                    continue
                if faults.skip_frames > 0:
                    faults.skip_frames -= 1
                    frames = [chunk]
                else:
                    frames, held = await self._tamper(chunk, held, faults, writer)
                for frame in frames:
                    writer.write(frame)
                if to_client:
                    self.frames_to_client += len(frames)
                else:
                    self.frames_to_meter += len(frames)
            await writer.drain()

    @staticmethod
    async def _tamper(
        frame: bytes, held: bytes | None, faults: LinkFaults, writer: asyncio.StreamWriter
    ) -> tuple[list[bytes], bytes | None]:
        """What goes on the wire for ``frame`` (and the frame now held back, if any)."""
        if faults.delay_frames > 0:
            faults.delay_frames -= 1
            await writer.drain()
            await asyncio.sleep(faults.delay)
        if faults.drop_mid_frame > 0:
            faults.drop_mid_frame -= 1
            writer.write(frame[: len(frame) // 2])
            await writer.drain()
            _LOGGER.debug("link dropped in the middle of a frame")
            raise _LinkDropped
        if faults.corrupt_frames > 0:
            faults.corrupt_frames -= 1
            # The last information byte, or the control byte of a frame without
            # information: covered by the FCS only, so the HCS still checks.
            position = len(frame) - 4
            frame = frame[:position] + bytes((frame[position] ^ 0x10,)) + frame[-3:]
        if held is None and faults.swap_frames > 0:
            faults.swap_frames -= 1
            return [], frame
        frames = [frame]
        if faults.duplicate_frames > 0:
            faults.duplicate_frames -= 1
            frames.append(frame)
        if held is not None:
            frames.append(held)
        return frames, None
