"""Profile Generic: the published buffers decoded into timestamped rows (null clocks
rebuilt), range and entry descriptors built byte for byte, the interface classes'
attribute types, and the simulator's load profile read over a real socket by range and by
entry (block transfer, a DST change, a meter that does not give its deviation)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from libdlms.client import ClientSettings, DlmsClient
from libdlms.client.profile import read_profile
from libdlms.codecs.acse import Mechanism
from libdlms.codecs.axdr import BitString, Data, DataType, decode_data
from libdlms.codecs.xdlms import (
    AccessSelection,
    AttributeDescriptor,
    Conformance,
    DataAccessResult,
    GetRequestNormal,
    decode_get_request,
)
from libdlms.cosem.clock import CosemDateTime
from libdlms.cosem.interface_classes import (
    CLASSES,
    AssociatedPartners,
    AssociationStatus,
    CaptureObjectDefinition,
    CertificateInfo,
    ObjectListElement,
    SortMethod,
    XdlmsContextInfo,
    parse_attribute,
    scaler_unit_attribute,
)
from libdlms.cosem.profile import parse_profile, to_timestamp
from libdlms.cosem.selective_access import (
    CLOCK_COLUMN,
    EntryDescriptor,
    RangeDescriptor,
    date_time_bound,
    entry_selection,
    range_descriptor,
    range_selection,
)
from libdlms.cosem.units import ScalerUnit
from libdlms.errors import DataAccessError, DecodeError, EncodeError
from libdlms.obis import Obis
from libdlms.security import SecurityKeys, SecurityPolicy
from libdlms.transport import SerialTransport
from simulator import MeterSimulator, SimulatedMeter
from simulator.association import SERVER_CONFORMANCE
from simulator.meter import (
    EXPORT_ENERGY,
    IMPORT_ENERGY,
    LOAD_PROFILE,
    LOAD_PROFILE_COLUMNS,
    PROFILE_STATUS,
)
from simulator.session import ServerSession, ServerSettings

from .vectors import load_vectors

VECTORS = {v["id"]: v for v in load_vectors()}
VIENNA = ZoneInfo("Europe/Vienna")
CET = dt.timezone(dt.timedelta(hours=1))
CEST = dt.timezone(dt.timedelta(hours=2))
REGISTER_1_8_0 = CaptureObjectDefinition(3, IMPORT_ENERGY, 2, 0)
REGISTER_2_8_0 = CaptureObjectDefinition(3, EXPORT_ENERGY, 2, 0)
STATUS = CaptureObjectDefinition(1, PROFILE_STATUS, 2, 0)
PROFILE_DESCRIPTOR = AttributeDescriptor(7, LOAD_PROFILE, 2)
# 2025-06-15 15:06:40 UTC, as the Home Assistant tests' manual clock starts.
START = 1_750_000_000.0


def _vector(name: str) -> bytes:
    return bytes.fromhex(VECTORS[name]["hex"])


def _time(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def _client(url: str, **settings: Any) -> DlmsClient:
    return DlmsClient(SerialTransport(url), ClientSettings(response_timeout=2.0, **settings))


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _meter(now: float = START, **options: Any) -> SimulatedMeter:
    options.setdefault("timezone", dt.UTC)  # not the host's: no DST unless asked for
    return SimulatedMeter(clock=_Clock(now), **options)


def _record_selections(meter: SimulatedMeter) -> list[AccessSelection]:
    """The access selections the meter is asked for."""
    seen: list[AccessSelection] = []
    original = meter.get

    def get(*args: Any) -> Any:
        if len(args) > 3 and args[3] is not None:
            seen.append(args[3])
        return original(*args)

    meter.get = get  # type: ignore[method-assign,assignment]  # a recording wrapper
    return seen


@pytest.fixture
def block_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many GET-next requests the simulator has answered (block transfer)."""
    count = [0]
    original: Callable[..., bytes] = ServerSession._next_block

    def counting(self: ServerSession, *args: Any) -> bytes:
        count[0] += 1
        return original(self, *args)

    monkeypatch.setattr(ServerSession, "_next_block", counting)
    return count


# ---------------------------------------------------------------------------- vectors


