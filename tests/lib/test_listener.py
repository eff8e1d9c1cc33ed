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
from libdlms.errors import WrongEncryptionKey
from libdlms.security import SecurityKeys
from libdlms.session.push.events import (
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
)
from simulator.push import PtyPushSimulator, PushMeter, PushSettings, PushSimulator

# Real sockets on 127.0.0.1 (pytest-socket blocks others under the Home Assistant harness).
pytestmark = pytest.mark.usefixtures("socket_enabled")


class CollectingReceiver:
    """A receiver that keeps every byte, so the transport tests see exactly what came
    through each connection (the real PushReceiver is used in the tests at the end)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.connections_lost = 0
        self.changed = asyncio.Event()

    @property
    def framing(self) -> Framing | None:
        return None

    @property
    def pending(self) -> int:
        return 0

    def receive_data(self, data: bytes) -> list[PushEvent]:
        self.data += data
        self.changed.set()
        return []

    def line_idle(self) -> list[PushEvent]:
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
async def listening(url: str, *, real: bool = False, **options: object) -> AsyncIterator[Run]:
    receiver = CollectingReceiver()
    if real:
        listener = PushListener(url, **options)  # type: ignore[arg-type]
    else:
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


# dlmsparser-sagemcom-xt211-cz-raw from tests/captures/push-captures.json
_CZECH_RAW = (
    "0F8000F1D500020216010116020200010000600101FF02090A353130303030353134390202004600"
    "0060030AFF031601020200470000110000FF03060000000002020046000160030AFF031601020200"
    "46000260030AFF03160002020046000360030AFF03160002020046000460030AFF03160002020001"
    "0000600E00FF0209025432020200030100010700FF0206000007A4020200030100150700FF020600"
    "0000C6020200030100290700FF0206000006A70202000301003D0700FF0206000000360202000301"
    "00020700FF020600000000020200030100160700FF0206000000000202000301002A0700FF020600"
    "0000000202000301003E0700FF020600000000020200030100010800FF0206004AFA820202000301"
    "00010801FF0206000E7AC5020200030100010802FF0206003C7FBC020200030100010803FF020600"
    "000000020200030100010804FF020600000000020200030100020800FF020600000034"
)


def _notifications(run: Run) -> list[Notification]:
    return [event.notification for event in run.events if isinstance(event, NotificationReceived)]


@pytest.mark.parametrize("framing", ["hdlc", "mbus", "wrapper", "raw"])
async def test_notifications_from_the_push_simulator_through_the_receiver(framing: str) -> None:
    keys = SecurityKeys.from_hex("000102030405060708090A0B0C0D0E0F")
    meter = PushMeter(
        settings=PushSettings(framing=framing, interval=3600, keys=keys)  # type: ignore[arg-type]
    )
    simulator = PushSimulator(meter)
    async with simulator, listening(simulator.url, real=True, keys=keys) as run:
        await run.until(lambda: bool(run.connects()))
        await simulator.wait_for_clients(1)
        simulator.push_now()
        simulator.push_now()
        await run.until(lambda: len(_notifications(run)) >= 2)
        first, second = _notifications(run)[:2]
        assert first.framing == framing
        assert first.system_title == b"DLMSIM01"
        assert first.frame_counter is not None
        assert second.frame_counter == first.frame_counter + 1
        energy = [
            v for v in first.values if v.obis is not None and v.obis.dotted == "1.0.1.8.0.255"
        ]
        assert energy
        assert energy[0].unit == "Wh"
        assert run.listener.receiver.framing == framing


async def test_a_wrong_key_is_reported_and_listening_goes_on() -> None:
    meter = PushMeter(
        settings=PushSettings(
            interval=3600, keys=SecurityKeys.from_hex("000102030405060708090A0B0C0D0E0F")
        )
    )
    simulator = PushSimulator(meter)
    wrong = SecurityKeys.from_hex("0F0E0D0C0B0A09080706050403020100")
    async with simulator, listening(simulator.url, real=True, keys=wrong) as run:
        await run.until(lambda: bool(run.connects()))
        await simulator.wait_for_clients(1)
        simulator.push_now()
        simulator.push_now()
        await run.until(
            lambda: sum(isinstance(event, NotificationFailed) for event in run.events) >= 2
        )
        failed = [event for event in run.events if isinstance(event, NotificationFailed)]
        assert all(isinstance(event.error, WrongEncryptionKey) for event in failed)
        assert failed[0].system_title == b"DLMSIM01"
        assert not _notifications(run)


async def test_a_bare_apdu_with_untyped_descriptors_is_taken_when_the_line_goes_quiet() -> None:
    """Czech meters' bodies have no length to end on: the pause after the burst ends it."""
    apdu = bytes.fromhex(_CZECH_RAW)
    simulator = PushSimulator(_push(interval=3600, framing="raw"))
    async with simulator, listening(simulator.url, real=True, framing=Framing.RAW) as run:
        await run.until(lambda: bool(run.connects()))
        await simulator.wait_for_clients(1)
        simulator.send_raw(apdu)
        await run.until(lambda: bool(_notifications(run)))
        (notification,) = _notifications(run)
        assert len(notification.values) > 20


async def test_close_closes_the_port_at_once_even_when_the_events_are_abandoned() -> None:
    """A caller that stops iterating (the config flow, once it has what it needs) and calls
    close() must free the port: the next listener on a serial device has to open it."""
    simulator = PushSimulator(_push(interval=3600))
    async with simulator:
        listener = PushListener(simulator.url, receiver=CollectingReceiver())
        events = listener.events()
        assert isinstance(await anext(events), Connected)
        await simulator.wait_for_clients(1)
        await listener.close()  # the generator is left suspended, as the flow leaves it
        async with asyncio.timeout(2):
            while simulator.clients:  # noqa: ASYNC110 (the simulator has no event for it)
                await asyncio.sleep(0.01)
        await events.aclose()
