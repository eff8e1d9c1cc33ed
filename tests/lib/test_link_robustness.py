"""The client on imperfect links: IEC 62056-21 mode E sign-on, lost frames answered by
retransmission, and a clear error once the retries are spent. In memory on a virtual
clock (``LoopbackTransport``, ``virtual_time``), so the timeouts cost no wall-clock time
and always fall the same way; over a pseudo-terminal where the serial line is the point
(termios, one session for every client of the line), and over rfc2217://."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from libdlms.client import (
    ClientSettings,
    DlmsClient,
    KeptSession,
    MeterReader,
    read_invocation_counter,
)
from libdlms.codecs import iec62056_21 as iec
from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.xdlms import AttributeDescriptor
from libdlms.cosem.interface_classes import ASSOCIATION_LN, InterfaceClass, parse_object_list
from libdlms.errors import (
    CommunicationError,
    ConfigurationError,
    DecodeError,
    DlmsTimeoutError,
    EncodeError,
    RemoteProtocolError,
)
from libdlms.obis import Obis
from libdlms.security import InvocationCounter, SecurityKeys, SecurityPolicy
from libdlms.session.link import HdlcLink
from libdlms.transport import SerialTransport
from simulator import LoopbackTransport, MeterSimulator, PtyMeterSimulator, SimulatedMeter
from simulator.meter import CosemObject
from simulator.session import ServerSettings
from tests.virtual_time import virtual_time

ENERGY = AttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"))


def test_mode_e_messages() -> None:
    assert iec.request() == bytes.fromhex("2F3F210D0A")
    assert iec.acknowledgement("5") == bytes.fromhex("063235320D0A")
    assert iec.parse_acknowledgement(bytes.fromhex("063235320D0A")) == ("2", "5", "2")
    ident = iec.Identification.parse(b"/ISK5\\2MT382-1000\r\n")
    assert (ident.manufacturer, ident.baudrate, ident.hdlc) == ("ISK", 9600, True)
    assert ident.identification == "MT382-1000"
    mode_c = iec.Identification.parse(b"/LGZ4ZMD3104407.B32\r\n")
    assert not mode_c.hdlc
    assert mode_c.baudrate == 4800
    with pytest.raises(DecodeError):
        iec.Identification.parse(b"/ISKZ\\2x\r\n")
    with pytest.raises(EncodeError):
        iec.acknowledgement("9")
    assert iec.baud_character_for(19200) == "6"


async def test_mode_e_sign_on_over_a_serial_device() -> None:
    """300 Bd 7E1, identification, ACK, then 8N1 at 9600 on a real tty (termios)."""
    async with PtyMeterSimulator(settings=ServerSettings(mode_e=True)) as sim:
        transport = SerialTransport(sim.path, baudrate=9600)
        async with DlmsClient(transport, ClientSettings(mode_e=True)) as client:
            assert (transport.baudrate, transport.byte_size, transport.parity) == (9600, 8, "N")
            (energy,) = await MeterReader().read(client, [ENERGY])
        assert energy.scaled_value == Decimal(sim.meter.import_wh)


@virtual_time
async def test_mode_e_speed_is_capped_by_the_setting() -> None:
    sim = MeterSimulator(settings=ServerSettings(mode_e=True, mode_e_baud_character="6"))
    transport = LoopbackTransport(sim)
    client = DlmsClient(transport, ClientSettings(mode_e=True, mode_e_max_baudrate=4800))
    async with client:
        assert (transport.baudrate, transport.byte_size, transport.parity) == (4800, 8, "N")


@virtual_time
async def test_without_sign_on_a_mode_e_meter_is_silent() -> None:
    sim = MeterSimulator(settings=ServerSettings(mode_e=True))
    client = DlmsClient(LoopbackTransport(sim), ClientSettings(response_timeout=0.3, retries=1))
    with pytest.raises(DlmsTimeoutError, match="connection request"):
        await client.open()


@virtual_time
async def test_lost_answers_are_recovered_by_retransmission() -> None:
    sim = MeterSimulator()
    loop = asyncio.get_running_loop()
    settings = ClientSettings(response_timeout=0.3, retries=2)
    async with DlmsClient(LoopbackTransport(sim), settings) as client:
        sim.faults.drop_frames = 2  # the meter's next two answers never arrive
        began = loop.time()
        (energy,) = await MeterReader().read(client, [ENERGY])
        assert energy.unit == "Wh"
        assert loop.time() - began == pytest.approx(2 * settings.response_timeout)
        sim.faults.drop_frames = 3  # more than the retries: a clear error
        with pytest.raises(DlmsTimeoutError, match="no answer from the meter"):
            await MeterReader().read(client, [ENERGY])


@virtual_time
async def test_with_list_cap_is_learnt_and_remembered() -> None:
    """A meter that refuses lists longer than 3: the client halves until it fits, and the
    reader remembers the cap for the next session."""
    codes = "1.0.1.8.0.255 1.0.2.8.0.255 1.0.1.7.0.255 1.0.2.7.0.255 1.0.32.7.0.255 1.0.31.7.0.255"
    refs = [AttributeDescriptor(3, Obis.parse(code)) for code in [*codes.split(), "1.0.14.7.0.255"]]
    sim = MeterSimulator(settings=ServerSettings(with_list_cap=3))
    reader = MeterReader()
    async with DlmsClient(LoopbackTransport(sim)) as client:
        readings = await reader.read(client, refs)
    assert all(r.error is None for r in readings)
    assert reader.list_cap is not None
    assert reader.list_cap <= 3
    async with DlmsClient(LoopbackTransport(sim)) as client:
        assert [r.unit for r in await reader.read(client, refs)] == [r.unit for r in readings]
        assert client.list_cap == reader.list_cap


@virtual_time
async def test_cancelled_poll_still_releases_and_disconnects() -> None:
    """Home Assistant cancels a poll (shutdown, unload): the meter is still told goodbye."""
    sim = MeterSimulator()
    entered = asyncio.Event()

    async def poll() -> None:
        async with DlmsClient(LoopbackTransport(sim)) as client:
            while True:
                await MeterReader().read(client, [ENERGY])
                entered.set()

    task = asyncio.create_task(poll())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (session,) = sim.sessions
    assert not session.associated
    assert not session.connected


async def test_a_meter_left_associated_accepts_the_next_client() -> None:
    """A client that vanished without RLRQ/DISC (unplugged, killed) leaves the meter
    associated on a serial line; the next SNRM starts afresh."""
    async with PtyMeterSimulator() as sim:
        first = DlmsClient(SerialTransport(sim.path))
        await first.open()
        await first.transport.close()  # gone without a word
        assert sim.session is not None
        assert sim.session.associated
        async with DlmsClient(SerialTransport(sim.path)) as second:
            (energy,) = await MeterReader().read(second, [ENERGY])
        assert energy.error is None
        assert not sim.session.connected


@pytest.mark.parametrize("window", [1, 3, 7])
@virtual_time
async def test_hdlc_windows_both_ways(window: int) -> None:
    """Small frames and a window of several: segments go out in windows with the poll
    bit on the last, and are acknowledged per window, in both directions."""
    sim = MeterSimulator(
        settings=ServerSettings(max_info_length=24, max_pdu_size=512, window=window)
    )
    client = DlmsClient(LoopbackTransport(sim), ClientSettings(max_info_length=24, window=window))
    async with client:
        assert client.link.parameters.window_tx == window
        assert client.link.parameters.window_rx == window
        codes = "1.0.1.8.0.255 1.0.2.8.0.255 1.0.1.7.0.255 1.0.32.7.0.255 1.0.14.7.0.255"
        refs = [AttributeDescriptor(3, Obis.parse(code)) for code in codes.split()]
        refs.append(AttributeDescriptor(15, Obis.parse("0.0.40.0.0.255")))
        readings = await MeterReader().read(client, refs)
    assert [r.error for r in readings] == [None] * len(refs)


@virtual_time
async def test_echo_and_line_noise_are_ignored() -> None:
    """The head's echo of our own frames and bytes of noise before each answer."""
    sim = MeterSimulator()
    sim.faults.echo = True
    sim.faults.garbage = b"\x00\x7e\xa0\xff\x13"  # includes a false flag and format byte
    async with DlmsClient(LoopbackTransport(sim)) as client:
        readings = await MeterReader().read(
            client, [ENERGY, AttributeDescriptor(3, Obis.parse("1.0.32.7.0.255"))]
        )
    assert [r.error for r in readings] == [None, None]
    assert isinstance(client.link, HdlcLink)
    assert client.link.discarded_bytes > 0


