"""Profile Generic (class 7, Blue Book 4.3.6): buffers as timestamped rows.

A buffer is an array of structures, one member per captured column. The clock column
(class 8, attribute 2) is converted with ``CosemDateTime`` (UTC = local + deviation).
Meters compress equidistant entries by sending null-data in the clock column: that
timestamp is the previous entry's plus ``capture_period`` seconds, counted in absolute
time so that a DST change in between is no trap. A buffer that *starts* with null clocks
is filled backwards from its first stamped entry. When the meter does not give its
deviation (0x8000), the wall time is read in ``default_tz``, and the clock status's DST
bit picks the right one of the twice-occurring autumn hour. Other columns are taken as
sent (null-data stays ``None``). Numeric columns whose object has a scaler_unit
(Register/Extended register value, Demand register averages) are scaled exactly
(``Decimal``) when their ``ScalerUnit`` is given.

Asking a meter for part of a buffer is ``selective_access``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..codecs.axdr import Data, DataType
from ..errors import DecodeError
from ..obis import Obis
from ._fields import expect
from .clock import CLOCK_STATUS_DST, CosemDateTime
from .interface_classes import (
    NUMERIC_TYPES,
    CaptureObjectDefinition,
    InterfaceClass,
    parse_buffer_rows,
    parse_capture_objects,
    scaler_unit_attribute,
)
from .units import ScalerUnit

UTC: Final = dt.UTC

__all__ = [
    "Profile",
    "ProfileRow",
    "parse_buffer",
    "parse_capture_objects",
    "parse_profile",
]


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """One buffer entry.

    ``timestamp`` is aware when the meter gives its deviation or ``default_tz`` is known,
    naive (meter wall time) otherwise, and None when the profile has no clock column.
    ``values`` has one item per column: the timestamp for the clock column, a ``Decimal``
    for scaled numeric columns, the plain Python value (``Data.to_python()``) otherwise,
    None for null-data. ``raw`` keeps the Data as sent; ``clock`` the date-time as sent
    (None when the meter sent null-data and the timestamp was rebuilt)."""

    timestamp: dt.datetime | None
    values: tuple[Any, ...]
    raw: tuple[Data, ...]
    clock: CosemDateTime | None = None

    @property
    def rebuilt(self) -> bool:
        """The timestamp was computed from the capture period, not sent."""
        return self.clock is None and self.timestamp is not None

    @property
    def clock_status(self) -> int | None:
        return self.clock.clock_status if self.clock else None


@dataclass(frozen=True, slots=True)
class Profile:
    """A (part of a) Profile Generic buffer: ``columns`` are the capture objects present
    in each row (all of ``capture_objects`` unless columns were selected)."""

    capture_objects: tuple[CaptureObjectDefinition, ...]
    capture_period: int
    rows: tuple[ProfileRow, ...]
    columns: tuple[CaptureObjectDefinition, ...] = ()
    scaler_units: tuple[ScalerUnit | None, ...] = ()
    logical_name: Obis | None = None

    def __post_init__(self) -> None:
        if not self.columns:
            object.__setattr__(self, "columns", self.capture_objects)
        if not self.scaler_units:
            object.__setattr__(self, "scaler_units", (None,) * len(self.columns))

    def column(self, obis: Obis | str, attribute: int = 2) -> int:
        """The index of the column capturing ``obis``/``attribute``; KeyError if absent."""
        code = Obis.parse(obis) if isinstance(obis, str) else obis
        for index, column in enumerate(self.columns):
            if column.logical_name == code and column.attribute_index == attribute:
                return index
        raise KeyError(f"{code} attribute {attribute} is not captured by this profile")

    def series(self, obis: Obis | str, attribute: int = 2) -> list[tuple[dt.datetime | None, Any]]:
        """``(timestamp, value)`` for one column, in buffer order."""
        index = self.column(obis, attribute)
        return [(row.timestamp, row.values[index]) for row in self.rows]

    def unit(self, obis: Obis | str, attribute: int = 2) -> str | None:
        scaler_unit = self.scaler_units[self.column(obis, attribute)]
        return scaler_unit.symbol if scaler_unit else None


def clock_column(columns: Sequence[CaptureObjectDefinition]) -> int | None:
    """The index of the first column capturing a Clock's time, if any."""
    for index, column in enumerate(columns):
        if column.class_id == InterfaceClass.CLOCK and column.attribute_index == 2:
            return index
    return None


def column_scaler_units(
    columns: Sequence[CaptureObjectDefinition], scaler_units: Mapping[Obis, ScalerUnit]
) -> tuple[ScalerUnit | None, ...]:
    """Per column, the ScalerUnit that applies to it (None for unscaled columns)."""
    return tuple(
        scaler_units.get(column.logical_name)
        if column.data_index == 0
        and scaler_unit_attribute(column.class_id, column.attribute_index) is not None
        else None
        for column in columns
    )


