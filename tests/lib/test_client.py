"""The async client against the simulator: association, object list by block transfer,
segmented frames, scaler_unit, errors. In memory (``LoopbackTransport``, on a virtual
clock) where the way in is not the point; over a real TCP socket, a refused port, a
connection the meter drops and a pseudo-terminal where it is (serialx's own paths)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from libdlms.client import (
    ClientSettings,
    DlmsClient,
    MeterReader,
)
from libdlms.codecs.acse import Mechanism
from libdlms.codecs.xdlms import AttributeDescriptor
from libdlms.cosem.interface_classes import ASSOCIATION_LN, parse_object_list
from libdlms.errors import (
    AuthenticationFailed,
    CommunicationError,
    DataAccessError,
    DlmsTimeoutError,
)
from libdlms.obis import Obis
from libdlms.session.association import AssociationState
from libdlms.session.link import HdlcLink, LinkState
from libdlms.transport import SerialTransport, Transport, normalize_url
from simulator import LoopbackTransport, MeterSimulator, PtyMeterSimulator, SimulatedMeter
from simulator.session import ServerSettings
from tests.virtual_time import virtual_time

ENERGY = AttributeDescriptor(3, Obis.parse("1-0:1.8.0*255"))
VOLTAGE = AttributeDescriptor(3, Obis.parse("1-0:32.7.0*255"))
CURRENT = AttributeDescriptor(3, Obis.parse("1-0:31.7.0*255"))
SERIAL = AttributeDescriptor(1, Obis.parse("0-0:96.1.0*255"))


def _client(peer: MeterSimulator | str, **settings: Any) -> DlmsClient:
    """A client of ``peer``: in memory, or through serialx for a URL."""
    transport: Transport = (
        SerialTransport(peer) if isinstance(peer, str) else LoopbackTransport(peer)
    )
    return DlmsClient(transport, replace(ClientSettings(response_timeout=1.0), **settings))


@virtual_time
async def test_session_reads_object_list_and_registers(simulator: MeterSimulator) -> None:
    await _reads_object_list_and_registers(simulator, simulator)


async def test_a_session_over_a_real_tcp_socket(socket_enabled: None) -> None:
    """The same session through serialx's socket:// path and the simulator's TCP server."""
    async with MeterSimulator() as simulator:
        await _reads_object_list_and_registers(simulator, simulator.url)


async def _reads_object_list_and_registers(
    simulator: MeterSimulator, peer: MeterSimulator | str
) -> None:
    client = _client(peer)
    async with client:
        # 11 objects do not fit the simulator's 256-byte PDU nor its 128-byte frames:
        # this exercises GET block transfer and HDLC segmentation together.
        objects = parse_object_list(await client.get(AttributeDescriptor(15, ASSOCIATION_LN, 2)))
        assert len(objects) == len(simulator.meter.objects)
        assert {(o.class_id, o.logical_name) for o in objects} >= {
            (3, ENERGY.instance),
            (1, SERIAL.instance),
        }
        readings = await MeterReader().read(client, [ENERGY, VOLTAGE, CURRENT, SERIAL])
    energy, voltage, current, serial = readings
    assert energy.unit == "Wh"
    assert energy.scaled_value == Decimal(simulator.meter.import_wh)
    assert voltage.unit == "V"
    assert voltage.scaled_value is not None
    assert Decimal("228") <= voltage.scaled_value <= Decimal("232")
    assert voltage.scaled_value.as_tuple().exponent == -1  # exact decimal, not a float
    assert current.unit == "A"
    assert serial.display_value() == "12345678"
    assert serial.scaled_value is None
    # The session was released and the link disconnected, not just dropped.
    assert client.association.state is AssociationState.RELEASED
    assert client.link.state is LinkState.DISCONNECTED


@virtual_time
async def test_scaler_units_are_read_once(simulator: MeterSimulator) -> None:
    reader = MeterReader()
    for _ in range(2):
        async with _client(simulator) as client:
            await reader.read(client, [ENERGY, VOLTAGE])
    assert set(reader.scaler_units) == {ENERGY, VOLTAGE}


@virtual_time
async def test_missing_object_is_reported_not_raised(simulator: MeterSimulator) -> None:
    async with _client(simulator) as client:
        reading, energy = await MeterReader().read(
            client, [AttributeDescriptor(3, Obis.parse("1.0.99.7.0.255")), ENERGY]
        )
        assert reading.error == "object-undefined"
        assert reading.scaled_value is None
        assert energy.error is None
        with pytest.raises(DataAccessError, match="object-undefined"):
            await client.get(AttributeDescriptor(1, Obis.parse("0.0.99.99.9.255"), 2))


@virtual_time
async def test_small_frames_and_pdus_both_ways() -> None:
    """32-byte information fields: our with-list request is segmented too."""
    sim = MeterSimulator(settings=ServerSettings(max_info_length=32, max_pdu_size=64))
    client = _client(sim, max_info_length=32)
    async with client:
        assert client.link.parameters.max_info_tx == 32
        refs = [
            AttributeDescriptor(3, Obis.parse(code))
            for code in (
                "1.0.1.8.0.255",
                "1.0.2.8.0.255",
                "1.0.1.7.0.255",
                "1.0.2.7.0.255",
                "1.0.32.7.0.255",
                "1.0.31.7.0.255",
                "1.0.14.7.0.255",
            )
        ]
        readings = await MeterReader().read(client, refs)
        assert all(r.error is None and r.unit for r in readings)
        assert readings[-1].scaled_value == Decimal("50.00")


@virtual_time
async def test_lls_password() -> None:
    sim = MeterSimulator(password=b"12345678")
    async with _client(sim, mechanism=Mechanism.LOW, password=b"12345678") as client:
        assert (await client.get(SERIAL)).value == b"12345678"
    with pytest.raises(AuthenticationFailed) as err:
        async with _client(sim, mechanism=Mechanism.LOW, password=b"wrong-pw"):
            pass
    assert "wrong-pw" not in str(err.value)
    with pytest.raises(AuthenticationFailed):
        async with _client(sim):
            pass


@virtual_time
async def test_four_byte_server_address() -> None:
    """Physical addresses above 127 need the 4-byte form (OMNIA uses lower = 866)."""
    sim = MeterSimulator(settings=ServerSettings(physical_address=866))
    async with _client(sim, server_physical_address=866) as client:
        assert isinstance(client.link, HdlcLink)
        assert client.link.server.raw == bytes.fromhex("00020CC5")
        assert (await client.get(SERIAL)).value == b"12345678"


@virtual_time
async def test_wrong_address_times_out(simulator: MeterSimulator) -> None:
    """Nobody answers: the SNRM goes three times, a second's wait each (the retries)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(DlmsTimeoutError, match="no answer"):
        async with _client(simulator, server_physical_address=18):
            pass
    assert loop.time() - began == pytest.approx(3.0)