@virtual_time
async def test_two_meters_on_one_line() -> None:
    """An RS-485 bus: two meters at physical addresses 17 and 18 hear every frame and
    answer their own; each client gets its own meter's values."""
    second = SimulatedMeter(serial_number="87654321", start_import_wh=42)
    sim = MeterSimulator(bus=[(second, ServerSettings(physical_address=18))])
    serials = []
    for physical in (17, 18):
        settings = ClientSettings(server_physical_address=physical)
        async with DlmsClient(LoopbackTransport(sim), settings) as client:
            serial = await client.get(AttributeDescriptor(1, Obis.parse("0.0.96.1.0.255")))
            (energy,) = await MeterReader().read(client, [ENERGY])
        serials.append((serial.value, energy.scaled_value))
    assert serials == [(b"12345678", Decimal(sim.meter.import_wh)), (b"87654321", Decimal(42))]


def _kept(sim: MeterSimulator) -> KeptSession:
    return KeptSession(
        lambda: DlmsClient(LoopbackTransport(sim), ClientSettings(response_timeout=0.5))
    )


@virtual_time
async def test_kept_session_survives_the_meters_inactivity_timeout() -> None:
    """The association stays open between polls; once the meter has timed it out, the
    next poll meets DM and the keeper re-associates transparently."""
    sim = MeterSimulator(settings=ServerSettings(inactivity_timeout=0.2))
    kept, reader = _kept(sim), MeterReader()
    try:
        first = await kept.run(lambda client: reader.read(client, [ENERGY]))
        second = await kept.run(lambda client: reader.read(client, [ENERGY]))
        assert (len(sim.sessions), kept.reopened) == (1, 0)  # no new session needed
        await asyncio.sleep(0.4)
        third = await kept.run(lambda client: reader.read(client, [ENERGY]))
    finally:
        await kept.close()
    assert kept.reopened == 1
    assert len(sim.sessions) == 2
    assert [r[0].unit for r in (first, second, third)] == ["Wh"] * 3