def test_load_profile_vector_24_rows() -> None:
    """dlms-cosem's hourly profile: deviation 0x8000 (wall time), dow 05 on a Monday."""
    buffer = decode_data(_vector("axdr-load-profile-24rows"))
    columns = (CLOCK_COLUMN, STATUS, REGISTER_1_8_0)
    naive = parse_profile(buffer, columns, 3600)
    assert len(naive.rows) == 24
    assert [row.timestamp for row in naive.rows] == [
        dt.datetime(2018, 2, 12, hour) for hour in range(24)
    ]
    assert [value for _, value in naive.series(IMPORT_ENERGY)] == [
        100_000 + 416 * hour for hour in range(24)
    ]
    assert all(row.values[1] == 0 and not row.rebuilt for row in naive.rows)
    assert naive.rows[0].clock is not None
    assert naive.rows[0].clock.day_of_week == 5  # kept, not "corrected"

    scaled = parse_profile(
        buffer,
        columns,
        Data(DataType.DOUBLE_LONG_UNSIGNED, 3600),
        scaler_units={IMPORT_ENERGY: ScalerUnit.from_codes(-3, 30)},
        default_tz=VIENNA,
    )
    assert scaled.rows[0].timestamp == dt.datetime(2018, 2, 12, tzinfo=CET)
    assert scaled.rows[23].values[2] == Decimal("109.568")
    assert str(scaled.rows[1].values[2]) == "100.416"  # exact, not a float
    assert scaled.unit(IMPORT_ENERGY) == "Wh"
    assert scaled.unit(STATUS.logical_name) is None


def test_null_clock_vector_rebuilt_from_capture_period() -> None:
    buffer = decode_data(_vector("axdr-profile-buffer-null-clock"))
    columns = (CLOCK_COLUMN, STATUS, REGISTER_1_8_0, REGISTER_2_8_0)
    profile = parse_profile(buffer, columns, 3600)
    stamps = [row.timestamp for row in profile.rows]
    assert stamps == [
        dt.datetime(2019, 12, 31, 23, tzinfo=CET),
        dt.datetime(2020, 1, 1, 0, tzinfo=CET),
        dt.datetime(2020, 1, 1, 1, tzinfo=CET),
        dt.datetime(2020, 1, 1, 2, tzinfo=CET),
    ]
    assert [row.rebuilt for row in profile.rows] == [False, True, True, True]
    assert [row.values[1:] for row in profile.rows] == [(6, 1517, 1620)] * 4
    assert profile.rows[1].values[0] == stamps[1]
    assert profile.rows[1].clock_status is None
    assert profile.rows[0].clock_status == 0


def test_range_descriptor_request_vector() -> None:
    raw = _vector("xdlms-get-req-range-descriptor")
    selection = range_selection(
        dt.datetime(2017, 10, 1, 0, tzinfo=CET),
        dt.datetime(2017, 10, 1, 1, tzinfo=CET),
        clock_status=0x80,
    )
    request = GetRequestNormal(AttributeDescriptor(7, Obis.parse("1-0:99.1.0"), 2), 0xC1, selection)
    assert request.encode() == raw
    decoded = decode_get_request(raw)
    assert isinstance(decoded, GetRequestNormal)
    assert decoded.access_selection is not None
    assert RangeDescriptor.decode(decoded.access_selection).restricting_object == CLOCK_COLUMN


def test_range_descriptor_body_vector_with_deviations() -> None:
    """+02:00 is deviation -120 (FF88), +01:00 is -60 (FFC4); day of week not given."""
    raw = _vector("xdlms-range-descriptor-body-tz")
    descriptor = range_descriptor(
        dt.datetime(2020, 1, 1, 0, 3, tzinfo=CEST),
        dt.datetime(2020, 1, 6, 0, 3, tzinfo=CET),
        day_of_week=False,
    )
    assert descriptor.encode() == raw
    assert range_selection(descriptor.from_value, descriptor.to_value) == raw