async def test_port_closed_is_a_communication_error(socket_enabled: None) -> None:
    """A port that is bound but not listening refuses the connection; holding it bound
    keeps anybody else from taking it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(CommunicationError, match="cannot open"):
            async with _client(f"socket://127.0.0.1:{port}"):
                pass


async def test_bad_urls_are_communication_errors() -> None:
    with pytest.raises(CommunicationError, match="unsupported port URL"):
        async with _client("http://example.invalid/"):
            pass
    with pytest.raises(CommunicationError, match="cannot open"):
        async with _client("/dev/does-not-exist-dlms"):
            pass
    assert normalize_url(" 192.0.2.1:4059 ") == "socket://192.0.2.1:4059"
    assert normalize_url("/dev/serial/by-id/usb-x") == "/dev/serial/by-id/usb-x"


@virtual_time
async def test_meter_stops_in_the_middle_of_a_frame() -> None:
    async def half_ua(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(bytes.fromhex("7EA01F21022373E6C781801205019A"))  # first half of a UA
        await writer.drain()
        while await reader.read(100):  # ignore the retransmitted SNRMs until the client hangs up
            pass
        writer.close()

    client = DlmsClient(LoopbackTransport(half_ua), ClientSettings(response_timeout=1.0))
    with pytest.raises(DlmsTimeoutError, match="middle of a frame"):
        async with client:
            pass


async def test_meter_hangs_up(socket_enabled: None) -> None:
    """A TCP connection the meter (or its bridge) closes: serialx's end of stream."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        with pytest.raises(CommunicationError, match="closed the connection"):
            async with _client(f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"):
                pass
    finally:
        server.close()
        await server.wait_closed()


@virtual_time
async def test_energy_never_goes_backwards() -> None:
    now = [1_000_000.0]
    sim = MeterSimulator(SimulatedMeter(clock=lambda: now[0]))
    reader = MeterReader()
    values = []
    for _ in range(3):
        async with _client(sim) as client:
            (energy,) = await reader.read(client, [ENERGY])
        assert energy.scaled_value is not None
        values.append(energy.scaled_value)
        now[0] += 3600
    assert values == sorted(values)
    assert values[1] - values[0] == Decimal(1500)


async def test_local_serial_device_path() -> None:
    """A pseudo-terminal stands in for /dev/serial/by-id/…: serialx's device backend,
    termios settings and all, with the simulator on the other end."""
    async with PtyMeterSimulator() as sim:
        async with DlmsClient(SerialTransport(sim.path, baudrate=9600)) as client:
            (energy,) = await MeterReader().read(client, [ENERGY])
        assert energy.unit == "Wh"
        assert energy.scaled_value == Decimal(sim.meter.import_wh)


@virtual_time
async def test_release_by_disc_alone(simulator: MeterSimulator) -> None:
    """Without RLRQ the DISC ends the association: one round trip less per session."""
    settings = ClientSettings(release_with_rlrq=False)
    async with DlmsClient(LoopbackTransport(simulator), settings) as client:
        (energy,) = await MeterReader().read(client, [ENERGY])
    assert energy.error is None
    (session,) = simulator.sessions
    assert not session.connected
    assert client.link.state is LinkState.DISCONNECTED