def parse_buffer(
    buffer: Data,
    columns: Sequence[CaptureObjectDefinition],
    *,
    capture_period: int,
    scaler_units: Mapping[Obis, ScalerUnit] | None = None,
    default_tz: dt.tzinfo | None = None,
) -> tuple[ProfileRow, ...]:
    """Rows of ``buffer`` (attribute 2) whose entries hold ``columns``; see the module
    docstring for timestamps and scaling."""
    entries = parse_buffer_rows(buffer)
    clock_index = clock_column(columns)
    units = column_scaler_units(columns, scaler_units or {})
    clocks: list[CosemDateTime | None] = []
    stamps: list[dt.datetime | None] = []
    for number, entry in enumerate(entries, 1):
        if len(entry) != len(columns):
            raise DecodeError(
                f"buffer entry {number} has {len(entry)} values for {len(columns)} columns"
            )
        if clock_index is None:
            clocks.append(None)
            stamps.append(None)
            continue
        raw = entry[clock_index]
        if raw.type is DataType.NULL_DATA:
            clocks.append(None)
            stamps.append(None)
            continue
        clock = CosemDateTime.from_bytes(
            expect(raw, DataType.OCTET_STRING, DataType.DATE_TIME, what="clock column")
        )
        clocks.append(clock)
        stamps.append(to_timestamp(clock, default_tz))
    if clock_index is not None:
        _rebuild_null_timestamps(stamps, capture_period)
    return tuple(
        ProfileRow(
            stamp,
            tuple(
                stamp if index == clock_index else _value(value, units[index])
                for index, value in enumerate(entry)
            ),
            entry,
            clock,
        )
        for entry, clock, stamp in zip(entries, clocks, stamps, strict=True)
    )


def parse_profile(
    buffer: Data,
    capture_objects: Data | Sequence[CaptureObjectDefinition],
    capture_period: Data | int,
    *,
    columns: Sequence[CaptureObjectDefinition] | None = None,
    scaler_units: Mapping[Obis, ScalerUnit] | None = None,
    default_tz: dt.tzinfo | None = None,
    logical_name: Obis | None = None,
) -> Profile:
    """A Profile from attributes 2, 3 and 4 as read (Data) or already parsed. ``columns``
    are the selected columns when the buffer was read with selected values."""
    objects = (
        parse_capture_objects(capture_objects)
        if isinstance(capture_objects, Data)
        else tuple(capture_objects)
    )
    period: int = (
        expect(capture_period, DataType.DOUBLE_LONG_UNSIGNED, what="capture_period")
        if isinstance(capture_period, Data)
        else capture_period
    )
    present = tuple(columns) if columns else objects
    rows = parse_buffer(
        buffer, present, capture_period=period, scaler_units=scaler_units, default_tz=default_tz
    )
    return Profile(
        objects,
        period,
        rows,
        present,
        column_scaler_units(present, scaler_units or {}),
        logical_name,
    )


def to_timestamp(clock: CosemDateTime, default_tz: dt.tzinfo | None = None) -> dt.datetime:
    """A buffer date-time as a datetime: aware with the meter's deviation when it gives one;
    else its wall time in ``default_tz`` (naive without one). In the autumn hour that
    occurs twice, the clock status's DST bit says which one is meant."""
    if clock.deviation is not None or default_tz is None:
        return clock.to_datetime()
    naive = clock.to_datetime()
    first = naive.replace(tzinfo=default_tz, fold=0)
    second = naive.replace(tzinfo=default_tz, fold=1)
    if first.utcoffset() == second.utcoffset() or clock.clock_status is None:
        return first
    wants_dst = bool(clock.clock_status & CLOCK_STATUS_DST)
    return first if bool(first.dst()) == wants_dst else second


def _rebuild_null_timestamps(stamps: list[dt.datetime | None], capture_period: int) -> None:
    """Fill null clocks from the previous entry (or, for leading ones, backwards from the
    first stamped entry) in steps of ``capture_period`` seconds, in absolute time."""
    if capture_period <= 0:
        return  # captured on demand: entries are not equidistant, nothing to infer
    step = dt.timedelta(seconds=capture_period)
    first = next((i for i, stamp in enumerate(stamps) if stamp is not None), None)
    if first is None:
        return
    anchor = stamps[first]
    assert anchor is not None
    for index in range(first - 1, -1, -1):
        stamps[index] = _shift(anchor, -(first - index) * step)
    previous = anchor
    for index in range(first + 1, len(stamps)):
        stamp = stamps[index]
        if stamp is None:
            stamp = stamps[index] = _shift(previous, step)
        previous = stamp


def _shift(stamp: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``stamp + delta`` in absolute time (Python adds wall time within a ZoneInfo zone)."""
    if stamp.tzinfo is None:
        return stamp + delta
    return (stamp.astimezone(UTC) + delta).astimezone(stamp.tzinfo)


def _value(data: Data, scaler_unit: ScalerUnit | None) -> Any:
    if data.type is DataType.NULL_DATA:
        return None
    if scaler_unit is not None and data.type in NUMERIC_TYPES:
        return scaler_unit.apply(data.value)
    return data.to_python()