def test_date_time_bounds() -> None:
    summer = dt.datetime(2025, 7, 1, 12, tzinfo=VIENNA)
    stamp = CosemDateTime.from_bytes(date_time_bound(summer).value)
    assert (stamp.hour, stamp.deviation, stamp.clock_status) == (12, -120, 0x80)
    # In the meter's zone: an instant given in UTC becomes its wall time.
    utc = dt.datetime(2025, 1, 1, 11, tzinfo=dt.UTC)
    stamp = CosemDateTime.from_bytes(date_time_bound(utc, meter_tz=VIENNA).value)
    assert (stamp.hour, stamp.deviation, stamp.clock_status) == (12, -60, 0)
    # A meter that does not give its deviation: its wall time and 0x8000.
    stamp = CosemDateTime.from_bytes(date_time_bound(utc, meter_tz=VIENNA, deviation=False).value)
    assert (stamp.hour, stamp.deviation) == (12, None)
    assert date_time_bound(utc, meter_tz=VIENNA, deviation=False).value[9:11] == b"\x80\x00"
    with pytest.raises(EncodeError):
        date_time_bound(dt.datetime(2025, 1, 1))


def test_entry_descriptor_bytes_and_columns() -> None:
    raw = bytes.fromhex("0202040600000001060000000A120002120003")
    assert entry_selection(1, 10, 2, 3) == raw
    descriptor = EntryDescriptor.decode(raw)
    assert descriptor == EntryDescriptor(1, 10, 2, 3)
    assert descriptor.columns(LOAD_PROFILE_COLUMNS) == LOAD_PROFILE_COLUMNS[1:3]
    assert EntryDescriptor().columns(LOAD_PROFILE_COLUMNS) == LOAD_PROFILE_COLUMNS
    assert EntryDescriptor().encode() == bytes.fromhex("02020406000000010600000000120001120000")
    with pytest.raises(DecodeError):
        EntryDescriptor.decode(
            RangeDescriptor(
                CLOCK_COLUMN, Data(DataType.NULL_DATA), Data(DataType.NULL_DATA)
            ).encode()
        )
    with pytest.raises(DecodeError, match="to_entry"):
        EntryDescriptor.decode(bytes.fromhex("0202040600000001120001120001120000"))
    with pytest.raises(EncodeError):
        EntryDescriptor(from_entry=-1)


def test_buffer_errors_and_edge_cases() -> None:
    columns = (CLOCK_COLUMN, REGISTER_1_8_0)
    stamp = Data(DataType.OCTET_STRING, bytes.fromhex("07E901010306000000FFC400"))
    value = Data(DataType.DOUBLE_LONG_UNSIGNED, 1)
    null = Data(DataType.NULL_DATA)

    def buffer(*rows: list[Data]) -> Data:
        return Data(DataType.ARRAY, [Data(DataType.STRUCTURE, list(row)) for row in rows])

    with pytest.raises(DecodeError, match="2 columns"):
        parse_profile(buffer([stamp]), columns, 900)
    with pytest.raises(DecodeError, match="buffer entry"):
        parse_profile(Data(DataType.ARRAY, [value]), columns, 900)
    with pytest.raises(DecodeError, match="clock column"):
        parse_profile(buffer([value, value]), columns, 900)
    with pytest.raises(DecodeError):
        parse_profile(Data(DataType.STRUCTURE, []), columns, 900)
    # Leading null clocks are counted back from the first stamped entry.
    profile = parse_profile(buffer([null, value], [stamp, value], [null, null]), columns, 900)
    first = dt.datetime(2025, 1, 1, 6, tzinfo=CET)
    assert [row.timestamp for row in profile.rows] == [
        first - dt.timedelta(minutes=15),
        first,
        first + dt.timedelta(minutes=15),
    ]
    assert profile.rows[2].values[1] is None  # a null value stays None
    # Captured on demand (period 0): a null clock cannot be inferred.
    assert (
        parse_profile(buffer([stamp, value], [null, value]), columns, 0).rows[1].timestamp is None
    )
    # No clock column at all.
    profile = parse_profile(buffer([value]), (REGISTER_1_8_0,), 900)
    assert profile.rows[0].timestamp is None
    assert profile.rows[0].values == (1,)
    with pytest.raises(KeyError):
        profile.column(EXPORT_ENERGY)


def test_compact_array_buffer() -> None:
    """Some meters send the buffer as a compact-array of structures."""
    raw = bytes.fromhex("1302020606" + "10" + "00000001" + "00000002" + "00000003" + "00000004")
    profile = parse_profile(decode_data(raw), (REGISTER_1_8_0, REGISTER_2_8_0), 0)
    assert [row.values for row in profile.rows] == [(1, 2), (3, 4)]


