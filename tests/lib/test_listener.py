"""PushListener against the push simulator over a real socket and a real pty: it connects,
hands every byte to its receiver, survives the simulator going away (restarted mid-test),
backs off while nobody answers, reconnects a silent connection, and stops on close()."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from libdlms import CommunicationError, ConfigurationError, DlmsTimeoutError
from libdlms.client.listener import (
    Connected,
    Disconnected,
    ListenerEvent,
    PushListener,
)
from libdlms.session.push.events import Framing, PushEvent
from simulator.push import PtyPushSimulator, PushMeter, PushSettings, PushSimulator


class CollectingReceiver:
    """Stands in for PushReceiver until that lands on this branch: it keeps every byte, so
    the tests see exactly what came through each connection."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.connections_lost = 0
        self.changed = asyncio.Event()

    @property
    def framing(self) -> Framing | None:
        return None

    def receive_data(self, data: bytes) -> list[PushEvent]:
        self.data += data
        self.changed.set()
        return []

    def connection_lost(self) -> None:
        self.connections_lost += 1


class Run:
    """A listener consuming its events in a task, and ways to wait for what happens."""

    def __init__(self, listener: PushListener, receiver: CollectingReceiver) -> None:
        self.listener = listener
        self.receiver = receiver
        self.events: list[ListenerEvent] = []
        self._task = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        async for event in self.listener.events():
            self.events.append(event)
            self.receiver.changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not condition():
                self.receiver.changed.clear()
                await self.receiver.changed.wait()

    def connects(self) -> list[Connected]:
        return [event for event in self.events if isinstance(event, Connected)]

    def disconnects(self) -> list[Disconnected]:
        return [event for event in self.events if isinstance(event, Disconnected)]

    async def close(self) -> None:
        await self.listener.close()
        async with asyncio.timeout(2):
            await self._task


@contextlib.asynccontextmanager
async def listening(url: str, **options: object) -> AsyncIterator[Run]:
    receiver = CollectingReceiver()
    listener = PushListener(url, receiver=receiver, **options)  # type: ignore[arg-type]
    run = Run(listener, receiver)
    try:
        yield run
    finally:
        await run.close()


def _push(interval: float = 0.02, framing: str = "hdlc") -> PushMeter:
    return PushMeter(settings=PushSettings(framing=framing, interval=interval))  # type: ignore[arg-type]


async def test_every_byte_arrives_and_a_simulator_restart_is_survived() -> None:
    simulator = PushSimulator(_push(interval=3600))
    await simulator.start()
    try:
        async with listening(simulator.url, reconnect_delays=(0.05,)) as run:
            await run.until(lambda: bool(run.connects()))
            await simulator.wait_for_clients(1)
            first = simulator.push_now() + simulator.push_now()
            await run.until(lambda: len(run.receiver.data) >= len(first))
            assert bytes(run.receiver.data) == first

            await simulator.stop()  # the bridge restarts
            await run.until(lambda: bool(run.disconnects()))
            (gone,) = run.disconnects()
            assert isinstance(gone, Disconnected)
            assert isinstance(gone.error, CommunicationError)
            assert gone.retry_in == 0.05
            assert run.receiver.connections_lost == 1

            await simulator.start()
            await run.until(lambda: len(run.connects()) == 2)
            await simulator.wait_for_clients(1)
            second = simulator.push_now()
            await run.until(lambda: len(run.receiver.data) >= len(first + second))
            assert bytes(run.receiver.data) == first + second
            assert run.listener.connections == 2
    finally:
        await simulator.stop()


async def test_backs_off_while_nobody_answers_then_connects() -> None:
    simulator = PushSimulator(_push())
    await simulator.start()
    url = simulator.url
    await simulator.stop()  # the port is known, and nobody listens on it
    async with listening(url, reconnect_delays=(0.01, 0.02, 0.04)) as run:
        await run.until(lambda: len(run.disconnects()) >= 4)
        delays = [event.retry_in for event in run.disconnects()][:4]
        assert delays == [0.01, 0.02, 0.04, 0.04]  # the last delay repeats
        assert run.connects() == []
        await simulator.start()
        try:
            await run.until(lambda: bool(run.connects()))
            await run.until(lambda: len(run.receiver.data) > 0)
        finally:
            await simulator.stop()


async def test_the_delays_start_over_once_bytes_came() -> None:
    simulator = PushSimulator(_push())
    await simulator.start()
    async with listening(simulator.url, reconnect_delays=(0.01, 0.5)) as run:
        for _ in range(2):
            await run.until(lambda: len(run.receiver.data) > 0)
            await simulator.stop()
            count = len(run.disconnects())
            await run.until(lambda count=count: len(run.disconnects()) > count)  # type: ignore[misc]
            run.receiver.data.clear()
            await simulator.start()
        await simulator.stop()
    retries = [event.retry_in for event in run.disconnects()]
    assert retries[:2] == [0.01, 0.01]


async def test_a_silent_connection_is_reconnected_after_the_idle_timeout() -> None:
    simulator = PushSimulator(_push(interval=3600))
    async with (
        simulator,
        listening(simulator.url, reconnect_delays=(0.01,), idle_timeout=0.1) as run,
    ):
        await run.until(lambda: len(run.connects()) >= 2)
        silent = run.disconnects()[0]
        assert isinstance(silent, Disconnected)
        assert isinstance(silent.error, DlmsTimeoutError)
        assert "nothing received" in str(silent.error)


async def test_close_ends_the_events_while_waiting_for_bytes() -> None:
    simulator = PushSimulator(_push(interval=3600))
    async with simulator, listening(simulator.url) as run:
        await run.until(lambda: bool(run.connects()))
        await simulator.wait_for_clients(1)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await run.close()
        assert loop.time() - start < 1
        assert run.listener.closed


async def test_close_during_the_backoff_does_not_wait_for_it() -> None:
    async with listening("socket://127.0.0.1:1", reconnect_delays=(3600,)) as run:
        await run.until(lambda: bool(run.disconnects()))
        loop = asyncio.get_running_loop()
        start = loop.time()
        await run.close()
        assert loop.time() - start < 1


async def test_listens_on_a_pty_at_the_meter_serial_settings() -> None:
    simulator = PtyPushSimulator(_push(interval=3600, framing="mbus"))
    async with simulator, listening(simulator.path, baudrate=2400, parity="even") as run:
        await run.until(lambda: bool(run.connects()))
        sent = simulator.push_now()
        await run.until(lambda: len(run.receiver.data) >= len(sent))
        assert bytes(run.receiver.data) == sent
        assert run.listener.parity == "E"


@pytest.mark.parametrize(
    "options",
    [
        {"parity": "mark"},
        {"reconnect_delays": ()},
        {"reconnect_delays": (-1,)},
        {"idle_timeout": 0},
    ],
)
def test_bad_settings_are_configuration_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        PushListener("socket://127.0.0.1:1", receiver=CollectingReceiver(), **options)  # type: ignore[arg-type]
