"""SET and ACTION: the exchanges in memory (blocks cut and joined), then against the
simulator over its loopback: the clock set and read back, shift_time, a long value in
blocks, with-list, the disconnector switched and read back, and each refusal as the
standard's distinct result."""

from __future__ import annotations

import datetime as dt

import pytest

from libdlms import (
    ActionError,
    AttributeDescriptor,
    ClientSettings,
    DataAccessError,
    DlmsClient,
    Obis,
)
from libdlms.client import read_object_list
from libdlms.client.clock_sync import ClockSyncRefused, boundary_wait, synchronise_clock
from libdlms.codecs.acse import Mechanism
from libdlms.codecs.axdr import Data, DataType, decode_data, encode_data
from libdlms.codecs.xdlms import (
    ActionRequestNextPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithOptionalData,
    ActionResponseWithPblock,
    ActionResult,
    DataAccessResult,
    MethodDescriptor,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseLastDatablockWithList,
    decode_action_request,
    decode_set_request,
)
from libdlms.codecs.xdlms._fields import DataBlockSA
from libdlms.cosem.clock import CosemDateTime
from libdlms.errors import LocalProtocolError, RemoteProtocolError
from libdlms.session.writes import ActionCompleted, ActionExchange, SetCompleted, SetExchange
from simulator import LoopbackTransport, MeterSimulator
from simulator.meter import SimulatedMeter

CLOCK_TIME = AttributeDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 2)
SHIFT_TIME = MethodDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 6)
METERING_POINT = AttributeDescriptor(1, Obis(0, 0, 96, 1, 10, 255), 2)
SERIAL = AttributeDescriptor(1, Obis(0, 0, 96, 1, 0, 255), 2)
RELAY = Obis(0, 0, 96, 3, 10, 255)
DISCONNECT = MethodDescriptor(70, RELAY, 1)
RECONNECT = MethodDescriptor(70, RELAY, 2)
OUTPUT_STATE = AttributeDescriptor(70, RELAY, 2)
ZERO = Data(DataType.INTEGER, 0)


# ---------------------------------------------------------------------- in memory


def test_a_long_set_goes_in_blocks_and_each_is_acknowledged() -> None:
    value = Data(DataType.OCTET_STRING, bytes(range(256)) * 2)
    exchange = SetExchange([METERING_POINT], [value], 0xC1, max_apdu=128)
    assert exchange.blocks > 1
    first = decode_set_request(exchange.first)
    raw = bytearray(first.datablock.raw_data)  # type: ignore[union-attr]
    for number in range(1, exchange.blocks):
        following = exchange.receive(SetResponseDatablock(number, 0xC1))
        assert isinstance(following, bytes)
        block = decode_set_request(following).datablock  # type: ignore[union-attr]
        assert (block.block_number, block.last_block) == (number + 1, number + 1 == exchange.blocks)
        raw += block.raw_data
    assert decode_data(bytes(raw)) == value
    done = exchange.receive(SetResponseLastDatablock(DataAccessResult.SUCCESS, exchange.blocks))
    assert done == SetCompleted((DataAccessResult.SUCCESS,))
    with pytest.raises(RemoteProtocolError):
        SetExchange([METERING_POINT], [value], 0xC1, 128).receive(SetResponseDatablock(5, 0xC1))


def test_a_short_set_and_action_go_whole() -> None:
    exchange = SetExchange([SERIAL], [Data(DataType.OCTET_STRING, b"1")], 0xC1, max_apdu=128)
    assert exchange.blocks == 0
    assert decode_set_request(exchange.first).CHOICE == 1
    action = ActionExchange(SHIFT_TIME, Data(DataType.LONG, 5), 0xC1, max_apdu=128)
    assert decode_action_request(action.first).CHOICE == 1
    outcome = action.receive(ActionResponseNormal(ActionResult.SUCCESS, None, 0xC1))
    assert outcome == ActionCompleted(ActionResult.SUCCESS, None)
    with pytest.raises(LocalProtocolError):
        SetExchange([SERIAL], [], 0xC1, max_apdu=128)


def test_a_long_action_parameter_goes_in_blocks() -> None:
    parameter = Data(DataType.OCTET_STRING, bytes(300))
    action = ActionExchange(DISCONNECT, parameter, 0xC1, max_apdu=100)
    assert action.blocks > 1
    assert decode_action_request(action.first).CHOICE == 4
    following = action.receive(ActionResponseNextPblock(1, 0xC1))
    assert isinstance(following, bytes)
    assert decode_action_request(following).CHOICE == 6


# ---------------------------------------------------------------------- against the meter


def _meter(**fields: object) -> MeterSimulator:
    return MeterSimulator(SimulatedMeter(writable=True, **fields), password=b"12345678")  # type: ignore[arg-type]


