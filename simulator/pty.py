"""The simulator behind a pseudo-terminal: the client opens the pty's path as a local
serial device (what ``/dev/serial/by-id/…`` is to a user), through serialx's device
backend with termios and all. One line, one session: a client that comes after another
finds the meter as the last one left it, as on a real serial line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from types import TracebackType
from typing import Self

from .connection import MeterConnection, MeterEndpoint
from .meter import SimulatedMeter
from .session import ServerSession, ServerSettings

READ_CHUNK = 4096


class PtyMeterSimulator(MeterEndpoint):
    def __init__(
        self, meter: SimulatedMeter | None = None, settings: ServerSettings | None = None
    ) -> None:
        super().__init__(meter, settings)
        self.path = ""
        self._master = -1
        self._slave = -1
        self._connection: MeterConnection | None = None
        self._received: asyncio.Queue[bytes] = asyncio.Queue()
        self._answering: asyncio.Task[None] | None = None

    @property
    def session(self) -> ServerSession | None:
        return self.sessions[-1] if self.sessions else None

    async def start(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._connection = self.connect()
        loop = asyncio.get_running_loop()
        loop.add_reader(self._master, self._on_readable)
        self._answering = loop.create_task(self._answer())

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the client side closed: a new session starts with its next SNRM
            return
        self._received.put_nowait(data)

    async def _answer(self) -> None:
        assert self._connection is not None
        while True:
            answer = await self._connection.respond(await self._received.get())
            if answer:
                os.write(self._master, answer)

    async def stop(self) -> None:
        if self._answering is not None:
            self._answering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._answering
            self._answering = None
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._master = self._slave = -1

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
