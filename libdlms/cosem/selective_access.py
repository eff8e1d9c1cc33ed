"""Selective access to a Profile Generic buffer (Blue Book 4.3.6; Green Book 9.3 for the
access selectors): how to ask a meter for part of a load profile.

A GET carries selective access as an access selector and its parameters
(``codecs.xdlms.AccessSelection``); this module gives them their COSEM meaning.

By range (selector 1)
    ``{restricting_object, from_value, to_value, selected_values}``, with the clock column
    ``{8, 0-0:1.0.0.255, 2, 0}`` as restricting object and date-times as bounds; meters
    treat both bounds as inclusive.
By entry (selector 2)
    ``{from_entry, to_entry, from_selected_value, to_selected_value}``, entries and columns
    counted from 1, and 0 meaning "up to the last".

Both select columns by capture object definition (``interface_classes.
CaptureObjectDefinition``, the element of Profile Generic attribute 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Final

from ..codecs.axdr import Data, DataType
from ..codecs.xdlms import AccessSelection
from ..errors import DecodeError, EncodeError
from ..obis import Obis
from ._fields import expect, fields
from .clock import CLOCK_STATUS_DST, CosemDateTime
from .interface_classes import CaptureObjectDefinition, InterfaceClass

CLOCK: Final = Obis(0, 0, 1, 0, 0, 255)

__all__ = [
    "CLOCK",
    "CLOCK_COLUMN",
    "EntryDescriptor",
    "RangeDescriptor",
    "date_time_bound",
    "entry_selection",
    "range_descriptor",
    "range_selection",
]


CLOCK_COLUMN: Final = CaptureObjectDefinition(InterfaceClass.CLOCK, CLOCK, 2, 0)


@dataclass(frozen=True, slots=True)
class RangeDescriptor:
    """Selective access by range (access selector 1, Profile Generic attribute 2).

    ``from_value``/``to_value`` are kept as Data (usually date-time octet strings, encoded
    as ``09 0C …``), so the deviation the meter expects is exactly what is sent."""

    SELECTOR: ClassVar[int] = 1

    restricting_object: CaptureObjectDefinition
    from_value: Data
    to_value: Data
    selected_values: tuple[CaptureObjectDefinition, ...] = ()

    def to_access_selection(self) -> AccessSelection:
        return AccessSelection(
            self.SELECTOR,
            Data(
                DataType.STRUCTURE,
                [
                    self.restricting_object.to_data(),
                    self.from_value,
                    self.to_value,
                    Data(DataType.ARRAY, [v.to_data() for v in self.selected_values]),
                ],
            ),
        )

    def encode(self) -> bytes:
        """The access-selection body (selector + parameters)."""
        return self.to_access_selection().encode()

    @classmethod
    def from_access_selection(cls, selection: AccessSelection) -> RangeDescriptor:
        if selection.selector != cls.SELECTOR:
            raise DecodeError(f"access selector {selection.selector} is not a range descriptor")
        items = fields(selection.parameters, 4, "range descriptor")
        if items[3].type is not DataType.ARRAY:
            raise DecodeError("selected_values must be an array")
        return cls(
            CaptureObjectDefinition.from_data(items[0]),
            items[1],
            items[2],
            tuple(CaptureObjectDefinition.from_data(v) for v in items[3].value),
        )

    @classmethod
    def decode(cls, data: bytes) -> RangeDescriptor:
        return cls.from_access_selection(AccessSelection.decode(data))


@dataclass(frozen=True, slots=True)
class EntryDescriptor:
    """Selective access by entry (access selector 2): entries ``from_entry``..``to_entry``
    and columns ``from_selected_value``..``to_selected_value``, all counted from 1; a 0
    upper bound means "to the last"."""

    SELECTOR: ClassVar[int] = 2

    from_entry: int = 1
    to_entry: int = 0
    from_selected_value: int = 1
    to_selected_value: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.from_entry <= 0xFFFFFFFF or not 0 <= self.to_entry <= 0xFFFFFFFF:
            raise EncodeError("entry numbers are double-long-unsigned")
        if not 0 <= self.from_selected_value <= 0xFFFF or not 0 <= self.to_selected_value <= 0xFFFF:
            raise EncodeError("column numbers are long-unsigned")

    def to_access_selection(self) -> AccessSelection:
        return AccessSelection(
            self.SELECTOR,
            Data(
                DataType.STRUCTURE,
                [
                    Data(DataType.DOUBLE_LONG_UNSIGNED, self.from_entry),
                    Data(DataType.DOUBLE_LONG_UNSIGNED, self.to_entry),
                    Data(DataType.LONG_UNSIGNED, self.from_selected_value),
                    Data(DataType.LONG_UNSIGNED, self.to_selected_value),
                ],
            ),
        )

    def encode(self) -> bytes:
        """The access-selection body (selector + parameters)."""
        return self.to_access_selection().encode()

    @classmethod
    def from_access_selection(cls, selection: AccessSelection) -> EntryDescriptor:
        if selection.selector != cls.SELECTOR:
            raise DecodeError(f"access selector {selection.selector} is not an entry descriptor")
        items = fields(selection.parameters, 4, "entry descriptor")
        return cls(
            expect(items[0], DataType.DOUBLE_LONG_UNSIGNED, what="from_entry"),
            expect(items[1], DataType.DOUBLE_LONG_UNSIGNED, what="to_entry"),
            expect(items[2], DataType.LONG_UNSIGNED, what="from_selected_value"),
            expect(items[3], DataType.LONG_UNSIGNED, what="to_selected_value"),
        )

    @classmethod
    def decode(cls, data: bytes) -> EntryDescriptor:
        return cls.from_access_selection(AccessSelection.decode(data))

    def columns(
        self, capture_objects: Sequence[CaptureObjectDefinition]
    ) -> tuple[CaptureObjectDefinition, ...]:
        """The capture objects the selected columns are."""
        last = self.to_selected_value or len(capture_objects)
        return tuple(capture_objects[max(self.from_selected_value, 1) - 1 : last])


def date_time_bound(
    when: dt.datetime,
    *,
    meter_tz: dt.tzinfo | None = None,
    deviation: bool = True,
    clock_status: int | None = None,
    day_of_week: bool = True,
) -> Data:
    """A range bound as the meter expects it: a 12-byte date-time octet-string.

    ``when`` is first converted to ``meter_tz`` (the meter's wall clock) when given. With
    ``deviation`` the bound carries minus its UTC offset (UTC = local + deviation, e.g.
    -60 for CET); without, 0x8000 (for meters that do not specify theirs: then ``when``
    must be their wall time, or aware and ``meter_tz`` given). ``clock_status`` defaults
    to the DST bit of ``when``'s zone (0x80 in summer, else 0). ``day_of_week`` False
    sends 0xFF (not specified), as some tools do."""
    if meter_tz is not None and when.tzinfo is not None:
        when = when.astimezone(meter_tz)
    if deviation and when.utcoffset() is None:
        raise EncodeError("a range bound with a deviation needs an aware datetime or meter_tz")
    if clock_status is None:
        clock_status = CLOCK_STATUS_DST if when.dst() else 0
    stamp = CosemDateTime.from_datetime(when, clock_status=clock_status)
    if not deviation:
        stamp = replace(stamp, deviation=None)
    if not day_of_week:
        stamp = replace(stamp, day_of_week=None)
    return Data(DataType.OCTET_STRING, stamp.to_bytes())


def range_descriptor(
    start: dt.datetime | Data,
    end: dt.datetime | Data,
    *,
    columns: Sequence[CaptureObjectDefinition] = (),
    restricting_object: CaptureObjectDefinition = CLOCK_COLUMN,
    meter_tz: dt.tzinfo | None = None,
    deviation: bool = True,
    clock_status: int | None = None,
    day_of_week: bool = True,
) -> RangeDescriptor:
    """Selector 1: entries whose clock is within ``start``..``end`` (inclusive), ``columns``
    only (all when empty). Datetimes are encoded with ``date_time_bound``; Data bounds go
    out as they are."""

    def bound(value: dt.datetime | Data) -> Data:
        if isinstance(value, Data):
            return value
        return date_time_bound(
            value,
            meter_tz=meter_tz,
            deviation=deviation,
            clock_status=clock_status,
            day_of_week=day_of_week,
        )

    return RangeDescriptor(restricting_object, bound(start), bound(end), tuple(columns))


def range_selection(start: dt.datetime | Data, end: dt.datetime | Data, **options: Any) -> bytes:
    """The access-selection bytes (selector + parameters) of ``range_descriptor``."""
    return range_descriptor(start, end, **options).encode()


def entry_selection(
    from_entry: int = 1,
    to_entry: int = 0,
    from_selected_value: int = 1,
    to_selected_value: int = 0,
) -> bytes:
    """The access-selection bytes of an ``EntryDescriptor``."""
    return EntryDescriptor(from_entry, to_entry, from_selected_value, to_selected_value).encode()
