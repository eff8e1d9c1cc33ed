"""The simulator as a push meter: what it builds is what real meters send (the framing is
checked byte for byte against real captures), and it serves it over TCP and a pty."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from libdlms import Data, DataType, SecurityKeys, SerialTransport
from libdlms.codecs.hdlc import FrameReader, FrameType, HdlcAddress
from libdlms.codecs.xdlms import DataNotification
from libdlms.security import decipher_apdu, parse_ciphered_apdu
from libdlms.translator import describe
from simulator import SimulatedMeter
from simulator.push import (
    FRAMINGS,
    PtyPushSimulator,
    PushMeter,
    PushSettings,
    PushShape,
    PushSimulator,
    hdlc_frames,
    mbus_frames,
)

# Real sockets on 127.0.0.1 (pytest-socket blocks others under the Home Assistant harness).
pytestmark = pytest.mark.usefixtures("socket_enabled")

CAPTURES = Path(__file__).resolve().parents[1] / "captures" / "push-captures.json"
EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")


def _capture(vector_id: str) -> bytes:
    vectors = json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]
    (vector,) = [v for v in vectors if v["id"] == vector_id]
    return bytes.fromhex(vector["hex"].replace(" ", ""))


def _mbus_apdu(raw: bytes) -> tuple[bytes, list[int]]:
    """The APDU M-Bus long frames carry, and their CI bytes (an independent reading)."""
    apdu, cis, pos = b"", [], 0
    while pos < len(raw):
        assert raw[pos] == raw[pos + 3] == 0x68
        assert raw[pos + 1] == raw[pos + 2]
        length = raw[pos + 1]
        body = raw[pos + 4 : pos + 4 + length]
        assert raw[pos + 4 + length] == sum(body) & 0xFF
        assert raw[pos + 5 + length] == 0x16
        cis.append(body[2])
        apdu += body[5:]
        pos += length + 6
    return apdu, cis


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def _meter() -> tuple[SimulatedMeter, FakeClock]:
    clock = FakeClock()
    return SimulatedMeter(clock=clock), clock


def _body(transmission: bytes, keys: SecurityKeys | None = None) -> dict[str, Any]:
    described = describe(transmission, keys=keys)
    apdu = described["apdu"]
    if "plaintext" in apdu:
        apdu = apdu["plaintext"]
    assert apdu["tag"] == "data-notification"
    body: dict[str, Any] = apdu["body"]
    return body


# ---------------------------------------------------------------------------- framing


def test_hdlc_segmentation_is_byte_for_byte_what_an_iskra_am550_sends() -> None:
    capture = _capture("dlmsparser-iskra-am550-segmented")
    reader = FrameReader()
    reader.feed(capture)
    apdu = b"".join(frame.information for frame in reader)[3:]
    frames = hdlc_frames(
        apdu,
        max_info_length=154,
        destination=HdlcAddress(b"\xcf"),
        source=HdlcAddress(b"\x02\x23"),
    )
    assert len(frames) == 3
    assert b"".join(frames) == capture


def test_an_hdlc_i_frame_is_byte_for_byte_what_a_kaifa_sends() -> None:
    capture = _capture("dlmsparser-kaifa-ma304h3e-no-typed-datetime")
    reader = FrameReader()
    reader.feed(capture)
    (frame,) = list(reader)
    frames = hdlc_frames(
        frame.information[3:],
        max_info_length=512,
        frame_type=FrameType.I,
        destination=HdlcAddress(b"\x01"),
        source=HdlcAddress(b"\x02\x01"),
    )
    assert frames == [capture]


def test_mbus_frames_are_byte_for_byte_what_a_netz_noe_meter_sends() -> None:
    capture = _capture("dlmsparser-netznoe-p1-mbus-encrypted")
    apdu, cis = _mbus_apdu(capture)
    assert cis == [0x00, 0x11]
    assert b"".join(mbus_frames(apdu, max_user_data=245)) == capture


def test_a_single_mbus_frame_is_the_last_segment() -> None:
    capture = _capture("dlmsparser-kmswest-mbus-encrypted-nokey")
    apdu, cis = _mbus_apdu(capture)
    assert cis == [0x10]
    assert mbus_frames(apdu) == [capture]


def test_mbus_numbers_up_to_sixteen_segments() -> None:
    frames = mbus_frames(bytes(range(40)), max_user_data=3)
    assert len(frames) == 14
    apdu, cis = _mbus_apdu(b"".join(frames))
    assert apdu == bytes(range(40))
    assert cis == [*range(13), 0x1D]
    with pytest.raises(ValueError, match="16 M-Bus frames"):
        mbus_frames(bytes(17), max_user_data=1)


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("shape", list(PushShape))
def test_every_framing_and_shape_decodes(framing: str, shape: PushShape) -> None:
    meter, _ = _meter()
    push = PushMeter(meter, PushSettings(framing=framing, shape=shape))  # type: ignore[arg-type]
    data = push.transmission()
    if framing == "mbus":
        data, _ = _mbus_apdu(data)  # the translator reads M-Bus once the receiver lands
    body = _body(data)
    leaves = json.dumps(body)
    assert "3132333435363738" in leaves  # the serial number, "12345678"
    assert str(meter.import_wh) in leaves


def test_long_payloads_are_segmented_and_every_frame_checks() -> None:
    push = PushMeter(settings=PushSettings(shape=PushShape.CLASS_OBIS, max_info_length=64))
    reader = FrameReader()
    reader.feed(push.transmission())
    frames = list(reader)
    assert len(frames) > 3
    assert all(frame.valid and frame.frame_type is FrameType.UI for frame in frames)
    assert [frame.segmented for frame in frames] == [True] * (len(frames) - 1) + [False]
    assert [frame.poll_final for frame in frames] == [False] * (len(frames) - 1) + [True]
    assert frames[0].information[:3] == b"\xe6\xe7\x00"
    assert all(frame.information[:3] != b"\xe6\xe7\x00" for frame in frames[1:])


def test_i_frames_count_their_send_sequence_across_notifications() -> None:
    push = PushMeter(settings=PushSettings(hdlc_frame_type="I", max_info_length=100))
    reader = FrameReader()
    for _ in range(3):
        reader.feed(push.transmission())
    sequences = [frame.send_sequence for frame in reader]
    assert sequences == [n % 8 for n in range(len(sequences))]
    assert len(sequences) > 3


# ---------------------------------------------------------------------------- payload


def test_positional_list_carries_no_obis_code() -> None:
    push = PushMeter(settings=PushSettings(shape=PushShape.POSITIONAL, framing="raw"))
    notification = DataNotification.decode(push.apdu())
    values = notification.body.value
    assert values[0] == Data(DataType.VISIBLE_STRING, "DLMSIM_V1")
    octets = [v for v in values if v.type is DataType.OCTET_STRING]
    assert all(len(v.value) != 6 for v in octets)  # no OBIS code anywhere


def test_energy_increases_and_the_header_carries_the_meter_clock() -> None:
    meter, clock = _meter()
    push = PushMeter(meter, PushSettings(shape=PushShape.OBIS_PAIRS, framing="raw"))
    first = DataNotification.decode(push.apdu())
    clock.now += 3600
    second = DataNotification.decode(push.apdu())
    energy = [n.body.value[3].value for n in (first, second)]
    assert energy[1] - energy[0] == 1500  # one hour at 1500 W
    assert second.invoke_id == first.invoke_id + 1
    assert first.date_time == meter.date_time(clock.now - 3600).to_bytes()


def test_without_date_time_the_header_is_empty() -> None:
    push = PushMeter(settings=PushSettings(framing="raw", with_date_time=False))
    assert push.apdu()[5] == 0x00


def test_class_obis_shape_gives_each_register_its_scaler_unit_entry() -> None:
    push = PushMeter(settings=PushSettings(shape=PushShape.CLASS_OBIS, framing="raw"))
    entries = DataNotification.decode(push.apdu()).body.value
    voltage = [e.value for e in entries if e.value[1].value == bytes((1, 0, 32, 7, 0, 255))]
    assert [e[2].value for e in voltage] == [2, 3]
    assert voltage[1][3].value[0] == Data(DataType.INTEGER, -1)


# ---------------------------------------------------------------------------- ciphering


@pytest.mark.parametrize(("ak", "control"), [(None, 0x20), (AK, 0x30)])
def test_general_glo_ciphering_with_an_increasing_frame_counter(
    ak: bytes | None, control: int
) -> None:
    keys = SecurityKeys(EK, ak)
    push = PushMeter(settings=PushSettings(framing="raw", keys=keys, frame_counter=41))
    plain = []
    for expected_counter in (41, 42):
        apdu = push.apdu()
        assert apdu[0] == 0xDB
        parsed = parse_ciphered_apdu(apdu)
        assert parsed.system_title == b"DLMSIM01"
        assert parsed.control.to_byte() == control
        assert parsed.invocation_counter == expected_counter
        deciphered = decipher_apdu(parsed, keys=keys, require_authentication=ak is not None)
        plain.append(DataNotification.decode(deciphered.plaintext))
    assert plain[1].invoke_id == plain[0].invoke_id + 1


def test_ciphered_hdlc_push_deciphers_through_the_translator() -> None:
    keys = SecurityKeys(EK, AK)
    push = PushMeter(settings=PushSettings(keys=keys, max_info_length=64))
    described = describe(push.transmission(), keys=keys)
    assert len(described["frames"]) > 1
    assert described["apdu"]["tag_ok"] is True
    assert described["apdu"]["plaintext"]["tag"] == "data-notification"


def test_garbage_goes_before_every_transmission() -> None:
    push = PushMeter(settings=PushSettings(framing="raw", garbage=b"\x00\xff noise"))
    assert push.transmission().startswith(b"\x00\xff noise\x0f")


# ---------------------------------------------------------------------------- serving


async def test_every_tcp_client_gets_every_notification_and_a_restart_keeps_the_port() -> None:
    simulator = PushSimulator(PushMeter(settings=PushSettings(framing="raw", interval=3600)))
    async with simulator:
        first = await asyncio.open_connection(simulator.host, simulator.port)
        second = await asyncio.open_connection(simulator.host, simulator.port)
        await simulator.wait_for_clients(2)
        sent = simulator.push_now()
        for reader, _ in (first, second):
            assert await reader.readexactly(len(sent)) == sent
        port = simulator.port
    assert await first[0].read() == b""  # stopping ends the connections
    for _, writer in (first, second):
        writer.close()
    async with simulator:
        assert simulator.port == port
        reader, writer = await asyncio.open_connection(simulator.host, simulator.port)
        await simulator.wait_for_clients(1)
        sent = simulator.push_now()
        assert await reader.readexactly(len(sent)) == sent
        writer.close()


async def test_the_ticker_pushes_every_interval() -> None:
    simulator = PushSimulator(PushMeter(settings=PushSettings(framing="hdlc", interval=0.02)))
    async with simulator:
        reader, writer = await asyncio.open_connection(simulator.host, simulator.port)
        received = b""
        async with asyncio.timeout(5):
            while received.count(b"\x7e\xa0") < 3:
                received += await reader.read(4096)
        writer.close()
    assert len(simulator.sent) >= 3


async def test_a_pty_push_meter_is_read_as_a_serial_device() -> None:
    simulator = PtyPushSimulator(PushMeter(settings=PushSettings(framing="mbus", interval=3600)))
    async with simulator:
        transport = SerialTransport(simulator.path, baudrate=2400)
        await transport.open()
        try:
            sent = simulator.push_now()
            received = b""
            async with asyncio.timeout(5):
                while len(received) < len(sent):
                    received += await transport.read()
        finally:
            await transport.close()
    assert received == sent
