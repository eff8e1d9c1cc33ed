"""The simulator's UART: what a receiver at other serial settings makes of a waveform, and
the push simulator on a pty that sends noise to a reader at the wrong speed (real termios)."""

from __future__ import annotations

import asyncio

import pytest

from libdlms import PushReceiver
from libdlms.session.push.events import NotificationReceived
from libdlms.transport import SerialTransport
from simulator.push import PtyPushSimulator, PushMeter, PushSettings, hdlc_frames
from simulator.uart import UartSettings, received

FRAME = bytes.fromhex("7EA01A01025303A0E6E700") + bytes(range(40)) + b"\x7e"
N2400 = UartSettings(2400)
E2400 = UartSettings(2400, "E")


def test_the_same_settings_deliver_the_bytes() -> None:
    assert received(FRAME, N2400, N2400) == FRAME
    assert received(bytes(range(256)), UartSettings(9600, "O"), UartSettings(9600, "O")) == bytes(
        range(256)
    )


def test_8n1_reading_8e1_gets_nul_where_the_parity_bit_is_0() -> None:
    # The parity bit lands on the stop bit: even parity is 0 for an even number of ones, a
    # framing error delivered as NUL; the other characters pass. (After a framing error
    # the receiver takes the low parity bit for the next start bit, as a 16550 does.)
    for byte in range(256):
        got = received(bytes([byte]), E2400, N2400)
        assert got[0] == (byte if bin(byte).count("1") % 2 else 0), byte
    stream = received(bytes(range(256)), E2400, N2400)
    assert stream != bytes(range(256))


def test_8e1_reading_8n1_back_to_back_is_garbled() -> None:
    data = bytes(range(1, 200))
    got = received(data, N2400, E2400)
    assert got != data
    assert 0 in got  # the next start bit read as the stop bit


@pytest.mark.parametrize("heard", [300, 1200, 4800, 9600, 19200, 115200])
def test_another_speed_is_noise(heard: int) -> None:
    got = received(FRAME, N2400, UartSettings(heard))
    assert got != FRAME
    assert FRAME[1:12] not in got


def test_a_wrong_speed_never_decodes_a_notification() -> None:
    apdu = (
        bytes.fromhex("0F00000001")
        + bytes.fromhex("0C07EA0C05060A1E0000800000")
        + bytes([0x02, 0x01, 0x06, 0x00, 0x00, 0x12, 0x34])
    )
    frames = b"".join(hdlc_frames(apdu, max_info_length=128))
    assert any(
        isinstance(e, NotificationReceived) for e in PushReceiver().receive_data(frames + frames)
    )
    noise = received(frames * 3, UartSettings(9600), N2400)
    receiver = PushReceiver()
    events = receiver.receive_data(noise) + receiver.line_idle()
    assert not any(isinstance(e, NotificationReceived) for e in events)


async def _heard(path: str, baudrate: int, seconds: float = 1.5) -> bytes:
    transport = SerialTransport(path, baudrate=baudrate)
    await transport.open()
    data = b""
    try:
        async with asyncio.timeout(seconds):
            while True:
                data += await transport.read()
    except TimeoutError:
        pass
    finally:
        await transport.close()
    return data


async def test_the_pty_push_meter_sends_noise_to_a_reader_at_another_speed() -> None:
    push = PushMeter(settings=PushSettings(framing="hdlc", interval=0.2))
    async with PtyPushSimulator(push, line=UartSettings(9600)) as sim:
        wrong = await _heard(sim.path, 2400)
        right = await _heard(sim.path, 9600)
    decoded = [e for e in PushReceiver().receive_data(wrong) if isinstance(e, NotificationReceived)]
    assert wrong
    assert decoded == []
    receiver = PushReceiver()
    assert any(isinstance(e, NotificationReceived) for e in receiver.receive_data(right))
