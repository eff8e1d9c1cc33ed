"""The in-memory way to the simulator (``LoopbackTransport``) against the real ones: the
same bytes come back for the same bytes sent, whichever way; connections end as TCP
connections do; and the virtual clock the loopback tests run on keeps time's meaning."""

from __future__ import annotations

import asyncio
import time

import pytest
import serialx

from libdlms.codecs.hdlc import FrameType, HdlcAddress, HdlcParameters, encode_frame
from libdlms.errors import CommunicationError
from simulator import LoopbackTransport, MeterSimulator, PtyMeterSimulator
from simulator.session import Faults
from tests import virtual_time as virtual_time_module
from tests.virtual_time import VirtualTimeLoop, virtual_time

SNRM = encode_frame(
    FrameType.SNRM,
    HdlcAddress.server(1, 17),
    HdlcAddress.client(16),
    information=HdlcParameters(max_info_tx=64, max_info_rx=64).encode(),
)
NOISY = Faults(echo=True, garbage=b"\x00\x7e\xa0")


async def _answer_over_loopback(sim: MeterSimulator) -> bytes:
    transport = LoopbackTransport(sim)
    await transport.open()
    try:
        await transport.write(SNRM)
        return await transport.read()  # one chunk: the meter answers one write at once
    finally:
        await transport.close()


async def _answer_over(url: str, size: int) -> bytes:
    port = serialx.async_serial_for_url(url, baudrate=9600)
    await port.open()
    data = b""
    try:
        await port.write(SNRM)
        async with asyncio.timeout(5):
            while len(data) < size:
                data += await port.read(4096)
    finally:
        await port.close()
    return data


async def test_every_way_in_answers_the_same_bytes(socket_enabled: None) -> None:
    """An SNRM through an echoing, noisy line: echo, noise and the UA, byte for byte the
    same over TCP, a pseudo-terminal and the loopback (one code path for all three)."""
    loopback = MeterSimulator()
    loopback.faults = NOISY
    answer = await _answer_over_loopback(loopback)
    assert answer.startswith(SNRM + NOISY.garbage + b"\x7e\xa0")  # then the UA
    assert loopback.sessions[0].connected
    async with MeterSimulator() as tcp:
        tcp.faults = NOISY
        assert await _answer_over(tcp.url, len(answer)) == answer
    async with PtyMeterSimulator() as pty:
        pty.faults = NOISY
        assert await _answer_over(pty.path, len(answer)) == answer


@virtual_time
async def test_closing_either_end_ends_the_connection() -> None:
    sim = MeterSimulator()
    transport = LoopbackTransport(sim)
    await transport.open()
    await transport.write(SNRM)
    assert await transport.read()
    assert sim.open_connections == 1
    await transport.close()
    await asyncio.sleep(1)  # in virtual time: once all that was ready has run
    assert sim.open_connections == 0
    with pytest.raises(CommunicationError, match="not open"):
        await transport.read()

    await transport.open()
    await sim.stop()  # as pulling a bridge's plug: the client hears the end of stream
    with pytest.raises(CommunicationError, match="closed the connection"):
        await transport.read()
    await transport.close()


@virtual_time
async def test_writing_to_a_closed_connection_fails() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    transport = LoopbackTransport(hang_up)
    await transport.open()
    with pytest.raises(CommunicationError, match="closed the connection"):
        await transport.read()
    with pytest.raises(CommunicationError, match="writing"):
        await transport.write(SNRM)
    await transport.close()


@virtual_time
async def test_line_settings_are_recorded() -> None:
    transport = LoopbackTransport(MeterSimulator())
    with pytest.raises(CommunicationError, match="not open"):
        await transport.set_line(baudrate=300, byte_size=7, parity="E")
    await transport.open()
    await transport.set_line(baudrate=300, byte_size=7, parity="E")
    assert (transport.baudrate, transport.byte_size, transport.parity) == (300, 7, "E")
    await transport.close()


def test_virtual_time_jumps_to_the_next_timer() -> None:
    """Timers keep their order and their times on the loop's clock; waiting costs no
    wall-clock time."""
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(30, lambda: fired.append(("late", loop.time())))
        loop.call_later(10, lambda: fired.append(("early", loop.time())))
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.Event().wait()
        fired.append(("timeout", loop.time()))
        await asyncio.sleep(15)

    began = time.monotonic()
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        runner.run(main())
    assert fired == [("early", 10.0), ("timeout", 20.0), ("late", 30.0)]
    assert time.monotonic() - began < 1


def test_a_test_waiting_for_nothing_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(virtual_time_module, "STUCK_AFTER", 0.01)

    @virtual_time
    async def waits_for_ever() -> None:
        await asyncio.Event().wait()

    with pytest.raises(RuntimeError, match="stuck in virtual time"):
        waits_for_ever()
