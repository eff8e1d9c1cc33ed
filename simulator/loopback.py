"""The simulator without sockets: ``LoopbackTransport`` is libdlms's ``Transport`` on an
in-memory connection to a ``MeterSimulator``, a ``LinkProxy`` or any connection handler
in the same event loop.

The meter's side is the TCP server's own code (``TcpService.serve``, and behind it
``MeterConnection``), handed asyncio streams on an in-memory transport instead of a
socket: every fault the simulator and the proxy inject works the same, each ``open`` is a
new connection (a new session), ``stop`` ends them, and closing one end is an end of
stream at the other. What one end writes arrives at the other on the loop's next turn, so
no time passes on the loop's clock: under a virtual clock, only the timeouts and the
meter's delays do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from libdlms.errors import CommunicationError

from .tcp import TcpService

ConnectionHandler: TypeAlias = Callable[
    [asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]
]

READ_CHUNK = 4096
URL = "loopback://simulator"
_HANDLERS: set[asyncio.Task[None]] = set()  # running connection handlers, kept alive


class _MemoryTransport(asyncio.Transport):
    """One end of an in-memory connection. Writing to an end whose peer has closed loses
    the connection, as a socket does once the peer's reset arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self.peer: _MemoryTransport | None = None
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        peer = self.peer
        if self._closing or not data:
            return
        if peer is None or peer.is_closing():
            self._close(ConnectionResetError("the other end closed the connection"))
            return
        self._loop.call_soon(peer._receive, bytes(data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._close(None)

    def abort(self) -> None:
        self._close(None)

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def is_reading(self) -> bool:
        return not self._closing

    def pause_reading(self) -> None:
        pass  # the bytes of one connection are few: its reader may hold them all

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": URL}.get(name, default)

    def _close(self, exc: Exception | None) -> None:
        if self._closing:
            return
        self._closing = True
        if self.peer is not None:
            self._loop.call_soon(self.peer._end_of_stream)
        self._loop.call_soon(self._protocol.connection_lost, exc)

    def _receive(self, data: bytes) -> None:
        if not self._closing:
            self._protocol.data_received(data)

    def _end_of_stream(self) -> None:
        if not self._closing and not self._protocol.eof_received():
            self.close()


async def open_loopback(
    handler: ConnectionHandler,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """What ``asyncio.open_connection`` is to a server, for ``handler`` in memory: the
    client's streams, once ``handler`` runs with the server's (an accepted connection)."""
    loop = asyncio.get_running_loop()
    ends = []
    for _ in range(2):
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        transport = _MemoryTransport(loop, protocol)
        protocol.connection_made(transport)
        ends.append((reader, asyncio.StreamWriter(transport, protocol, reader, loop), transport))
    (client_reader, client_writer, client_end), (server_reader, server_writer, server_end) = ends
    client_end.peer, server_end.peer = server_end, client_end
    task = loop.create_task(_handle(handler, server_reader, server_writer))
    _HANDLERS.add(task)
    task.add_done_callback(_HANDLERS.discard)
    await asyncio.sleep(0)
    return client_reader, client_writer


async def _handle(
    handler: ConnectionHandler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await handler(reader, writer)


class LoopbackTransport:
    """A ``Transport`` to ``peer`` in memory. Line settings (mode E) are recorded as a
    serial port would take them; the meter does not care at which speed it is spoken to."""

    url = URL

    def __init__(
        self,
        peer: TcpService | ConnectionHandler,
        *,
        baudrate: int = 9600,
        byte_size: int = 8,
        parity: str = "N",
    ) -> None:
        self.peer = peer
        self.baudrate = baudrate
        self.byte_size = byte_size
        self.parity = parity
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def __repr__(self) -> str:
        return f"LoopbackTransport({self.peer!r})"

    async def open(self) -> None:
        handler = self.peer.serve if isinstance(self.peer, TcpService) else self.peer
        self._streams = await open_loopback(handler)

    async def read(self) -> bytes:
        reader, _ = self._require_open()
        try:
            data = await reader.read(READ_CHUNK)
        except OSError as err:
            raise CommunicationError(f"reading {self.url} failed: {err}") from err
        if not data:
            raise CommunicationError(f"{self.url} closed the connection")
        return data

    async def write(self, data: bytes) -> None:
        _, writer = self._require_open()
        try:
            writer.write(data)
            await writer.drain()
        except OSError as err:
            raise CommunicationError(f"writing {self.url} failed: {err}") from err

    async def set_line(self, *, baudrate: int, byte_size: int, parity: str) -> None:
        self._require_open()
        self.baudrate, self.byte_size, self.parity = baudrate, byte_size, parity

    async def close(self) -> None:
        streams, self._streams = self._streams, None
        if streams is None:
            return
        _, writer = streams
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    def _require_open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            raise CommunicationError("port is not open")
        return self._streams
