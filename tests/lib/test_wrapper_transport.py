"""The DLMS wrapper (IEC 62056-47) as a transport: ``WrapperLink`` in memory, then whole
sessions over real TCP and UDP sockets against the simulator (security included), a TCP
connection that drops mid-session, a header with a wrong version or length, and a lost
UDP datagram."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from libdlms import AttributeDescriptor, ClientSettings, DlmsClient, MeterReader, Obis
from libdlms.codecs.acse import Mechanism
from libdlms.codecs.wrapper import WrapperPdu
from libdlms.errors import (
    CommunicationError,
    ConfigurationError,
    DlmsError,
    LocalProtocolError,
    RemoteProtocolError,
)
from libdlms.security import SecurityKeys, SecurityPolicy
from libdlms.session.link import ApduReceived, LinkState
from libdlms.session.wrapper_link import WrapperLink
from libdlms.transport import (
    SerialTransport,
    TcpTransport,
    UdpTransport,
    transport_for_url,
    wrapper_address,
)
from simulator import MeterSimulator
from simulator.session import ServerSettings
from simulator.udp import UdpMeterSimulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

ENERGY = AttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"))
OBJECT_LIST = AttributeDescriptor(15, Obis.parse("0.0.40.0.0.255"))
KEYS = SecurityKeys(
    bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
    bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
)


# ---------------------------------------------------------------------- in memory


def test_the_link_wraps_and_unwraps_apdus_between_its_wports() -> None:
    link = WrapperLink(16, 1)
    link.connect()
    assert link.state is LinkState.CONNECTED
    assert link.data_to_send() == b""  # nothing to set up over IP
    link.send_apdu(bytes.fromhex("C001C1000301000108 00FF0200".replace(" ", "")))
    sent = link.data_to_send()
    assert sent[:8] == bytes.fromhex("0001 0010 0001 000D".replace(" ", ""))
    answer = WrapperPdu(1, 16, bytes.fromhex("C401C100060000162A")).encode()
    other = WrapperPdu(2, 16, b"\xc4\x01").encode()  # another logical device: not ours
    events = link.receive_data(other + answer[:5]) + link.receive_data(answer[5:])
    assert events == [ApduReceived(bytes.fromhex("C401C100060000162A"))]
    link.retransmit()
    assert link.data_to_send() == b""  # TCP does not lose bytes: no second request
    link.disconnect()
    assert link.state is LinkState.DISCONNECTED


def test_a_wrong_version_puts_a_stream_out_of_step() -> None:
    link = WrapperLink(16, 1)
    link.connect()
    with pytest.raises(RemoteProtocolError, match="wrapper header is wrong"):
        link.receive_data(bytes.fromhex("0002000100100002C401"))
    assert link.state is LinkState.ERROR
    assert link.receive_data(WrapperPdu(1, 16, b"\xc4").encode()) == []


def test_over_datagrams_a_bad_datagram_is_dropped_and_the_request_sent_again() -> None:
    link = WrapperLink(16, 1, datagrams=True)
    link.connect()
    link.send_apdu(b"\xc0\x01")
    request = link.data_to_send()
    assert link.receive_data(bytes.fromhex("0002000100100002C401")) == []  # wrong version
    assert link.receive_data(WrapperPdu(1, 16, b"\xc4\x01\xc1").encode()[:9]) == []  # short
    assert link.state is LinkState.CONNECTED
    link.retransmit()
    assert link.data_to_send() == request
    assert link.receive_data(WrapperPdu(1, 16, b"\xc4").encode()) == [ApduReceived(b"\xc4")]


def test_wports_and_urls() -> None:
    with pytest.raises(LocalProtocolError):
        WrapperLink(16, 70000)
    assert wrapper_address("tcp://meter.local") == ("tcp", "meter.local", 4059)
    assert wrapper_address("udp://10.0.0.5:4060") == ("udp", "10.0.0.5", 4060)
    with pytest.raises(ConfigurationError):
        wrapper_address("socket://10.0.0.5:4059")
    assert isinstance(transport_for_url("tcp://10.0.0.5:4059"), TcpTransport)
    assert isinstance(transport_for_url("udp://10.0.0.5:4059"), UdpTransport)
    assert isinstance(transport_for_url("socket://10.0.0.5:4059"), SerialTransport)
    with pytest.raises(ConfigurationError, match="mode E"):
        DlmsClient(transport_for_url("tcp://10.0.0.5"), ClientSettings(mode_e=True))


# ---------------------------------------------------------------------- over sockets


async def _read(url: str, settings: ClientSettings | None = None) -> tuple[Decimal, int]:
    client = DlmsClient(transport_for_url(url), settings or ClientSettings(retries=2))
    async with client:
        (energy,) = await MeterReader().read(client, [ENERGY])
        (objects,) = await MeterReader().read(client, [OBJECT_LIST])
    assert objects.error is None
    assert objects.value is not None
    assert energy.scaled_value is not None
    return Decimal(energy.scaled_value), len(objects.value.value)


async def test_a_session_over_tcp() -> None:
    async with MeterSimulator(wrapper=True) as sim:
        assert sim.url.startswith("tcp://")
        energy, objects = await _read(sim.url)
    assert 0 <= sim.meter.import_wh - energy <= 2  # it grows while we read
    assert objects > 5


async def test_a_secured_session_over_tcp_and_the_logical_device_s_wport() -> None:
    server = ServerSettings(
        logical_address=3,
        mechanism=Mechanism.HIGH_GMAC,
        password=b"unused-for-gmac",
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=KEYS,
    )
    settings = ClientSettings(
        client_address=1,
        server_logical_address=3,
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=KEYS,
        client_system_title=bytes.fromhex("4D4D4D0000000001"),
    )
    async with MeterSimulator(settings=server, wrapper=True) as sim:
        energy, _ = await _read(sim.url, settings)
    assert 0 <= sim.meter.import_wh - energy <= 2  # it grows while we read


async def test_a_session_over_udp_and_a_lost_datagram() -> None:
    settings = ClientSettings(response_timeout=0.3, retries=2)
    async with UdpMeterSimulator() as sim:
        energy, objects = await _read(sim.url, settings)
        assert 0 <= sim.meter.import_wh - energy <= 2  # it grows while we read
        assert objects > 5
        requests = sim.received
        sim.faults.drop_frames = 1  # the meter's next answer is lost on the network
        energy, _ = await _read(sim.url, settings)
        # The same session again, and the request whose answer was lost, sent once more.
        assert sim.received - requests == requests + 1
    assert 0 <= sim.meter.import_wh - energy <= 2  # it grows while we read


async def test_a_tcp_connection_that_drops_mid_session() -> None:
    sim = MeterSimulator(wrapper=True)
    await sim.start()
    client = DlmsClient(transport_for_url(sim.url), ClientSettings(response_timeout=1.0))
    try:
        await client.open()
        await sim.stop()  # the meter's module restarts: the connection is gone
        with pytest.raises(CommunicationError):
            await client.get(ENERGY)
    finally:
        await client.close()
        await sim.stop()


async def _answering(answer: bytes) -> tuple[asyncio.Server, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(answer)
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (bytes.fromhex("0002000100100003616263"), "version 2"),
        (bytes.fromhex("0001000100100000"), "empty APDU"),  # a length of 0
    ],
)
async def test_a_meter_whose_wrapper_header_is_wrong(answer: bytes, match: str) -> None:
    server, url = await _answering(answer)
    try:
        client = DlmsClient(transport_for_url(url), ClientSettings(response_timeout=0.5))
        with pytest.raises(DlmsError, match=match):
            await client.open()
    finally:
        server.close()
        await server.wait_closed()


async def test_nobody_at_a_udp_port() -> None:
    client = DlmsClient(
        transport_for_url("udp://127.0.0.1:9"), ClientSettings(response_timeout=0.3, retries=1)
    )
    with pytest.raises(DlmsError):
        await client.open()