@virtual_time
async def test_kept_session_survives_a_meter_reboot() -> None:
    sim = MeterSimulator()
    kept, reader = _kept(sim), MeterReader()
    try:
        await kept.run(lambda client: reader.read(client, [ENERGY]))
        sim.reboot()
        (energy,) = await kept.run(lambda client: reader.read(client, [ENERGY]))
    finally:
        await kept.close()
    assert energy.error is None
    assert kept.reopened == 1


@virtual_time
async def test_corrupted_and_delayed_answers() -> None:
    """A bad FCS is dropped like a lost frame (retransmission); a slow meter within the
    timeout is simply waited for."""
    sim = MeterSimulator()
    loop = asyncio.get_running_loop()
    settings = ClientSettings(response_timeout=0.5, retries=2)
    async with DlmsClient(LoopbackTransport(sim), settings) as client:
        sim.faults.corrupt_frames = 1
        (energy,) = await MeterReader().read(client, [ENERGY])
        assert energy.error is None
        assert isinstance(client.link, HdlcLink)
        assert client.link.discarded_bytes == 0  # a whole frame, thrown away as invalid
        sim.faults.delay = 0.2
        began = loop.time()
        (energy,) = await MeterReader().read(client, [ENERGY])
        assert energy.error is None
        # One round trip, waited for: no repeat, though the meter took 0.2 s to answer.
        assert loop.time() - began == pytest.approx(sim.faults.delay)