def _client(sim: MeterSimulator, *, public: bool = False) -> DlmsClient:
    settings = ClientSettings(writes=True, response_timeout=1.0)
    if not public:
        settings = ClientSettings(
            client_address=1,
            mechanism=Mechanism.LOW,
            password=b"12345678",
            writes=True,
            response_timeout=1.0,
        )
    return DlmsClient(LoopbackTransport(sim), settings)


def _clock(data: Data) -> dt.datetime:
    assert isinstance(data.value, bytes)
    return CosemDateTime.from_bytes(data.value).to_datetime(dt.UTC)


async def test_the_clock_set_and_read_back_and_shifted() -> None:
    sim = _meter()
    wanted = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=2)
    async with _client(sim) as client:
        stamp = CosemDateTime.from_datetime(wanted.astimezone())
        await client.set(CLOCK_TIME, Data(DataType.OCTET_STRING, stamp.to_bytes()))
        first = _clock(await client.get(CLOCK_TIME))
        assert abs((first - wanted).total_seconds()) <= 2
        assert await client.action(SHIFT_TIME, Data(DataType.LONG, -60)) is None
        shifted = _clock(await client.get(CLOCK_TIME))
    assert abs((first - shifted).total_seconds() - 60) <= 2


async def test_a_long_value_in_blocks_and_with_list() -> None:
    sim = _meter()
    long_id = bytes(range(256)) * 3  # longer than the simulator's 256-byte APDUs
    async with _client(sim) as client:
        await client.set(METERING_POINT, Data(DataType.OCTET_STRING, long_id))
        assert (await client.get(METERING_POINT)).value == long_id
        results = await client.set_many(
            [METERING_POINT, SERIAL],
            [Data(DataType.OCTET_STRING, b"MP-1"), Data(DataType.OCTET_STRING, b"x")],
        )
    assert results == [DataAccessResult.SUCCESS, DataAccessResult.READ_WRITE_DENIED]
    assert sim.meter.metering_point == b"MP-1"


async def test_refusals_are_the_standard_s_distinct_results() -> None:
    sim = _meter()
    async with _client(sim) as client:
        with pytest.raises(DataAccessError, match="read-write-denied") as denied:
            await client.set(SERIAL, Data(DataType.OCTET_STRING, b"123"))
        assert denied.value.result == DataAccessResult.READ_WRITE_DENIED
        with pytest.raises(DataAccessError, match="type-unmatched") as wrong_type:
            await client.set(CLOCK_TIME, Data(DataType.LONG_UNSIGNED, 5))
        assert wrong_type.value.result == DataAccessResult.TYPE_UNMATCHED
        with pytest.raises(ActionError, match="type-unmatched"):
            await client.action(SHIFT_TIME, Data(DataType.OCTET_STRING, b"60"))
        with pytest.raises(ActionError, match="object-unavailable") as missing:
            # A long parameter to a method the object lacks: blocks, then the refusal.
            await client.action(
                MethodDescriptor(8, CLOCK_TIME.instance, 5), Data(DataType.OCTET_STRING, bytes(600))
            )
        assert missing.value.result == ActionResult.OBJECT_UNAVAILABLE
        # The association goes on after every refusal.
        assert (await client.get(SERIAL)).value == b"12345678"
    open_meter = MeterSimulator(SimulatedMeter(writable=True))  # the public client associates
    async with _client(open_meter, public=True) as public:
        with pytest.raises(DataAccessError, match="read-write-denied"):
            await public.set(METERING_POINT, Data(DataType.OCTET_STRING, b"x"))
        with pytest.raises(ActionError, match="read-write-denied"):
            await public.action(DISCONNECT, ZERO)


async def test_the_disconnector_switched_and_read_back_and_a_locked_one() -> None:
    sim = _meter()
    async with _client(sim) as client:
        await client.action(DISCONNECT, ZERO)
        assert (await client.get(OUTPUT_STATE)).value is False
        await client.action(RECONNECT, ZERO)
        assert (await client.get(OUTPUT_STATE)).value is True
        sim.meter.relay_locked = True
        with pytest.raises(ActionError, match="temporary-failure") as locked:
            await client.action(DISCONNECT, ZERO)
        assert locked.value.result == ActionResult.TEMPORARY_FAILURE
    assert sim.meter.relay_connected


async def test_a_client_that_does_not_write_is_not_offered_set() -> None:
    sim = _meter()
    client = DlmsClient(
        LoopbackTransport(sim),
        ClientSettings(client_address=1, mechanism=Mechanism.LOW, password=b"12345678"),
    )
    async with client:
        with pytest.raises(LocalProtocolError, match="did not grant SET"):
            await client.set(METERING_POINT, Data(DataType.OCTET_STRING, b"x"))


