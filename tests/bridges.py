"""A TCP bridge whose serial side carries noise, or nothing, and never answers: for the
detection's tests in the library and in Home Assistant (no Home Assistant import here)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self


class SilentOrNoisyBridge:
    """Every client gets ``noise`` every ``period`` seconds (nothing when empty); what it
    sends is ignored. ``open``: connections open now. Every client task ends at ``stop``."""

    def __init__(self, noise: bytes = b"", period: float = 0.2) -> None:
        self.noise = noise
        self.period = period
        self.server: asyncio.Server | None = None
        self.open = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"socket://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.open += 1
        try:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while self.noise and not writer.is_closing():
                    writer.write(self.noise)
                    await writer.drain()
                    await asyncio.sleep(self.period)
                await reader.read()
        finally:
            self.open -= 1
            self._writers.discard(writer)
            writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self.url

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

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