@virtual_time
async def test_a_meter_that_refuses_the_connection() -> None:
    sim = MeterSimulator()
    sim.faults.refuse = True
    with pytest.raises(CommunicationError, match="refused"):
        async with DlmsClient(LoopbackTransport(sim), ClientSettings(response_timeout=0.5)):
            pass


@virtual_time
async def test_invocation_counter_read_with_the_public_client() -> None:
    keys = SecurityKeys(bytes(range(16)), bytes(range(16, 32)))
    server = ServerSettings(security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION, keys=keys)
    settings = ClientSettings(
        client_address=1,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=keys,
        client_system_title=b"CLIENT01",
    )
    sim = MeterSimulator(settings=server)
    counter = InvocationCounter(start=1000)
    async with DlmsClient(LoopbackTransport(sim), settings, counter=counter) as client:
        await MeterReader().read(client, [ENERGY])
    used = counter.value - 1
    read = await read_invocation_counter(
        LoopbackTransport(sim), settings, Obis.parse("0.0.43.1.0.255")
    )
    assert read.value == used + 1
    async with DlmsClient(LoopbackTransport(sim), settings, counter=read) as client:
        (energy,) = await MeterReader().read(client, [ENERGY])
    assert energy.error is None


async def test_rfc2217_access_server(socket_enabled: None) -> None:
    """rfc2217:// through serialx's RFC 2217 client: Telnet negotiation, the line settings
    sent as COM-PORT-OPTION commands, and 0xFF bytes doubled on the wire (every OBIS code
    ends in 0xFF, so requests and the object list carry plenty)."""
    async with MeterSimulator(rfc2217=True) as sim:
        assert sim.url.startswith("rfc2217://")
        async with DlmsClient(SerialTransport(sim.url, baudrate=9600)) as client:
            objects = await client.get(AttributeDescriptor(15, ASSOCIATION_LN, 2))
            (energy,) = await MeterReader().read(client, [ENERGY])
        assert len(parse_object_list(objects)) == len(sim.meter.objects)
        assert energy.scaled_value == Decimal(sim.meter.import_wh)


@virtual_time
async def test_endless_line_noise_ends_the_wait() -> None:
    """A line that carries noise more often than the response timeout, and never a frame:
    every read resets the silence retries, so the wait is also bounded by link progress."""

    async def chatter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                writer.write(b"\x00\x55\xaa")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    settings = ClientSettings(response_timeout=0.3, retries=2)
    client = DlmsClient(LoopbackTransport(chatter), settings)
    started = asyncio.get_running_loop().time()
    with pytest.raises(DlmsTimeoutError, match="line noise"):
        async with asyncio.timeout(10):
            await client.open()
    # (2 retries + 3 futile retransmissions + 2) x 0.3 s = 2.1 s, then the next read.
    elapsed = asyncio.get_running_loop().time() - started
    assert 2.1 <= elapsed < 4


@virtual_time
async def test_a_frame_counter_object_without_a_counter_is_the_meters_error() -> None:
    """A negative value (or anything but an integer) is no invocation counter: the meter's
    answer breaks the protocol; it does not become counter 0."""
    sim = MeterSimulator()
    counter_obis = Obis.parse("0.0.43.1.0.255")
    sim.meter.objects[counter_obis] = CosemObject(
        InterfaceClass.DATA, counter_obis, {2: lambda: Data(DataType.DOUBLE_LONG, -1)}
    )
    with pytest.raises(RemoteProtocolError, match="does not hold an invocation counter"):
        await read_invocation_counter(LoopbackTransport(sim), ClientSettings(), counter_obis)


def test_an_address_that_does_not_fit_its_size_is_a_configuration_error() -> None:
    """Found before any I/O: a setting to fix, not a protocol failure."""
    with pytest.raises(ConfigurationError, match="address"):
        DlmsClient(
            LoopbackTransport(MeterSimulator()),
            ClientSettings(server_physical_address=300, address_size=2),
        )