def test_dst_bit_resolves_the_repeated_autumn_hour() -> None:
    """Wall time without deviation: 02:30 happens twice on 2025-10-26 in Vienna."""
    summer = CosemDateTime(2025, 10, 26, 7, 2, 30, 0, 0, None, 0x80)
    winter = CosemDateTime(2025, 10, 26, 7, 2, 30, 0, 0, None, 0x00)
    assert to_timestamp(summer, VIENNA).astimezone(dt.UTC).hour == 0
    assert to_timestamp(winter, VIENNA).astimezone(dt.UTC).hour == 1
    unknown = CosemDateTime(2025, 10, 26, 7, 2, 30, 0, 0, None, None)
    assert to_timestamp(unknown, VIENNA).fold == 0
    assert to_timestamp(summer).tzinfo is None


# ---------------------------------------------------------------------------- interface classes


def _octets(data: bytes) -> Data:
    return Data(DataType.OCTET_STRING, data)


def _structure(*items: Data) -> Data:
    return Data(DataType.STRUCTURE, list(items))


SCALER_UNIT = _structure(Data(DataType.INTEGER, -2), Data(DataType.ENUM, 30))
DATE_TIME = _octets(bytes.fromhex("07E901010306000000FFC400"))


@pytest.mark.parametrize(
    ("class_id", "attribute", "data", "expected"),
    [
        (1, 1, _octets(bytes([0, 0, 96, 1, 0, 255])), Obis(0, 0, 96, 1, 0, 255)),
        (1, 2, Data(DataType.VISIBLE_STRING, "x"), Data(DataType.VISIBLE_STRING, "x")),
        (3, 3, SCALER_UNIT, ScalerUnit.from_codes(-2, 30)),
        (4, 5, DATE_TIME, CosemDateTime.from_bytes(DATE_TIME.value)),
        (
            4,
            5,
            Data(DataType.DATE_TIME, DATE_TIME.value),
            CosemDateTime.from_bytes(DATE_TIME.value),
        ),
        (5, 4, SCALER_UNIT, ScalerUnit.from_codes(-2, 30)),
        (5, 8, Data(DataType.DOUBLE_LONG_UNSIGNED, 900), 900),
        (5, 9, Data(DataType.LONG_UNSIGNED, 4), 4),
        (7, 3, Data(DataType.ARRAY, [CLOCK_COLUMN.to_data()]), (CLOCK_COLUMN,)),
        (7, 4, Data(DataType.DOUBLE_LONG_UNSIGNED, 900), 900),
        (7, 5, Data(DataType.ENUM, 1), SortMethod.FIFO),
        (7, 5, Data(DataType.ENUM, 99), 99),
        (7, 6, CLOCK_COLUMN.to_data(), CLOCK_COLUMN),
        (7, 7, Data(DataType.DOUBLE_LONG_UNSIGNED, 12), 12),
        (8, 2, DATE_TIME, CosemDateTime.from_bytes(DATE_TIME.value)),
        (8, 3, Data(DataType.LONG, -60), -60),
        (8, 8, Data(DataType.BOOLEAN, True), True),
        (
            15,
            3,
            _structure(Data(DataType.INTEGER, 16), Data(DataType.LONG_UNSIGNED, 1)),
            AssociatedPartners(16, 1),
        ),
        (15, 4, _octets(bytes.fromhex("60857405080101")), bytes.fromhex("60857405080101")),
        (15, 8, Data(DataType.ENUM, 2), AssociationStatus.ASSOCIATED),
        (15, 9, _octets(bytes([0, 0, 43, 0, 0, 255])), Obis(0, 0, 43, 0, 0, 255)),
        (64, 2, Data(DataType.ENUM, 3), 3),
        (64, 4, _octets(b"MMM00001"), b"MMM00001"),
        (99, 2, Data(DataType.UNSIGNED, 1), Data(DataType.UNSIGNED, 1)),  # not modelled
        (3, -1, Data(DataType.UNSIGNED, 1), Data(DataType.UNSIGNED, 1)),  # manufacturer
    ],
)
def test_parse_attribute(class_id: int, attribute: int, data: Data, expected: object) -> None:
    assert parse_attribute(class_id, attribute, data) == expected