async def test_the_object_list_says_what_may_be_written_and_called() -> None:
    sim = _meter()
    async with _client(sim) as client:
        elements = {e.logical_name: e for e in await read_object_list(client)}
    clock = elements[CLOCK_TIME.instance]
    assert (2 in clock.readable_attributes, clock.writable_attributes, clock.methods) == (
        True,
        (2,),
        (6,),
    )
    assert elements[SERIAL.instance].writable_attributes == ()
    assert elements[RELAY].methods == (1, 2)
    assert elements[RELAY].to_json()["methods"] == [1, 2]


@pytest.mark.parametrize(
    ("meter_time", "offset", "wait"),
    [
        (1000.0, 5.0, 0.0),  # 16:40 ahead by 5 s, no boundary (900 s) between
        (902.0, 5.0, 4.0),  # ahead, already captured 900: wait until the true time passes it
        (898.0, -5.0, 3.0),  # behind: 900 would be skipped; wait until the meter reaches it
        (898.0, -1.0, 0.0),
        (1799.5, -0.5, 1.5),  # behind by half a second, right before 1800
    ],
)
def test_the_clock_waits_rather_than_cross_a_capture(
    meter_time: float, offset: float, wait: float
) -> None:
    assert boundary_wait(meter_time, offset, 900) == wait
    assert boundary_wait(meter_time, offset, None) == 0
    assert boundary_wait(meter_time, 900, 900) == float("inf")


async def test_synchronise_clock_by_shift_time_and_by_set() -> None:
    sim = _meter()
    async with _client(sim) as client:
        sim.meter.clock_offset = 120
        done = await synchronise_clock(client, capture_period=None)
        assert done.method == "shift_time"
        assert abs(done.offset_before_s - 120) < 2
        assert abs(done.offset_after_s) < 2
        sim.meter.clock_offset = -4000
        with pytest.raises(ClockSyncRefused, match="capture period or more"):
            await synchronise_clock(client, capture_period=900)
        done = await synchronise_clock(client, capture_period=900, allow_gap=True)
        assert done.method == "set"
        assert abs(done.offset_after_s) < 2
        # A boundary in the way and no patience for it: refused, the clock untouched.
        sim.meter.clock_offset = 300
        with pytest.raises(ClockSyncRefused, match="capture"):
            await synchronise_clock(client, capture_period=60, max_wait=0)
        assert sim.meter.clock_offset == 300


def test_long_return_parameters_come_in_blocks_and_are_joined() -> None:
    returned = ActionResponseWithOptionalData(
        ActionResult.SUCCESS, Data(DataType.OCTET_STRING, bytes(range(200)))
    ).encode()
    action = ActionExchange(SHIFT_TIME, None, 0xC1, max_apdu=128)
    halves = [returned[:90], returned[90:]]
    ask = action.receive(ActionResponseWithPblock(DataBlockSA(False, 1, halves[0]), 0xC1))
    assert isinstance(ask, bytes)
    assert decode_action_request(ask) == ActionRequestNextPblock(1, 0xC1)
    done = action.receive(ActionResponseWithPblock(DataBlockSA(True, 2, halves[1]), 0xC1))
    assert done == ActionCompleted(
        ActionResult.SUCCESS, Data(DataType.OCTET_STRING, bytes(range(200)))
    )
    with pytest.raises(RemoteProtocolError, match="expected return block 1"):
        ActionExchange(SHIFT_TIME, None, 0xC1, 128).receive(
            ActionResponseWithPblock(DataBlockSA(True, 2, b""), 0xC1)
        )


def test_a_long_set_with_list_goes_in_blocks_of_its_values() -> None:
    values = [Data(DataType.OCTET_STRING, bytes(150)), Data(DataType.OCTET_STRING, b"x")]
    exchange = SetExchange([METERING_POINT, SERIAL], values, 0xC1, max_apdu=128)
    first = decode_set_request(exchange.first)
    assert first.CHOICE == 5  # with-list and first datablock
    raw = bytearray(first.datablock.raw_data)  # type: ignore[union-attr]
    for number in range(1, exchange.blocks):
        following = exchange.receive(SetResponseDatablock(number, 0xC1))
        assert isinstance(following, bytes)
        raw += decode_set_request(following).datablock.raw_data  # type: ignore[union-attr]
    assert raw == b"\x02" + b"".join(encode_data(v) for v in values)
    done = exchange.receive(
        SetResponseLastDatablockWithList(
            (DataAccessResult.SUCCESS, DataAccessResult.READ_WRITE_DENIED), exchange.blocks
        )
    )
    assert done == SetCompleted((DataAccessResult.SUCCESS, DataAccessResult.READ_WRITE_DENIED))
