"""The simulated meter's object model: a small, realistic electricity meter.

Energy registers integrate the simulated power over wall-clock time, so they grow
between polls as a real meter's do and never go backwards.

The load profile 1-0:99.1.0.255 (Profile Generic) captures, every ``profile_capture_period``
seconds, the clock, the AMR profile status 0-0:96.10.1.255 and both energy registers. Its
history reaches ``profile_history_days`` before the simulation started (the registers are
extrapolated backwards at the same power), so a backfill has something to fetch; entries
are the registers' values at their capture time, exactly. It keeps at most
``profile_entries`` entries, dropping the oldest. The meter's clock is in ``timezone``
(the host's by default), with its deviation, or 0x8000 when ``clock_deviation`` is False.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.xdlms import AccessSelection, ActionResult, DataAccessResult, GetDataResult
from libdlms.cosem.clock import CLOCK_STATUS_DST, CosemDateTime
from libdlms.cosem.interface_classes import (
    ASSOCIATION_LN,
    CaptureObjectDefinition,
    InterfaceClass,
)
from libdlms.cosem.profile import to_timestamp
from libdlms.cosem.selective_access import EntryDescriptor, RangeDescriptor
from libdlms.errors import DecodeError
from libdlms.obis import Obis

AttributeGetter: TypeAlias = Callable[[], Data]
SelectiveGetter: TypeAlias = Callable[[AccessSelection], GetDataResult]
AttributeSetter: TypeAlias = Callable[[Data], DataAccessResult]
Method: TypeAlias = Callable[[Data | None], tuple[ActionResult, Data | None]]

DISCONNECT_CONTROL = 70
# Unit codes (IEC 62056-6-2): Wh 30, W 27, V 35, A 33, Hz 44.
WH, W, V, A, HZ = 30, 27, 35, 33, 44

CLOCK = Obis(0, 0, 1, 0, 0, 255)
LOAD_PROFILE = Obis(1, 0, 99, 1, 0, 255)
PROFILE_STATUS = Obis(0, 0, 96, 10, 1, 255)
IMPORT_ENERGY = Obis(1, 0, 1, 8, 0, 255)
EXPORT_ENERGY = Obis(1, 0, 2, 8, 0, 255)
LOAD_PROFILE_COLUMNS = (
    CaptureObjectDefinition(InterfaceClass.CLOCK, CLOCK, 2, 0),
    CaptureObjectDefinition(InterfaceClass.DATA, PROFILE_STATUS, 2, 0),
    CaptureObjectDefinition(InterfaceClass.REGISTER, IMPORT_ENERGY, 2, 0),
    CaptureObjectDefinition(InterfaceClass.REGISTER, EXPORT_ENERGY, 2, 0),
)
# AMR profile status bits (IDIS/DSMR): 0x08 daylight saving active.
STATUS_DST = 0x08


def _access_selectors(obj: CosemObject, attribute: int) -> Data:
    """The access selectors an attribute supports (null-data: none)."""
    if attribute not in obj.selective:
        return Data(DataType.NULL_DATA)
    return Data(DataType.ARRAY, [Data(DataType.INTEGER, 1), Data(DataType.INTEGER, 2)])


def _method_access(obj: CosemObject) -> Data:
    """Each method and its access mode (1: access)."""
    return Data(
        DataType.ARRAY,
        [
            Data(DataType.STRUCTURE, [Data(DataType.INTEGER, method), Data(DataType.ENUM, 1)])
            for method in sorted(obj.methods)
        ],
    )


def _scaler_unit(scaler: int, unit: int) -> Data:
    return Data(DataType.STRUCTURE, [Data(DataType.INTEGER, scaler), Data(DataType.ENUM, unit)])


@dataclass
class CosemObject:
    class_id: int
    obis: Obis
    attributes: dict[int, AttributeGetter]
    version: int = 0
    # Attributes that can be read with selective access, by attribute.
    selective: dict[int, SelectiveGetter] = field(default_factory=dict)
    # Attributes a client may SET, and the methods it may call (ACTION), by number.
    setters: dict[int, AttributeSetter] = field(default_factory=dict)
    methods: dict[int, Method] = field(default_factory=dict)


@dataclass
class SimulatedMeter:
    serial_number: str = "12345678"
    logical_device_name: str = "DLMSIM0012345678"
    firmware: str = "SIM-2.1.0"
    import_power_w: float = 1500.0
    export_power_w: float = 0.0
    start_import_wh: int = 1_234_567
    start_export_wh: int = 45_678
    clock: Callable[[], float] = time.time
    # The last invocation counter accepted from clients (IDIS 0-0:43.1.0.255), so that a
    # client can read it with the public client before a ciphered association.
    frame_counter: Callable[[], int] = lambda: 0
    timezone: dt.tzinfo | None = None  # the meter's local time; None: the host's
    clock_deviation: bool = True  # False: date-times say 0x8000 (deviation not specified)
    profile_capture_period: int = 900
    profile_history_days: float = 7.0
    profile_entries: int = 31 * 96
    # Send null-data in the clock column of entries that follow the previous one by exactly
    # the capture period, except every fourth (real meters compress their buffers so).
    profile_null_clocks: bool = True
    # Writes: the clock's time (SET, shift_time), a long writable octet string (the
    # metering point id, 0-0:96.1.10.255) and a disconnect control (0-0:96.3.10.255).
    # Off by default: a meter that only reads, as utility meters are to customers.
    writable: bool = False
    clock_offset: float = 0.0  # seconds the meter's clock is ahead of the host's
    metering_point: bytes = b""
    relay_connected: bool = True
    relay_locked: bool = False  # the utility locked the disconnector: ACTIONs refused
    objects: dict[Obis, CosemObject] = field(init=False)

    def __post_init__(self) -> None:
        self._started = self.clock()
        objects = [
            self._data(
                "0.0.42.0.0.255",
                lambda: Data(DataType.OCTET_STRING, self.logical_device_name.encode()),
            ),
            self._data(
                "0.0.96.1.0.255", lambda: Data(DataType.OCTET_STRING, self.serial_number.encode())
            ),
            self._data(
                "1.0.0.2.0.255", lambda: Data(DataType.OCTET_STRING, self.firmware.encode())
            ),
            self._data(
                "0.0.43.1.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.frame_counter()),
            ),
            CosemObject(
                InterfaceClass.CLOCK,
                CLOCK,
                {1: self._name(CLOCK), 2: self._now},
                setters={2: self._set_time} if self.writable else {},
                methods={6: self._shift_time} if self.writable else {},
            ),
            self._data(
                PROFILE_STATUS.dotted, lambda: Data(DataType.UNSIGNED, self.status(self.clock()))
            ),
            self._load_profile(),
            self._register(
                "1.0.1.8.0.255", lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.import_wh), 0, WH
            ),
            self._register(
                "1.0.2.8.0.255", lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.export_wh), 0, WH
            ),
            self._register(
                "1.0.1.7.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, round(self.power_w)),
                0,
                W,
            ),
            self._register(
                "1.0.2.7.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, round(self.export_power_w)),
                0,
                W,
            ),
            self._register(
                "1.0.32.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, self.voltage_dv), -1, V
            ),
            self._register(
                "1.0.31.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, self.current_ca), -2, A
            ),
            self._register("1.0.14.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, 5000), -2, HZ),
        ]
        if self.writable:
            objects += self._writable_objects()
        association = CosemObject(
            InterfaceClass.ASSOCIATION_LN,
            ASSOCIATION_LN,
            {1: self._name(ASSOCIATION_LN), 2: self._object_list},
            version=2,
        )
        self.objects = {obj.obis: obj for obj in [association, *objects]}

    # ------------------------------------------------------------------ live values

    @property
    def elapsed_hours(self) -> float:
        return max(0.0, self.clock() - self._started) / 3600

    @property
    def power_w(self) -> float:
        """Import power with a gentle wobble, as a household's is."""
        return self.import_power_w * (1 + 0.05 * math.sin(self.clock() / 60))

    @property
    def import_wh(self) -> int:
        return self.import_wh_at(self.clock())

    @property
    def export_wh(self) -> int:
        return self.export_wh_at(self.clock())

    def import_wh_at(self, when: float) -> int:
        """The import register's value at ``when`` (also before the simulation started)."""
        return self._energy_at(when, self.start_import_wh, self.import_power_w)

    def export_wh_at(self, when: float) -> int:
        return self._energy_at(when, self.start_export_wh, self.export_power_w)

    def _energy_at(self, when: float, start_wh: int, power_w: float) -> int:
        elapsed = when - self._started
        if elapsed >= 0:
            return start_wh + int(power_w * (elapsed / 3600))
        return max(0, start_wh + math.floor(power_w * (elapsed / 3600)))

    @property
    def voltage_dv(self) -> int:
        return 2300 + round(15 * math.sin(self.clock() / 90))

    @property
    def current_ca(self) -> int:
        return round(self.power_w / (self.voltage_dv / 10) * 100)

    def _now(self) -> Data:
        return Data(
            DataType.OCTET_STRING, self.date_time(self.clock() + self.clock_offset).to_bytes()
        )

    def local_time(self, when: float) -> dt.datetime:
        if self.timezone is None:
            return dt.datetime.fromtimestamp(when).astimezone()
        return dt.datetime.fromtimestamp(when, self.timezone)

    def date_time(self, when: float) -> CosemDateTime:
        """``when`` as the meter's clock shows it (DST bit in the clock status)."""
        local = self.local_time(when)
        stamp = CosemDateTime.from_datetime(
            local, clock_status=CLOCK_STATUS_DST if local.dst() else 0
        )
        if not self.clock_deviation:
            stamp = dataclasses.replace(stamp, deviation=None)
        return stamp

    def status(self, when: float) -> int:
        """The AMR profile status at ``when``."""
        return STATUS_DST if self.local_time(when).dst() else 0

    # ------------------------------------------------------------------ load profile

    def profile_times(self) -> list[float]:
        """Capture times of the entries in the buffer, oldest first."""
        period = self.profile_capture_period
        first = math.ceil((self._started - self.profile_history_days * 86400) / period)
        last = math.floor(self.clock() / period)
        first = max(first, last - self.profile_entries + 1)
        return [float(k * period) for k in range(first, last + 1)]

    def profile_entry(self, when: float) -> list[Data]:
        return [
            Data(DataType.OCTET_STRING, self.date_time(when).to_bytes()),
            Data(DataType.UNSIGNED, self.status(when)),
            Data(DataType.DOUBLE_LONG_UNSIGNED, self.import_wh_at(when)),
            Data(DataType.DOUBLE_LONG_UNSIGNED, self.export_wh_at(when)),
        ]

    def profile_buffer(self, times: list[float], columns: list[int] | None = None) -> Data:
        """The buffer entries captured at ``times``, with ``columns`` (indexes) only."""
        period = self.profile_capture_period
        selected = columns if columns is not None else list(range(len(LOAD_PROFILE_COLUMNS)))
        entries = []
        previous: float | None = None
        for position, when in enumerate(times):
            values = self.profile_entry(when)
            if (
                self.profile_null_clocks
                and previous is not None
                and when - previous == period
                and position % 4
            ):
                values[0] = Data(DataType.NULL_DATA)
            previous = when
            entries.append(Data(DataType.STRUCTURE, [values[i] for i in selected]))
        return Data(DataType.ARRAY, entries)

    def _profile_selective(self, selection: AccessSelection) -> GetDataResult:
        times = self.profile_times()
        try:
            if selection.selector == RangeDescriptor.SELECTOR:
                return self._profile_by_range(RangeDescriptor.from_access_selection(selection))
            if selection.selector == EntryDescriptor.SELECTOR:
                entry = EntryDescriptor.from_access_selection(selection)
                last = entry.to_entry or len(times)
                to_column = entry.to_selected_value or len(LOAD_PROFILE_COLUMNS)
                if entry.from_entry < 1 or entry.from_selected_value < 1:
                    return DataAccessResult.OTHER_REASON
                return self.profile_buffer(
                    times[entry.from_entry - 1 : last],
                    list(range(entry.from_selected_value - 1, to_column)),
                )
        except DecodeError:
            return DataAccessResult.TYPE_UNMATCHED
        return DataAccessResult.OTHER_REASON

    def _profile_by_range(self, selection: RangeDescriptor) -> GetDataResult:
        if selection.restricting_object != LOAD_PROFILE_COLUMNS[0]:
            return DataAccessResult.OTHER_REASON  # only the clock restricts, as on most meters
        low, high = (self._instant(value) for value in (selection.from_value, selection.to_value))
        try:
            columns = [LOAD_PROFILE_COLUMNS.index(c) for c in selection.selected_values]
        except ValueError:
            return DataAccessResult.OTHER_REASON
        times = [when for when in self.profile_times() if low <= when <= high]
        return self.profile_buffer(times, columns or None)

    def _instant(self, bound: Data) -> float:
        """A range bound as a POSIX time: with its deviation, else as this meter's wall
        time (with the DST bit choosing in the autumn hour)."""
        if bound.type not in (DataType.OCTET_STRING, DataType.DATE_TIME):
            raise DecodeError("range bound is not a date-time")
        stamp = CosemDateTime.from_bytes(bound.value)
        # Naive (no deviation, host time zone): timestamp() reads it as host local time.
        return to_timestamp(stamp, self.timezone).timestamp()

    # ------------------------------------------------------------------ writes

    def _set_time(self, value: Data) -> DataAccessResult:
        if value.type is not DataType.OCTET_STRING or not isinstance(value.value, bytes):
            return DataAccessResult.TYPE_UNMATCHED
        try:
            wanted = to_timestamp(CosemDateTime.from_bytes(value.value), self.timezone)
        except DecodeError:
            return DataAccessResult.TYPE_UNMATCHED
        self.clock_offset = wanted.timestamp() - self.clock()
        return DataAccessResult.SUCCESS

    def _shift_time(self, parameters: Data | None) -> tuple[ActionResult, Data | None]:
        """Clock method 6, shift_time(long): -900..900 seconds."""
        if parameters is None or parameters.type is not DataType.LONG:
            return ActionResult.TYPE_UNMATCHED, None
        assert isinstance(parameters.value, int)
        if not -900 <= parameters.value <= 900:
            return ActionResult.OTHER_REASON, None
        self.clock_offset += parameters.value
        return ActionResult.SUCCESS, None

    def _set_metering_point(self, value: Data) -> DataAccessResult:
        if value.type is not DataType.OCTET_STRING or not isinstance(value.value, bytes):
            return DataAccessResult.TYPE_UNMATCHED
        self.metering_point = value.value
        return DataAccessResult.SUCCESS

    def _relay(self, connect: bool) -> Method:
        def switch(parameters: Data | None) -> tuple[ActionResult, Data | None]:
            if parameters is None or parameters.type is not DataType.INTEGER:
                return ActionResult.TYPE_UNMATCHED, None
            if self.relay_locked:
                return ActionResult.TEMPORARY_FAILURE, None
            self.relay_connected = connect
            return ActionResult.SUCCESS, None

        return switch

    def _writable_objects(self) -> list[CosemObject]:
        point = self._data(
            "0.0.96.1.10.255", lambda: Data(DataType.OCTET_STRING, self.metering_point)
        )
        point.setters[2] = self._set_metering_point
        relay = Obis(0, 0, 96, 3, 10, 255)
        disconnect = CosemObject(
            DISCONNECT_CONTROL,
            relay,
            {
                1: self._name(relay),
                2: lambda: Data(DataType.BOOLEAN, self.relay_connected),
                # control_state: 0 disconnected, 1 connected
                3: lambda: Data(DataType.ENUM, int(self.relay_connected)),
                4: lambda: Data(DataType.ENUM, 1),  # control_mode
            },
            methods={1: self._relay(False), 2: self._relay(True)},
        )
        return [point, disconnect]

    def set(self, class_id: int, obis: Obis, attribute: int, value: Data) -> DataAccessResult:
        obj = self.objects.get(obis)
        if obj is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if obj.class_id != class_id:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        setter = obj.setters.get(attribute)
        if setter is None:
            return (
                DataAccessResult.READ_WRITE_DENIED
                if attribute in obj.attributes
                else DataAccessResult.OBJECT_UNDEFINED
            )
        return setter(value)

    def action(
        self, class_id: int, obis: Obis, method: int, parameters: Data | None
    ) -> tuple[ActionResult, Data | None]:
        obj = self.objects.get(obis)
        if obj is None:
            return ActionResult.OBJECT_UNDEFINED, None
        if obj.class_id != class_id:
            return ActionResult.OBJECT_CLASS_INCONSISTENT, None
        call = obj.methods.get(method)
        if call is None:
            return ActionResult.OBJECT_UNAVAILABLE, None
        return call(parameters)

    # ------------------------------------------------------------------ service

    def get(
        self,
        class_id: int,
        obis: Obis,
        attribute: int,
        selection: AccessSelection | None = None,
    ) -> GetDataResult:
        obj = self.objects.get(obis)
        if obj is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if obj.class_id != class_id:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        if selection is not None:
            selective = obj.selective.get(attribute)
            if selective is None:
                return DataAccessResult.OTHER_REASON  # no selective access on this one
            return selective(selection)
        getter = obj.attributes.get(attribute)
        if getter is None:
            return DataAccessResult.OBJECT_UNDEFINED
        return getter()

    # ------------------------------------------------------------------ builders

    @staticmethod
    def _name(obis: Obis) -> AttributeGetter:
        return lambda: Data(DataType.OCTET_STRING, obis.to_bytes())

    def _data(self, obis: str, value: AttributeGetter) -> CosemObject:
        code = Obis.parse(obis)
        return CosemObject(InterfaceClass.DATA, code, {1: self._name(code), 2: value})

    def _register(self, obis: str, value: AttributeGetter, scaler: int, unit: int) -> CosemObject:
        code = Obis.parse(obis)
        return CosemObject(
            InterfaceClass.REGISTER,
            code,
            {1: self._name(code), 2: value, 3: lambda: _scaler_unit(scaler, unit)},
        )

    def _load_profile(self) -> CosemObject:
        def number(value: Callable[[], int]) -> AttributeGetter:
            return lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, value())

        return CosemObject(
            InterfaceClass.PROFILE_GENERIC,
            LOAD_PROFILE,
            {
                1: self._name(LOAD_PROFILE),
                2: lambda: self.profile_buffer(self.profile_times()),
                3: lambda: Data(DataType.ARRAY, [c.to_data() for c in LOAD_PROFILE_COLUMNS]),
                4: number(lambda: self.profile_capture_period),
                5: lambda: Data(DataType.ENUM, 1),  # fifo
                6: lambda: CaptureObjectDefinition(0, Obis(0, 0, 0, 0, 0, 0), 0, 0).to_data(),
                7: number(lambda: len(self.profile_times())),
                8: number(lambda: self.profile_entries),
            },
            version=1,
            selective={2: self._profile_selective},
        )

    def _object_list(self) -> Data:
        elements = []
        for obj in self.objects.values():
            attribute_access = Data(
                DataType.ARRAY,
                [
                    Data(
                        DataType.STRUCTURE,
                        [
                            Data(DataType.INTEGER, attribute),
                            # 1 read-only, 3 read-and-write
                            Data(DataType.ENUM, 3 if attribute in obj.setters else 1),
                            _access_selectors(obj, attribute),
                        ],
                    )
                    for attribute in sorted(obj.attributes)
                ],
            )
            elements.append(
                Data(
                    DataType.STRUCTURE,
                    [
                        Data(DataType.LONG_UNSIGNED, obj.class_id),
                        Data(DataType.UNSIGNED, obj.version),
                        Data(DataType.OCTET_STRING, obj.obis.to_bytes()),
                        Data(DataType.STRUCTURE, [attribute_access, _method_access(obj)]),
                    ],
                )
            )
        return Data(DataType.ARRAY, elements)