def test_parse_constructed_attributes() -> None:
    context = _structure(
        Data(DataType.BIT_STRING, BitString(bytes.fromhex("00101D"), 24)),
        Data(DataType.LONG_UNSIGNED, 1024),
        Data(DataType.LONG_UNSIGNED, 512),
        Data(DataType.UNSIGNED, 6),
        Data(DataType.INTEGER, 0),
        _octets(b""),
    )
    info = parse_attribute(15, 5, context)
    assert isinstance(info, XdlmsContextInfo)
    assert (info.max_receive_pdu_size, info.dlms_version_number) == (1024, 6)
    certificate = _structure(
        Data(DataType.ENUM, 0),
        Data(DataType.ENUM, 1),
        _octets(b"\x01"),
        _octets(b"issuer"),
        _octets(b"subject"),
        _octets(b""),
    )
    (parsed,) = parse_attribute(64, 6, Data(DataType.ARRAY, [certificate]))
    assert parsed == CertificateInfo(0, 1, b"\x01", b"issuer", b"subject", b"")
    meter = _meter()
    object_list = meter.get(15, Obis(0, 0, 40, 0, 0, 255), 2)
    assert isinstance(object_list, Data)
    elements = parse_attribute(15, 2, object_list)
    assert all(isinstance(e, ObjectListElement) for e in elements)
    assert any(e.class_id == 7 and e.logical_name == LOAD_PROFILE for e in elements)
    buffer = meter.get(7, LOAD_PROFILE, 2)
    assert isinstance(buffer, Data)
    rows = parse_attribute(7, 2, buffer)
    assert len(rows) == 7 * 96
    assert len(rows[0]) == 4
    assert CLASSES[7].attribute("capture_period").number == 4
    with pytest.raises(KeyError):
        CLASSES[7].attribute("nope")


@pytest.mark.parametrize(
    ("class_id", "attribute", "data"),
    [
        (1, 1, _octets(b"\x01\x02")),  # logical name of 2 bytes
        (1, 1, Data(DataType.VISIBLE_STRING, "1.0.1.8.0.255")),
        (3, 2, SCALER_UNIT),  # a value cannot be a structure
        (3, 3, _structure(Data(DataType.UNSIGNED, 254), Data(DataType.ENUM, 30))),
        (3, 3, _structure(Data(DataType.INTEGER, -2))),
        (4, 5, _octets(b"\x07\xe9")),  # a date-time is 12 bytes
        (5, 8, Data(DataType.LONG_UNSIGNED, 900)),
        (7, 2, Data(DataType.ARRAY, [Data(DataType.UNSIGNED, 1)])),
        (7, 3, Data(DataType.ARRAY, [_structure(Data(DataType.UNSIGNED, 8))])),
        (7, 4, Data(DataType.LONG, 900)),
        (7, 5, Data(DataType.UNSIGNED, 1)),
        (8, 3, Data(DataType.INTEGER, -60)),
        (8, 8, Data(DataType.UNSIGNED, 1)),
        (15, 2, Data(DataType.STRUCTURE, [])),
        (15, 3, _structure(Data(DataType.UNSIGNED, 16), Data(DataType.LONG_UNSIGNED, 1))),
        (15, 5, _structure(Data(DataType.UNSIGNED, 1))),
        (64, 2, Data(DataType.UNSIGNED, 3)),
        (64, 6, Data(DataType.ARRAY, [_structure(Data(DataType.ENUM, 0))])),
    ],
)
def test_attribute_type_mismatch(class_id: int, attribute: int, data: Data) -> None:
    with pytest.raises(DecodeError, match=CLASSES[class_id].name):
        parse_attribute(class_id, attribute, data)


def test_scaler_unit_attributes() -> None:
    assert scaler_unit_attribute(3, 2) == 3
    assert scaler_unit_attribute(4, 2) == 3
    assert scaler_unit_attribute(5, 2) == scaler_unit_attribute(5, 3) == 4
    assert scaler_unit_attribute(1, 2) is None
    assert scaler_unit_attribute(3, 3) is None
    assert scaler_unit_attribute(42, 2) is None


# ---------------------------------------------------------------------------- simulator


