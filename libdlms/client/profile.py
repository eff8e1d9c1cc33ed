"""Reading a Profile Generic (a load profile) from a meter, by range or by entry.

``read_profile`` makes at most three exchanges: capture_objects and capture_period (and,
for a range, the meter's clock, to learn its deviation convention) in one GET with-list;
the scaler_units of the captured registers not yet in the caller's cache; then the buffer
with selective access, which long profiles send by block transfer (the association does
the GET-next round trips, invoke-id unchanged). A meter that did not grant selective access
in its conformance is sent the whole buffer request and the entries, range and columns
asked for are selected here: slower on a long buffer, but the same answer.

"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import replace

from ..codecs.axdr import Data
from ..codecs.xdlms import (
    AttributeDescriptor,
    Conformance,
    GetDataResult,
    data_access_result_name,
)
from ..cosem.clock import CosemDateTime
from ..cosem.interface_classes import (
    CaptureObjectDefinition,
    InterfaceClass,
    parse_attribute,
    parse_date_time,
    parse_scaler_unit,
    scaler_unit_attribute,
)
from ..cosem.profile import Profile, clock_column, parse_profile
from ..cosem.selective_access import (
    CLOCK,
    EntryDescriptor,
    date_time_bound,
    range_descriptor,
)
from ..cosem.units import ScalerUnit
from ..errors import DataAccessError, DecodeError, EncodeError
from ..obis import Obis
from .client import DlmsClient

_LOGGER = logging.getLogger(__name__)

PROFILE_GENERIC = InterfaceClass.PROFILE_GENERIC
BUFFER, CAPTURE_OBJECTS, CAPTURE_PERIOD = 2, 3, 4
# Open range ends: the oldest a meter can hold, and a day past its clock.
EARLIEST: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
OPEN_END_MARGIN = dt.timedelta(days=1)


async def read_profile(
    client: DlmsClient,
    obis: Obis | str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    entries: tuple[int, int] | None = None,
    columns: Sequence[CaptureObjectDefinition] | None = None,
    scaler_units: MutableMapping[Obis, ScalerUnit] | None = None,
    default_tz: dt.tzinfo | None = None,
) -> Profile:
    """Read the Profile Generic ``obis`` over an open ``client``.

    - ``start``/``end``: the entries whose clock lies in that range, both inclusive (one
      of them may be left open). Aware datetimes are converted to the meter's wall time
      (see ``default_tz``), naive ones are taken as the meter's wall time.
    - ``entries``: ``(from_entry, to_entry)`` instead, counted from 1 (oldest first), a
      ``to_entry`` of 0 meaning the newest.
    - Neither: the whole buffer.
    - ``columns``: only these capture objects (all by default).
    - ``scaler_units``: a cache by OBIS, filled with the scaler_units read here; keep it
      across calls (scaler_units are static configuration of the meter).
    - ``default_tz``: the meter's time zone. Needed for a meter that does not give its
      deviation (0x8000): its timestamps are read as wall time in that zone (naive
      without it). Range bounds are written as wall time in that zone (else in the
      meter's current offset), with the DST bit in the clock status.

    Rows come as the meter sent them (some meters add the entry before ``start``). A meter
    that refuses selective access although it granted it answers with a data-access-result:
    DataAccessError."""
    code = Obis.parse(obis) if isinstance(obis, str) else obis
    if entries is not None and (start is not None or end is not None):
        raise EncodeError("read a profile by range or by entry, not both")
    ranged = start is not None or end is not None
    header = [
        AttributeDescriptor(PROFILE_GENERIC, code, CAPTURE_OBJECTS),
        AttributeDescriptor(PROFILE_GENERIC, code, CAPTURE_PERIOD),
    ]
    if ranged:
        header.append(AttributeDescriptor(InterfaceClass.CLOCK, CLOCK, 2))
    results = await client.get_many(header)
    capture_objects = parse_attribute(
        PROFILE_GENERIC, CAPTURE_OBJECTS, _value(results[0], header[0])
    )
    capture_period: int = parse_attribute(
        PROFILE_GENERIC, CAPTURE_PERIOD, _value(results[1], header[1])
    )
    selected = tuple(columns) if columns else ()
    for column in selected:
        if column not in capture_objects:
            raise EncodeError(f"{column.logical_name} is not captured by {code}")

    cache = scaler_units if scaler_units is not None else {}
    await _read_scaler_units(client, selected or capture_objects, cache)

    selection: bytes | None = None
    present = selected or capture_objects
    meter_tz: dt.tzinfo | None = default_tz
    if entries is not None:
        descriptor = _entry_descriptor(entries, capture_objects, selected)
        selection = descriptor.encode()
        present = descriptor.columns(capture_objects)
    elif ranged:
        meter_clock = _meter_clock(results[2])
        meter_tz, deviation = _bound_encoding(meter_clock, default_tz)
        bounds = [
            _bound(when, meter_tz, deviation)
            for when in (start or EARLIEST, end or _open_end(meter_clock, default_tz))
        ]
        selection = range_descriptor(*bounds, columns=selected).encode()
    descriptor_buffer = AttributeDescriptor(PROFILE_GENERIC, code, BUFFER)
    # A meter that did not grant selective access sends its whole buffer; we select here.
    here = selection is not None and not client.association.supports(Conformance.SELECTIVE_ACCESS)
    if here:
        _LOGGER.debug("no selective access granted: reading all of %s, selecting here", code)
    asked = None if here else selection
    buffer = _value(await client.get_with_access(descriptor_buffer, asked), descriptor_buffer)
    profile = parse_profile(
        buffer,
        capture_objects,
        capture_period,
        columns=None if here else present,
        scaler_units=cache,
        default_tz=default_tz,
        logical_name=code,
    )
    if not here:
        return profile
    return select_here(
        profile, columns=present, entries=entries, start=start, end=end, meter_tz=meter_tz
    )


def select_here(
    profile: Profile,
    *,
    columns: Sequence[CaptureObjectDefinition],
    entries: tuple[int, int] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    meter_tz: dt.tzinfo | None = None,
) -> Profile:
    """What selective access would have returned, selected from the whole buffer: the
    entries ``(from, to)`` (1 the oldest, ``to`` 0 the newest) or the rows whose time lies
    in ``start``..``end`` (inclusive; rows without a time are kept, as the meter cannot
    restrict them either), then the ``columns``. Naive times are the meter's wall time in
    ``meter_tz``."""
    rows = list(profile.rows)
    if entries is not None:
        first, last = entries
        rows = rows[max(first, 1) - 1 : last or None]
    elif start is not None or end is not None:
        rows = [
            row
            for row in rows
            if row.timestamp is None or _within(row.timestamp, start, end, meter_tz)
        ]
    indexes = [profile.columns.index(column) for column in columns]
    timed = clock_column(columns) is not None  # as parsed from the selected columns alone
    return replace(
        profile,
        columns=tuple(columns),
        scaler_units=tuple(profile.scaler_units[i] for i in indexes),
        rows=tuple(
            replace(
                row,
                timestamp=row.timestamp if timed else None,
                clock=row.clock if timed else None,
                values=tuple(row.values[i] for i in indexes),
                raw=tuple(row.raw[i] for i in indexes),
            )
            for row in rows
        ),
    )


def _within(
    when: dt.datetime,
    start: dt.datetime | None,
    end: dt.datetime | None,
    meter_tz: dt.tzinfo | None,
) -> bool:
    def comparable(bound: dt.datetime) -> dt.datetime:
        if (bound.tzinfo is None) == (when.tzinfo is None):
            return bound
        if when.tzinfo is None:  # the meter's wall time
            return (bound.astimezone(meter_tz) if meter_tz else bound).replace(tzinfo=None)
        return bound.replace(tzinfo=meter_tz or when.tzinfo)

    return (start is None or comparable(start) <= when) and (end is None or when <= comparable(end))


def _value(result: GetDataResult, descriptor: AttributeDescriptor) -> Data:
    if not isinstance(result, Data):
        raise DataAccessError(
            f"{descriptor}: {data_access_result_name(result)}", result=int(result)
        )
    return result


async def _read_scaler_units(
    client: DlmsClient,
    columns: Sequence[CaptureObjectDefinition],
    cache: MutableMapping[Obis, ScalerUnit],
) -> None:
    """Read the scaler_unit of every scaled column not cached yet. One that cannot be read
    is an error: an unscaled energy value would be off by powers of ten."""
    wanted: dict[Obis, AttributeDescriptor] = {}
    for column in columns:
        attribute = scaler_unit_attribute(column.class_id, column.attribute_index)
        if attribute is not None and column.logical_name not in cache:
            wanted[column.logical_name] = AttributeDescriptor(
                column.class_id, column.logical_name, attribute
            )
    if not wanted:
        return
    results = await client.get_many(list(wanted.values()))
    for (obis, descriptor), result in zip(wanted.items(), results, strict=True):
        try:
            cache[obis] = parse_scaler_unit(_value(result, descriptor))
        except DecodeError as err:
            raise DecodeError(f"{descriptor} (scaler_unit): {err}") from None


def _entry_descriptor(
    entries: tuple[int, int],
    capture_objects: Sequence[CaptureObjectDefinition],
    selected: Sequence[CaptureObjectDefinition],
) -> EntryDescriptor:
    from_entry, to_entry = entries
    if not selected:
        return EntryDescriptor(from_entry, to_entry)
    indexes = sorted(capture_objects.index(column) + 1 for column in selected)
    if indexes != list(range(indexes[0], indexes[-1] + 1)):
        raise EncodeError("by entry, the selected columns must be adjacent capture objects")
    return EntryDescriptor(from_entry, to_entry, indexes[0], indexes[-1])


def _meter_clock(result: GetDataResult) -> CosemDateTime | None:
    """The meter's current time, when it lets us read it."""
    if not isinstance(result, Data):
        _LOGGER.debug("clock unreadable (%s)", data_access_result_name(result))
        return None
    try:
        return parse_date_time(result)
    except DecodeError as err:
        _LOGGER.debug("clock undecodable: %s", err)
        return None


def _bound_encoding(
    meter_clock: CosemDateTime | None, default_tz: dt.tzinfo | None
) -> tuple[dt.tzinfo | None, bool]:
    """The zone whose wall time the range bounds are written in, and whether they carry a
    deviation. The meter's zone (``default_tz``) when known, else its clock's current
    offset; no deviation (0x8000) when its clock gives none: such a meter compares its
    own wall time. Either way a meter comparing wall times finds its own in the bounds."""
    if meter_clock is None:
        return default_tz, True  # clock unreadable: the zone we were given, if any
    if meter_clock.deviation is None:
        return default_tz, False
    return default_tz or dt.timezone(dt.timedelta(minutes=-meter_clock.deviation)), True


def _bound(when: dt.datetime, meter_tz: dt.tzinfo | None, deviation: bool) -> Data:
    """A range bound in the meter's terms. Naive bounds are the meter's wall time."""
    if when.tzinfo is None and meter_tz is not None:
        when = when.replace(tzinfo=meter_tz)
    return date_time_bound(when, meter_tz=meter_tz, deviation=deviation and when.tzinfo is not None)


def _open_end(meter_clock: CosemDateTime | None, default_tz: dt.tzinfo | None) -> dt.datetime:
    """An upper bound past the newest entry: a day after the later of our clock and the
    meter's (which may be wrong by hours, or not say its offset)."""
    now = dt.datetime.now(dt.UTC)
    if meter_clock is not None:
        with contextlib.suppress(DecodeError):
            now = max(now, meter_clock.to_datetime(default_tz or dt.UTC))
    return now + OPEN_END_MARGIN


__all__ = ["read_profile", "select_here"]
