"""The client through a misbehaving line: a ``LinkProxy`` between the real client and the
real simulator duplicates, swaps, corrupts and cuts HDLC frames. All of it in memory
(``LoopbackTransport``, the proxy reaching the simulator in memory too) on a virtual
clock, so every timeout and delay falls the same way on every run at no wall-clock cost.

What is right comes from IEC 62056-46: an I-frame whose N(S) is not the expected V(R) is
discarded (a duplicate is never delivered twice, a frame from the future never fills a
gap), the receiver says where it stands with RR N(R), and the sender retransmits. Within
the retries the client must read the right values; beyond them it must fail with a clear
``DlmsError``, never return wrong data; a cut link must fail the session, and the next
session must work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from libdlms.client import (
    ClientSettings,
    DlmsClient,
    MeterReader,
)
from libdlms.codecs.axdr import Data
from libdlms.codecs.hdlc import (
    LLC_RESPONSE,
    FrameReader,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    encode_frame,
)
from libdlms.codecs.xdlms import AttributeDescriptor
from libdlms.cosem.interface_classes import ASSOCIATION_LN, parse_object_list
from libdlms.errors import (
    CommunicationError,
    DlmsTimeoutError,
    NoLinkError,
    ProtocolError,
)
from libdlms.obis import Obis
from libdlms.session.link import (
    MAX_FUTILE_RETRANSMISSIONS,
    MAX_UNANSWERED_COPIES,
    ApduReceived,
    HdlcLink,
    LinkEstablished,
)
from simulator import LinkProxy, LoopbackTransport, MeterSimulator, SimulatedMeter
from simulator.proxy import split_frames
from simulator.session import ServerSettings
from tests.virtual_time import virtual_time

ENERGY = AttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"))
CODES = "1.0.1.8.0.255 1.0.2.8.0.255 1.0.1.7.0.255 1.0.2.7.0.255 1.0.32.7.0.255 1.0.14.7.0.255"
REFS = [ENERGY, *(AttributeDescriptor(3, Obis.parse(code)) for code in CODES.split()[1:])]
OBJECT_LIST = AttributeDescriptor(15, ASSOCIATION_LN, 2)
FAST = ClientSettings(response_timeout=0.3, retries=2)
START = 1_750_000_000.0
BOUND = 10.0  # seconds: no session may take longer, whatever the fault


@dataclass(frozen=True)
class Line:
    """The simulator, the proxy in front of it, and the client settings that fit."""

    simulator: MeterSimulator
    proxy: LinkProxy
    settings: ClientSettings

    def client(self) -> DlmsClient:
        return DlmsClient(LoopbackTransport(self.proxy), self.settings)

    async def reference(self) -> tuple[list[Decimal | None], Data]:
        """The values read straight from the simulator, without the proxy."""
        async with DlmsClient(LoopbackTransport(self.simulator), self.settings) as client:
            return await _read_all(client)


# One frame per answer; long answers in segments of 24 bytes acknowledged one by one;
# the same in windows of three frames (the poll bit on the last).
SHAPES = {"whole": (128, 1), "segments": (24, 1), "windows": (24, 3)}


@pytest.fixture(params=list(SHAPES))
def line(request: pytest.FixtureRequest) -> Line:
    max_info, window = SHAPES[request.param]
    server = ServerSettings(max_info_length=max_info, window=window)
    settings = replace(FAST, max_info_length=max_info, window=window)
    sim = MeterSimulator(_meter(), settings=server)
    return Line(sim, LinkProxy(sim), settings)


def _meter() -> SimulatedMeter:
    """A meter whose clock stands still, so every read gives the same values."""
    return SimulatedMeter(clock=lambda: START)


async def _read_all(
    client: DlmsClient, before_object_list: Callable[[], None] = lambda: None
) -> tuple[list[Decimal | None], Data]:
    """Every value of ``REFS``, one GET each (many exchanges, so many frames to hit), and
    the object list (a long answer: many segments, several windows)."""
    values = []
    async with asyncio.timeout(BOUND):
        for ref in REFS:
            (reading,) = await MeterReader().read(client, [ref])
            assert reading.error is None
            values.append(reading.scaled_value)
        before_object_list()
        objects = await client.get(OBJECT_LIST)
    return values, objects


def test_frames_are_cut_by_their_length_not_by_flags() -> None:
    """A 0x7E inside a frame (here the length byte) does not end it; bytes that are not
    a frame pass through as they are, and an incomplete frame waits."""
    frame = bytes.fromhex("7EA07E") + bytes(0x7E - 2) + b"\x7e"
    buffer = bytearray(b"\x00\x13" + frame + frame[:5])
    assert split_frames(buffer) == [(b"\x00\x13", False), (frame, True)]
    assert buffer == frame[:5]


async def _clean_traffic(line: Line) -> tuple[int, int]:
    """Frames each way for one fault-free ``_read_all`` through the proxy."""
    async with line.client() as client:
        before = (line.proxy.frames_to_client, line.proxy.frames_to_meter)
        await _read_all(client)
        return (
            line.proxy.frames_to_client - before[0],
            line.proxy.frames_to_meter - before[1],
        )


@virtual_time
async def test_plain_forwarding(line: Line) -> None:
    async with line.client() as client:
        values, objects = await _read_all(client)
    assert (values, objects) == await line.reference()
    assert len(parse_object_list(objects)) == len(line.simulator.meter.objects)
    assert values[0] == Decimal(line.simulator.meter.import_wh)


@virtual_time
async def test_duplicated_frames_are_delivered_once(line: Line) -> None:
    """Each copy has an N(S) already received: discarded without a word, so the values
    are right and the client sends not one frame more than on a clean line (an RR per
    copy would make the meter send its window again for each, and copies multiply)."""
    to_client, to_meter = await _clean_traffic(line)
    faults = line.proxy.to_client

    def more_copies() -> None:
        faults.duplicate_frames = 4  # in the object list's segments and windows

    async with line.client() as client:
        faults.duplicate_frames = 3
        start = (line.proxy.frames_to_client, line.proxy.frames_to_meter)
        result = await _read_all(client, more_copies)
        assert faults.duplicate_frames == 0
        assert line.proxy.frames_to_client - start[0] == to_client + 7
        assert line.proxy.frames_to_meter - start[1] == to_meter
    assert result == await line.reference()


@pytest.mark.parametrize("swaps", [1, 3])
@virtual_time
async def test_swapped_frames_are_sent_again(line: Line, swaps: int) -> None:
    """A frame overtaken by the next one: the later one is discarded (its N(S) is ahead),
    the meter sends again from our N(R) (on our RR, or our repeat after a timeout), and
    the values are right."""
    async with line.client() as client:
        line.proxy.to_client.swap_frames = swaps
        result = await _read_all(client)
        assert line.proxy.to_client.swap_frames == 0
    assert result == await line.reference()


@virtual_time
async def test_swap_inside_a_window_is_answered_by_rr_at_once() -> None:
    """Window of three: the first frame of a window overtaken by the second. The third
    (P/F) is from further on, so the client asks with RR N(R) at once: no timeout, and
    the meter sends the two frames from N(R) again: two frames more in, one RR more out."""
    server = ServerSettings(max_info_length=24, window=3)
    settings = replace(FAST, max_info_length=24, window=3, response_timeout=5.0)
    proxy = LinkProxy(MeterSimulator(_meter(), settings=server))
    clean = await _object_list_through(proxy, settings, swaps=0)
    swapped = await _object_list_through(proxy, settings, swaps=1)
    assert proxy.to_client.swap_frames == 0
    assert swapped.objects == clean.objects
    assert swapped.elapsed < settings.response_timeout
    assert (swapped.frames_in, swapped.frames_out) == (clean.frames_in + 2, clean.frames_out + 1)


@dataclass(frozen=True)
class Traffic:
    objects: Data
    frames_in: int
    frames_out: int
    elapsed: float


async def _object_list_through(proxy: LinkProxy, settings: ClientSettings, swaps: int) -> Traffic:
    loop = asyncio.get_running_loop()
    async with DlmsClient(LoopbackTransport(proxy), settings) as client:
        start = (proxy.frames_to_client, proxy.frames_to_meter, loop.time())
        proxy.to_client.swap_frames = swaps
        objects = await client.get(OBJECT_LIST)
        return Traffic(
            objects,
            proxy.frames_to_client - start[0],
            proxy.frames_to_meter - start[1],
            loop.time() - start[2],
        )


@virtual_time
async def test_corrupted_frames_are_sent_again(line: Line) -> None:
    """A bad FCS is a frame never received: our repeat after the timeout gets it again
    (an RR acknowledging part of our request included)."""
    async with line.client() as client:
        line.proxy.to_client.corrupt_frames = 3
        result = await _read_all(client)
        assert line.proxy.to_client.corrupt_frames == 0
    assert result == await line.reference()


@virtual_time
async def test_corrupted_requests_are_sent_again(line: Line) -> None:
    async with line.client() as client:
        line.proxy.to_meter.corrupt_frames = 2  # within the retries, even back to back
        result = await _read_all(client)
        assert line.proxy.to_meter.corrupt_frames == 0
    assert result == await line.reference()


@virtual_time
async def test_a_line_that_damages_every_answer_ends_the_session(line: Line) -> None:
    """Every answer fails its frame check. The client hears bytes after each repeat, so
    its retries (which count silence) would start afresh every time: the link gives up
    after MAX_FUTILE_RETRANSMISSIONS futile repeats, with a clear error, and the next
    session on a healed line works."""
    loop = asyncio.get_running_loop()
    async with line.client() as client:
        line.proxy.to_client.corrupt_frames = 1000
        began = loop.time()
        with pytest.raises(CommunicationError, match="damaged"):
            await _read_all(client)
        elapsed = loop.time() - began
    timeout = line.settings.response_timeout
    assert (MAX_FUTILE_RETRANSMISSIONS + 1) * timeout <= elapsed
    assert elapsed < (MAX_FUTILE_RETRANSMISSIONS + 3) * timeout
    line.proxy.to_client.corrupt_frames = 0
    async with line.client() as client:
        result = await _read_all(client)
    assert result == await line.reference()


@virtual_time
async def test_a_silent_meter_behind_an_echoing_head_is_found_out() -> None:
    """The optical head echoes every frame we send, the meter never answers: the echo
    is no answer, so the connection attempt ends with ``NoLinkError`` after a few
    repeats instead of going on for as long as the echo comes back."""
    sim = MeterSimulator(_meter())
    sim.faults.echo = True
    sim.faults.drop_frames = 1000
    loop = asyncio.get_running_loop()
    began = loop.time()
    client = DlmsClient(LoopbackTransport(sim), FAST)
    async with asyncio.timeout(BOUND):
        with pytest.raises(NoLinkError, match="echo"):
            await client.open()
    elapsed = loop.time() - began
    assert elapsed < (MAX_FUTILE_RETRANSMISSIONS + 2) * FAST.response_timeout
    assert isinstance(client.link, HdlcLink)
    assert client.link.discarded_bytes == 0  # whole frames, set aside as not ours


@pytest.mark.parametrize("direction", ["to_client", "to_meter"])
@virtual_time
async def test_link_dropped_mid_frame(line: Line, direction: str) -> None:
    """Half a frame, then the connection is gone: a clear error at once (not after the
    retries), the port closed, and the next session reads the right values."""
    client = line.client()
    loop = asyncio.get_running_loop()
    async with client:
        getattr(line.proxy, direction).drop_mid_frame = 1
        began = loop.time()
        with pytest.raises(CommunicationError, match="closed the connection") as caught:
            await _read_all(client)
        assert loop.time() - began < FAST.response_timeout
    assert not isinstance(caught.value, DlmsTimeoutError)
    assert getattr(line.proxy, direction).drop_mid_frame == 0
    async with asyncio.timeout(BOUND):
        while line.proxy.open_connections:  # noqa: ASYNC110 - the proxy has no event for it
            await asyncio.sleep(0.01)
    async with line.client() as client:
        result = await _read_all(client)
    assert result == await line.reference()
    assert line.proxy.connections == 2


@virtual_time
async def test_a_delay_within_the_timeout_is_waited_for(line: Line) -> None:
    async with line.client() as client:
        line.proxy.to_client.delay_frames = 2
        line.proxy.to_client.delay = FAST.response_timeout / 2
        result = await _read_all(client)
        assert line.proxy.to_client.delay_frames == 0
    assert result == await line.reference()


# ---------------------------------------------------------------------- sans-IO link


CLIENT = HdlcAddress.client(16)
SERVER = HdlcAddress.server(1, 17)


def _connected_link() -> HdlcLink:
    link = HdlcLink(CLIENT, SERVER)
    link.connect()
    link.data_to_send()
    ua = encode_frame(FrameType.UA, CLIENT, SERVER)
    assert isinstance(link.receive_data(ua)[0], LinkEstablished)
    return link


def _i_frame(send_sequence: int, apdu: bytes = b"\xc4\x01\xc1\x00\x09\x00") -> bytes:
    return encode_frame(
        FrameType.I,
        CLIENT,
        SERVER,
        information=LLC_RESPONSE + apdu,
        send_sequence=send_sequence,
        receive_sequence=1,
    )


def test_a_meter_that_only_sends_stale_frames_is_given_up_on() -> None:
    """Every repeat of our request is answered, but with a frame we already have (the
    meter resends an old answer): that is no progress. Without a bound the caller's
    retries (which count silence) would start again with every frame, for ever."""
    link = _connected_link()
    link.send_apdu(b"\xc0\x01\xc1")
    link.data_to_send()
    assert link.receive_data(_i_frame(0)) == [ApduReceived(b"\xc4\x01\xc1\x00\x09\x00")]
    link.send_apdu(b"\xc0\x01\xc1")
    request = link.data_to_send()
    for _ in range(MAX_FUTILE_RETRANSMISSIONS):
        assert link.receive_data(_i_frame(0)) == []  # stale: discarded, not answered
        assert link.data_to_send() == b""
        link.retransmit()
        assert link.data_to_send() == request
    assert link.receive_data(_i_frame(0)) == []
    with pytest.raises(ProtocolError, match="out of sequence"):
        link.retransmit()


def test_silence_and_progress_do_not_count_as_futile() -> None:
    """Retransmissions after plain silence are the caller's business (its retries), and
    a frame that moves the link on starts the count again."""
    link = _connected_link()
    link.send_apdu(b"\xc0\x01\xc1")
    link.data_to_send()
    for _ in range(MAX_FUTILE_RETRANSMISSIONS + 2):
        link.retransmit()  # silence
    for _ in range(MAX_FUTILE_RETRANSMISSIONS):
        assert link.receive_data(_i_frame(5)) == []
        link.retransmit()
    assert link.receive_data(_i_frame(0)) != []  # progress
    link.send_apdu(b"\xc0\x01\xc1")
    for _ in range(MAX_FUTILE_RETRANSMISSIONS):
        assert link.receive_data(_i_frame(5)) == []
        link.retransmit()


def test_only_a_gap_at_the_end_of_a_window_is_answered() -> None:
    """Out-of-sequence frames in the middle of a segmented answer: a copy of one we have
    gets no answer; a frame from further on with P/F gets RR with our N(R)."""
    link = _connected_link()
    link.parameters = HdlcParameters(window_rx=3, window_tx=3)
    link.send_apdu(b"\xc0\x01\xc1")
    link.data_to_send()

    def segment(ns: int, *, final: bool) -> bytes:
        return encode_frame(
            FrameType.I,
            CLIENT,
            SERVER,
            information=(LLC_RESPONSE if ns == 0 else b"") + b"\x00" * 8,
            segmented=True,
            send_sequence=ns,
            receive_sequence=1,
            poll_final=final,
        )

    assert link.receive_data(segment(0, final=False)) == []
    for _ in range(MAX_UNANSWERED_COPIES):
        assert link.receive_data(segment(0, final=True)) == []  # a copy, even with P/F
        assert link.data_to_send() == b""
    # Copy after copy: the meter repeats by itself, so it must have missed our RR.
    assert link.receive_data(segment(0, final=True)) == []
    assert _rr(link) == 1
    assert link.receive_data(segment(0, final=True)) == []
    assert link.data_to_send() == b""  # counted afresh
    assert link.receive_data(segment(2, final=False)) == []  # ahead, no P/F: wait
    assert link.data_to_send() == b""
    assert link.receive_data(segment(2, final=True)) == []  # ahead, P/F: ask
    assert _rr(link) == 1


def _rr(link: HdlcLink) -> int | None:
    """N(R) of the one RR the link queued."""
    reader = FrameReader()
    reader.feed(link.data_to_send())
    (rr,) = list(reader)
    assert rr.frame_type is FrameType.RR
    return rr.receive_sequence


@virtual_time
async def test_meter_stops_between_the_segments_of_an_answer() -> None:
    """The first segment of a long answer arrives whole, then nothing more: the error says
    the meter stopped between segments, not inside a frame."""
    server = ServerSettings(max_info_length=24, window=1)
    settings = replace(FAST, max_info_length=24, window=1)
    proxy = LinkProxy(MeterSimulator(_meter(), settings=server))
    client = DlmsClient(LoopbackTransport(proxy), settings)
    await client.open()
    try:
        # From the object list's second segment on, every frame is held past the
        # client's patience.
        proxy.to_client.skip_frames = 1
        proxy.to_client.delay_frames = 1000
        proxy.to_client.delay = BOUND
        with pytest.raises(DlmsTimeoutError, match="between the segments"):
            async with asyncio.timeout(BOUND):
                await client.get(OBJECT_LIST)
    finally:
        await client.transport.close()  # no release: the meter's answers are held
        await proxy.stop()