async def test_read_profile_by_range_with_block_transfer(
    socket_enabled: None, block_count: list[int]
) -> None:
    meter = _meter()
    async with MeterSimulator(meter) as sim, _client(sim.url) as client:
        cache: dict[Obis, ScalerUnit] = {}
        start = dt.datetime(2025, 6, 15, 2, tzinfo=dt.UTC)
        end = dt.datetime(2025, 6, 15, 14, tzinfo=dt.UTC)
        profile = await read_profile(
            client, "1-0:99.1.0*255", start=start, end=end, scaler_units=cache
        )
    assert block_count[0] >= 3  # 49 entries do not fit the simulator's 256-byte PDUs
    assert profile.capture_period == 900
    assert profile.capture_objects == LOAD_PROFILE_COLUMNS
    assert set(cache) == {IMPORT_ENERGY, EXPORT_ENERGY}
    stamps = [row.timestamp for row in profile.rows if row.timestamp is not None]
    assert len(stamps) == len(profile.rows)
    assert stamps[0] == start
    assert stamps[-1] == end
    assert len(stamps) == 12 * 4 + 1
    assert all(b - a == dt.timedelta(minutes=15) for a, b in itertools.pairwise(stamps))
    assert any(row.rebuilt for row in profile.rows)  # the simulator compresses clocks
    for row in profile.rows:
        assert row.timestamp is not None
        when = row.timestamp.timestamp()
        assert row.values[2] == Decimal(meter.import_wh_at(when))
        assert row.values[3] == Decimal(meter.export_wh_at(when))
    # The registers go on from where the profile stops.
    assert meter.import_wh >= profile.rows[-1].values[2]
    assert profile.unit(IMPORT_ENERGY) == "Wh"


async def test_read_profile_by_entry(socket_enabled: None) -> None:
    meter = _meter()
    times = meter.profile_times()
    async with MeterSimulator(meter) as sim, _client(sim.url) as client:
        first = await read_profile(client, LOAD_PROFILE, entries=(1, 10))
        last = await read_profile(client, LOAD_PROFILE, entries=(len(times) - 3, 0))
        energy = await read_profile(
            client, LOAD_PROFILE, entries=(5, 6), columns=[REGISTER_1_8_0, STATUS]
        )
    assert [row.timestamp.timestamp() for row in first.rows if row.timestamp] == times[:10]
    assert [row.timestamp.timestamp() for row in last.rows if row.timestamp] == times[-4:]
    assert last.rows[-1].values[2] == Decimal(meter.import_wh_at(times[-1]))
    assert energy.columns == (STATUS, REGISTER_1_8_0)
    assert [row.values for row in energy.rows] == [
        (0, Decimal(meter.import_wh_at(when))) for when in times[4:6]
    ]
    assert energy.rows[0].timestamp is None


async def test_read_whole_profile_and_selected_columns(socket_enabled: None) -> None:
    meter = _meter(profile_history_days=1, profile_capture_period=3600)
    async with MeterSimulator(meter) as sim, _client(sim.url) as client:
        whole = await read_profile(client, LOAD_PROFILE)
        cache = {IMPORT_ENERGY: ScalerUnit.from_codes(-3, 30)}  # cached: not read again
        selected = await read_profile(
            client,
            LOAD_PROFILE,
            start=dt.datetime(2025, 6, 15, 10, tzinfo=dt.UTC),
            columns=[CLOCK_COLUMN, REGISTER_1_8_0],
            scaler_units=cache,
        )
    assert len(whole.rows) == 24
    assert whole.rows[-1].timestamp == dt.datetime(2025, 6, 15, 15, tzinfo=dt.UTC)
    assert selected.columns == (CLOCK_COLUMN, REGISTER_1_8_0)
    assert [row.timestamp.hour for row in selected.rows if row.timestamp] == [
        10,
        11,
        12,
        13,
        14,
        15,
    ]
    assert (
        selected.rows[0].values[1]
        == Decimal(meter.import_wh_at(_time("2025-06-15T10:00+00:00"))) / 1000
    )
    assert set(cache) == {IMPORT_ENERGY}


