"""The simulator serving the DLMS wrapper over UDP (``udp://``, IEC 62056-47): each datagram
one PDU, each peer address its own connection (its own association), answers sent back to
that peer. ``faults.drop_frames`` loses answers, as a UDP network does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Self

from .connection import MeterConnection, MeterEndpoint
from .meter import SimulatedMeter
from .session import ServerSettings

Peer = tuple[str | int, ...]


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, received: Callable[[bytes, Peer], None]) -> None:
        self._received = received

    def datagram_received(self, data: bytes, addr: Peer) -> None:
        self._received(data, addr)


class UdpMeterSimulator(MeterEndpoint):
    def __init__(
        self,
        meter: SimulatedMeter | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: ServerSettings | None = None,
    ) -> None:
        super().__init__(meter, settings)
        self.wrapper = True
        self.datagrams = True
        self.host = host
        self.port = port
        self.received = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._peers: dict[Peer, MeterConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"udp://{self.host}:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self._datagram), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def _datagram(self, data: bytes, peer: Peer) -> None:
        self.received += 1
        connection = self._peers.get(peer)
        if connection is None:
            connection = self._peers[peer] = self.connect()
        task = asyncio.get_running_loop().create_task(self._answer(connection, data, peer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, connection: MeterConnection, data: bytes, peer: Peer) -> None:
        answer = await connection.respond(data)
        if answer and self._transport is not None:
            self._transport.sendto(answer, peer)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()
            self._transport = None

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
