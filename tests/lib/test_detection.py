"""Detection: the plan (in memory) and whole detections against the simulators over real
sockets: a polled meter at an unusual address with 4-byte addressing, one that answers only
after the mode E sign-on, push meters plain and encrypted, a bridge that sends garbage,
a silent line and a port that does not exist."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator

import pytest

from libdlms import SecurityKeys
from libdlms.client.detection import (
    AddressCandidate,
    Detector,
    ListenOutcome,
    ListenWindow,
    NothingDetected,
    PollDetected,
    PushDetected,
    SerialLine,
    address_candidates,
    load_detection_facts,
    speed_is_ours,
)
from libdlms.client.push_presets import load_push_presets
from libdlms.errors import KeyRequired
from libdlms.session.push.events import (
    Framing,
    NotificationFailed,
    StreamKind,
    StreamNotDlms,
)
from libdlms.transport import SerialTransport
from simulator import MeterSimulator
from simulator.push import PtyPushSimulator, PushMeter, PushSettings, PushSimulator
from simulator.session import ServerSettings
from simulator.uart import UartSettings
from simulator.udp import UdpMeterSimulator
from tests.bridges import SilentOrNoisyBridge

pytestmark = pytest.mark.usefixtures("socket_enabled")

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
# Short waits for tests: the simulators answer at once.
FAST = dataclasses.replace(load_detection_facts(), answer_timeout=0.3)


# ---------------------------------------------------------------------- the plan


def test_facts_listen_to_every_push_presets_setting_most_common_first() -> None:
    facts = load_detection_facts()
    listen = facts.listen
    assert listen[:2] == (SerialLine(2400, "N"), SerialLine(2400, "E"))
    for preset in load_push_presets():
        assert SerialLine(preset.baudrate, preset.parity) in listen, preset.id
    assert facts.physical_addresses == (17, 1, 16, 0)
    assert facts.push_interval == 10.0
    assert facts.budget == 60.0


def test_candidates_in_order_every_size_that_carries_each_address_none_twice() -> None:
    candidates = address_candidates([866], [17, 1], [(17, 2), (2836, 4), (None, 1), (5, None)])
    assert candidates == (
        AddressCandidate(866, 4),  # above 127: only the 4-byte form carries it
        AddressCandidate(17, 2),
        AddressCandidate(17, 4),
        AddressCandidate(1, 2),
        AddressCandidate(1, 4),
        AddressCandidate(2836, 4),
        AddressCandidate(None, 1),
        AddressCandidate(5, 2),
        AddressCandidate(5, 4),
    )
    # A preset's size that cannot carry its address is not tried.
    assert address_candidates([], [], [(300, 2)]) == ()


def test_a_bridge_s_speed_is_not_ours() -> None:
    assert not speed_is_ours("socket://192.168.1.5:4001")
    assert not speed_is_ours("192.168.1.5:4001")
    assert speed_is_ours("/dev/ttyUSB0")
    assert speed_is_ours("rfc2217://192.168.1.5:4001")
    assert speed_is_ours("/dev/serial/by-id/usb-FTDI_FT232R-if00-port0")


def test_listen_window_stops_at_a_recognised_frame_or_after_two_whole_bursts() -> None:
    window = ListenWindow()
    assert window.outcome is ListenOutcome.SILENT
    window.data_received(40)
    assert not window.burst_ended()  # the first burst may have been joined halfway
    assert window.burst_ended()  # a whole one that did not decode: wrong setting
    assert window.outcome is ListenOutcome.NOISE
    assert "40 bytes" in window.summary

    encrypted = ListenWindow()
    failure = NotificationFailed(KeyRequired("no key"), Framing.MBUS, b"", b"SAG12345")
    assert encrypted.feed([failure])
    assert encrypted.outcome is ListenOutcome.DLMS
    assert encrypted.summary == "encrypted DLMS notifications (mbus framing)"

    dsmr = ListenWindow()
    assert dsmr.feed([StreamNotDlms(StreamKind.DSMR)])
    assert dsmr.outcome is ListenOutcome.NOT_DLMS

    # What the receiver calls noise is a wrong setting, not a protocol that is not DLMS.
    noise = ListenWindow()
    noise.data_received(300)
    assert not noise.feed([StreamNotDlms(StreamKind.NOISE)])
    assert noise.outcome is ListenOutcome.NOISE


# ---------------------------------------------------------------------- whole detections


async def _detect(url: str, **kwargs: object) -> object:
    detector = Detector(url, facts=kwargs.pop("facts", FAST), **kwargs)  # type: ignore[arg-type]
    return await detector.run()


async def test_a_polled_meter_at_another_address_with_4_byte_addressing() -> None:
    settings = ServerSettings(physical_address=16, address_size=4)
    async with MeterSimulator(settings=settings) as sim:
        found = await _detect(sim.url, listen_seconds=0.3)
    assert isinstance(found, PollDetected)
    assert found.candidate == AddressCandidate(16, 4)
    assert found.line is None  # a TCP bridge: the speed is not ours
    assert not found.mode_e
    assert found.association_error is None
    assert found.objects
    assert found.identity is not None
    assert found.identity.serial_number == "12345678"
    out = found.to_json()
    assert out["mode"] == "poll"
    assert out["server_physical"] == 16
    assert out["address_size"] == 4
    assert out["client_address"] == 16
    assert out["baudrate"] is None
    assert out["objects"] == len(found.objects)
    # Every address before it was knocked at once, without an answer.
    polls = [a for a in found.tried if a.step == "poll"]
    assert [a.candidate for a in polls[:5]] == [
        AddressCandidate(17, 2),
        AddressCandidate(17, 4),
        AddressCandidate(1, 2),
        AddressCandidate(1, 4),
        AddressCandidate(16, 2),
    ]
    assert all(a.result == "no answer" for a in polls[:5])
    assert "answers the public client at physical 16, 4-byte address" in found.summary


async def test_physical_first_and_the_line_is_left_clean() -> None:
    async with MeterSimulator(settings=ServerSettings(physical_address=866)) as sim:
        found = await _detect(sim.url, listen_seconds=0.2, physical_first=[866])
        assert isinstance(found, PollDetected)
        assert found.candidate == AddressCandidate(866, 4)
        # The knock's link was disconnected, and so was the identifying session's.
        assert all(session.link.state.name == "DISCONNECTED" for session in sim.sessions), [
            s.link.state for s in sim.sessions
        ]


async def test_a_meter_that_answers_only_after_mode_e() -> None:
    async with MeterSimulator(settings=ServerSettings(mode_e=True)) as sim:
        found = await _detect(sim.url, listen_seconds=0.2)
    assert isinstance(found, PollDetected)
    assert found.mode_e
    assert found.candidate == AddressCandidate(17, 2)
    assert found.identification == "SIMULATOR"
    assert found.association_error is None
    direct = [a for a in found.tried if a.step == "poll" and not a.mode_e]
    assert direct
    assert all(a.result == "no answer" for a in direct)
    assert found.to_json()["mode_e"] is True


async def _push(settings: PushSettings) -> PushSimulator:
    sim = PushSimulator(PushMeter(settings=settings))
    await sim.start()
    return sim


async def test_a_plain_push_meter_is_heard_and_decoded() -> None:
    sim = await _push(PushSettings(framing="hdlc", interval=0.2))
    try:
        found = await _detect(sim.url, listen_seconds=3)
    finally:
        await sim.stop()
    assert isinstance(found, PushDetected)
    assert found.framing is Framing.HDLC
    assert not found.encrypted
    assert found.values > 0
    assert found.notification is not None
    out = found.to_json()
    assert out == {
        "mode": "push",
        "baudrate": None,
        "parity": None,
        "framing": "hdlc",
        "encrypted": False,
        "system_title": out["system_title"],
        "profile": out["profile"],
        "values": found.values,
    }
    assert found.elapsed < 3


async def test_an_encrypted_push_meter_gives_its_system_title_and_no_values() -> None:
    title = b"KFM\x10\x20\x30\x40\x50"
    settings = PushSettings(
        framing="mbus", interval=0.2, keys=SecurityKeys(EK, AK), system_title=title
    )
    sim = await _push(settings)
    try:
        found = await _detect(sim.url, listen_seconds=3)
    finally:
        await sim.stop()
    assert isinstance(found, PushDetected)
    assert found.encrypted
    assert found.framing is Framing.MBUS
    assert found.system_title == title
    assert found.values == 0
    assert found.notification is None
    assert "encrypted, system title 4B464D1020304050" in found.summary


@pytest.fixture
async def garbage_url() -> AsyncIterator[str]:
    async with SilentOrNoisyBridge(os.urandom(64), period=0.3) as bridge:
        yield bridge.url


async def test_a_bridge_that_sends_garbage_fails_clearly_within_the_bound(
    garbage_url: str,
) -> None:
    start = time.monotonic()
    found = await _detect(garbage_url, listen_seconds=5)
    took = time.monotonic() - start
    assert isinstance(found, NothingDetected)
    listen = found.tried[0]
    assert listen.step == "listen"
    assert listen.result.startswith("noise (")
    # Two whole bursts of noise end the listen early, long before its 5 s.
    assert took < 5 + 2 * len(Detector("x://", facts=FAST).candidates) * 0.3 + 8
    assert found.to_json()["tried"][0]["result"].startswith("noise")
    assert "no meter answered the public client" in found.error


async def test_a_silent_line_listens_once_then_polls_and_fails_clearly() -> None:
    async with SilentOrNoisyBridge() as bridge:
        url = bridge.url
        found = await _detect(url, listen_seconds=0.5)
    assert isinstance(found, NothingDetected)
    assert found.tried[0].result == "nothing received"
    polls = [a for a in found.tried if a.step == "poll"]
    # direct HDLC at every candidate, then a mode E sign-on that got no identification
    assert any("no mode E sign-on" in a.result for a in polls)
    assert found.elapsed < FAST.budget


async def test_a_silent_serial_line_skips_the_other_settings() -> None:
    """On a port whose speed is ours, silence at the first setting is silence at all:
    the other settings are not listened to (the port here is a socket standing in for a
    local device: only the plan is under test)."""
    async with SilentOrNoisyBridge() as bridge:
        url = bridge.url
        opened: list[SerialLine | None] = []

        def transport(_url: str, line: SerialLine | None) -> SerialTransport:
            opened.append(line)
            return SerialTransport(url)

        detector = Detector(
            "/dev/ttyFAKE0", facts=FAST, listen_seconds=0.3, transport_factory=transport
        )
        found = await detector.listen()
    assert found is None
    assert opened == [SerialLine(2400, "N")]
    assert [a.result for a in detector.tried] == [
        "nothing received",
        *["skipped: the line was silent"] * 3,
    ]
    assert [a.line for a in detector.tried] == list(FAST.listen)


async def test_a_port_that_does_not_exist_fails_at_once() -> None:
    found = await _detect("/dev/does-not-exist-dlms", listen_seconds=5)
    assert isinstance(found, NothingDetected)
    assert len(found.tried) == 1
    assert "cannot open the port" in found.tried[0].result
    assert found.elapsed < 2


async def test_a_push_meter_on_a_pty_is_found_at_its_speed() -> None:
    """Real termios: the pty push meter sends at 9600 Bd; at 2400 Bd the reader gets noise.
    (On this kernel the pty refuses 2400 8E1 right after 2400 8N1: a setting the port
    refuses is recorded and the next one tried.)"""
    push = PushMeter(settings=PushSettings(framing="hdlc", interval=0.2))
    async with PtyPushSimulator(push, line=UartSettings(9600)) as sim:
        found = await _detect(sim.path, listen_seconds=3)
    assert isinstance(found, PushDetected), found
    assert found.line == SerialLine(9600, "N")
    assert found.to_json()["baudrate"] == 9600
    assert found.to_json()["parity"] == "none"
    first = found.tried[0]
    assert (first.line, first.result[:5]) == (SerialLine(2400, "N"), "noise")
    assert found.elapsed < 3 * 3


async def test_the_meter_names_its_manufacturer_and_model() -> None:
    """The FLAG id of the logical device name (and of the mode E identification) names the
    manufacturer; the identification after the sign-on is the model."""
    settings = ServerSettings(mode_e=True, identification="MT382-1000")
    sim = MeterSimulator(settings=settings)
    sim.meter.logical_device_name = "ISK1030775012345"
    async with sim:
        found = await _detect(sim.url, listen_seconds=0.2)
    assert isinstance(found, PollDetected)
    assert found.manufacturer == "Iskraemeco"
    assert found.identification == "MT382-1000"
    assert found.to_json()["manufacturer"] == "Iskraemeco"
    assert found.summary.startswith(
        "Iskraemeco MT382-1000, serial 12345678, answers the public client"
    )


async def test_a_push_meter_at_2400_8e1_behind_rfc2217_is_found_with_its_parity() -> None:
    """Real parity: through RFC 2217 the client sets the serial side's speed and parity
    (serialx sends SET-BAUDRATE and SET-PARITY), and the meter's 8E1 read as 8N1 is noise.
    (A pty cannot show parity: Linux's pty driver drops PARENB.)"""
    push = PushMeter(settings=PushSettings(framing="hdlc", interval=0.2))
    sim = PushSimulator(push, rfc2217=True, line=UartSettings(2400, "E"))
    await sim.start()
    try:
        found = await _detect(sim.url, listen_seconds=3)
    finally:
        await sim.stop()
    assert isinstance(found, PushDetected), found
    assert found.line == SerialLine(2400, "E")
    assert (found.to_json()["baudrate"], found.to_json()["parity"]) == (2400, "even")
    first = found.tried[0]
    assert (first.line, first.result[:5]) == (SerialLine(2400, "N"), "noise")


async def test_a_meter_slower_than_the_answer_timeout_is_still_found() -> None:
    """Its UA to the first SNRM arrives while the next address is knocked at: that first
    address is the meter's, knocked at again with more patience and disconnected."""
    async with MeterSimulator() as sim:
        sim.faults.delay = 0.45  # FAST waits 0.3 s per address
        found = await _detect(sim.url, listen_seconds=0.2)
        assert isinstance(found, PollDetected), found
        assert found.candidate == AddressCandidate(17, 2)
        polls = [a for a in found.tried if a.step == "poll"]
        assert polls[0].result == "no answer"
        assert polls[2].result == "answered (UA), late"
        assert all(s.link.state.name == "DISCONNECTED" for s in sim.sessions)


@pytest.mark.parametrize("scheme", ["tcp", "udp"])
async def test_a_meter_on_ip_through_the_wrapper(scheme: str) -> None:
    """tcp:// listens once (a meter may push wrapper frames), then asks; udp:// only asks."""
    sim: MeterSimulator | UdpMeterSimulator
    sim = MeterSimulator(wrapper=True) if scheme == "tcp" else UdpMeterSimulator()
    async with sim:
        found = await _detect(sim.url, listen_seconds=0.3)
    assert isinstance(found, PollDetected), found
    assert found.candidate is None
    out = found.to_json()
    assert (out["server_physical"], out["address_size"], out["baudrate"]) == (None, None, None)
    assert (out["client_address"], out["server_logical"]) == (16, 1)
    assert out["serial_number"] == "12345678"
    assert "wPort 1 over the DLMS wrapper" in found.summary
    steps = [a.step for a in found.tried]
    assert steps == (["listen", "poll"] if scheme == "tcp" else ["poll"])


async def test_nobody_at_a_wrapper_url_fails_clearly() -> None:
    async with SilentOrNoisyBridge() as bridge:
        url = bridge.url.replace("socket://", "tcp://")
        found = await Detector(url, facts=FAST, listen_seconds=0.3).run()
    assert isinstance(found, NothingDetected)
    assert "over the DLMS wrapper" in found.error