@pytest.mark.parametrize("default_tz", [None, VIENNA])
async def test_dst_change_in_the_profile(
    socket_enabled: None, default_tz: dt.tzinfo | None
) -> None:
    """Vienna falls back at 03:00 CEST on 2025-10-26: 02:00-02:59 happens twice. The meter
    sends -120 then -60 (and null clocks in between): 15-minute steps throughout. The
    range bounds go out in the meter's current offset, or per date in its zone."""
    now = _time("2025-10-26T06:00+01:00")
    meter = _meter(now, timezone=VIENNA, profile_history_days=1)
    selections = _record_selections(meter)
    async with MeterSimulator(meter) as sim, _client(sim.url) as client:
        profile = await read_profile(
            client,
            LOAD_PROFILE,
            start=dt.datetime(2025, 10, 26, 1, 30, tzinfo=VIENNA),
            end=dt.datetime(2025, 10, 26, 3, 30, tzinfo=VIENNA),
            default_tz=default_tz,
        )
    stamps = [row.timestamp for row in profile.rows]
    assert all(stamp is not None for stamp in stamps)
    # 01:30 CEST .. 03:30 CET is three hours, 12 steps.
    assert len(stamps) == 13
    assert all(b - a == dt.timedelta(minutes=15) for a, b in itertools.pairwise(stamps))  # type: ignore[operator]
    offsets = {row.clock.deviation for row in profile.rows if row.clock}
    assert offsets == {-120, -60}
    (selection,) = selections
    bounds = RangeDescriptor.from_access_selection(selection)
    low, high = (CosemDateTime.from_bytes(b.value) for b in (bounds.from_value, bounds.to_value))
    if default_tz is None:  # the meter's current offset (CET at 06:00)
        assert (low.hour, low.deviation, high.hour, high.deviation) == (0, -60, 3, -60)
    else:  # the wall time of each date, DST bit included
        assert (low.hour, low.deviation, low.clock_status) == (1, -120, 0x80)
        assert (high.hour, high.deviation, high.clock_status) == (3, -60, 0)
    statuses = [row.values[1] for row in profile.rows]
    assert statuses[0] == 0x08
    assert statuses[-1] == 0
    for row in profile.rows:
        assert row.timestamp is not None
        assert row.values[2] == Decimal(meter.import_wh_at(row.timestamp.timestamp()))


async def test_meter_without_deviation_needs_default_tz(socket_enabled: None) -> None:
    """0x8000 everywhere (E450-like): the wall time is read, and the range written, in the
    default zone; the DST bit tells the two 02:30s apart."""
    now = _time("2025-10-26T06:00+01:00")
    meter = _meter(now, timezone=VIENNA, clock_deviation=False, profile_history_days=1)
    selections = _record_selections(meter)
    start = dt.datetime(2025, 10, 26, 1, 30, tzinfo=VIENNA)
    end = dt.datetime(2025, 10, 26, 3, 30, tzinfo=VIENNA)
    async with MeterSimulator(meter) as sim, _client(sim.url) as client:
        profile = await read_profile(client, LOAD_PROFILE, start=start, end=end, default_tz=VIENNA)
        naive = await read_profile(client, LOAD_PROFILE, entries=(1, 3))
    assert all(row.clock is None or row.clock.deviation is None for row in profile.rows)
    stamps = [row.timestamp for row in profile.rows]
    assert len(stamps) == 13
    assert stamps[0] == start
    assert stamps[-1] == end
    utc = [stamp.astimezone(dt.UTC) for stamp in stamps if stamp]
    assert all(b - a == dt.timedelta(minutes=15) for a, b in itertools.pairwise(utc))
    assert len(set(utc)) == 13
    bounds = RangeDescriptor.from_access_selection(selections[0])
    low = CosemDateTime.from_bytes(bounds.from_value.value)
    assert (low.hour, low.minute, low.deviation, low.clock_status) == (1, 30, None, 0x80)
    # Without default_tz the meter's wall time stays naive.
    assert all(row.timestamp is not None and row.timestamp.tzinfo is None for row in naive.rows)


