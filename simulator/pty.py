"""The simulator behind a pseudo-terminal: the client opens the pty's path as a local
serial device (what ``/dev/serial/by-id/…`` is to a user), through serialx's device
backend with termios and all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from types import TracebackType
from typing import Self

from .meter import SimulatedMeter
from .session import Faults, SecurityState, ServerSession, ServerSettings


class PtyMeterSimulator:
    def __init__(
        self, meter: SimulatedMeter | None = None, settings: ServerSettings | None = None
    ) -> None:
        self.meter = meter or SimulatedMeter()
        self.settings = settings or ServerSettings()
        self.faults = Faults()
        self.security = SecurityState()
        self.meter.frame_counter = self.security.last_client_counter
        self.path = ""
        self._master = -1
        self._slave = -1
        self.session: ServerSession | None = None

    async def start(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.session = ServerSession(self.meter, self.settings, self.faults, self.security)
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the client side closed: a new session starts with its next SNRM
            return
        assert self.session is not None
        answer = self.session.receive_data(data)
        if answer:
            os.write(self._master, answer)

    async def stop(self) -> None:
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