async def test_read_profile_over_a_ciphered_association(socket_enabled: None) -> None:
    keys = SecurityKeys(bytes(range(16)), bytes(range(16, 32)))
    server = ServerSettings(
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=keys,
    )
    meter = _meter()
    async with (
        MeterSimulator(meter, settings=server) as sim,
        _client(
            sim.url,
            client_address=1,
            mechanism=Mechanism.HIGH_GMAC,
            security_policy="authenticated-encryption",
            keys=keys,
            client_system_title=bytes.fromhex("4D4D4D0000000001"),
        ) as client,
    ):
        profile = await read_profile(client, LOAD_PROFILE, entries=(1, 40))
        # The association is usable afterwards (the counter went on increasing).
        assert (await client.get(AttributeDescriptor(3, IMPORT_ENERGY, 2))).value == meter.import_wh
    assert len(profile.rows) == 40


async def test_selective_access_errors(socket_enabled: None) -> None:
    async with MeterSimulator(_meter()) as sim, _client(sim.url) as client:
        with pytest.raises(EncodeError, match="not both"):
            await read_profile(client, LOAD_PROFILE, start=dt.datetime.now(dt.UTC), entries=(1, 2))
        with pytest.raises(DataAccessError, match="object-undefined"):
            await read_profile(client, "1.0.99.2.0.255", entries=(1, 2))
        with pytest.raises(EncodeError, match="not captured"):
            await read_profile(
                client,
                LOAD_PROFILE,
                columns=[CaptureObjectDefinition(3, Obis(1, 0, 3, 8, 0, 255), 2)],
            )
        with pytest.raises(EncodeError, match="adjacent"):
            await read_profile(
                client, LOAD_PROFILE, entries=(1, 2), columns=[CLOCK_COLUMN, REGISTER_1_8_0]
            )
        # A register has no selective access; the session goes on.
        register = AttributeDescriptor(3, IMPORT_ENERGY, 2)
        assert (
            await client.get_with_access(register, entry_selection())
            is DataAccessResult.OTHER_REASON
        )
        by_clock_status = RangeDescriptor(
            STATUS, Data(DataType.UNSIGNED, 0), Data(DataType.UNSIGNED, 1)
        )
        assert (
            await client.get_with_access(PROFILE_DESCRIPTOR, by_clock_status.encode())
            is DataAccessResult.OTHER_REASON
        )
        assert (
            await client.get_with_access(
                PROFILE_DESCRIPTOR, AccessSelection(9, Data(DataType.NULL_DATA)).encode()
            )
            is DataAccessResult.OTHER_REASON
        )
        plain = await client.get_with_access(AttributeDescriptor(7, LOAD_PROFILE, 4), None)
        assert plain == Data(DataType.DOUBLE_LONG_UNSIGNED, 900)


@pytest.mark.parametrize("ask", ["range", "entries", "columns"])
async def test_a_meter_without_selective_access_is_read_whole_and_selected_here(
    socket_enabled: None, ask: str
) -> None:
    """A meter that does not grant selective access (some do not): the client never sends
    an access selection, reads the whole buffer, and returns what the meter would have:
    the same rows and columns as a meter with selective access gives."""
    start = dt.datetime(2025, 6, 15, 2, tzinfo=dt.UTC)
    end = dt.datetime(2025, 6, 15, 14, tzinfo=dt.UTC)
    requests: dict[str, Any] = {
        "range": {"start": start, "end": end},
        "entries": {"entries": (5, 30), "columns": [REGISTER_1_8_0, STATUS]},
        "columns": {"start": start, "columns": [CLOCK_COLUMN, REGISTER_1_8_0]},
    }
    without = ServerSettings(conformance=SERVER_CONFORMANCE & ~Conformance.SELECTIVE_ACCESS)
    meter = _meter()
    selections = _record_selections(meter)
    async with MeterSimulator(meter, settings=without) as sim, _client(sim.url) as client:
        assert not client.association.supports(Conformance.SELECTIVE_ACCESS)
        here = await read_profile(client, LOAD_PROFILE, **requests[ask])
    assert selections == []  # nothing the meter did not grant
    async with MeterSimulator(_meter()) as sim, _client(sim.url) as client:
        assert client.association.supports(Conformance.SELECTIVE_ACCESS)
        there = await read_profile(client, LOAD_PROFILE, **requests[ask])
    assert here.columns == there.columns
    assert here.scaler_units == there.scaler_units
    assert [row.values for row in here.rows] == [row.values for row in there.rows]
    assert [row.timestamp for row in here.rows] == [row.timestamp for row in there.rows]
    assert len(here.rows) > 1
