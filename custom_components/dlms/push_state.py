"""What a push meter's entities show, from the notifications it sent: pure logic, no I/O.

The push coordinator feeds every notification here with the time it arrived (the clock is
the caller's, so tests move it). ``PushState`` keeps:
- the published values by key (the dotted OBIS code, ``position_N`` for a value the meter
  sends without one); a value absent from a notification keeps its last value: Norwegian
  meters send energy only in the hourly list, between hours it stays what the last hour said;
- the time each value was measured: the notification's own header time when it has one (an
  hourly register read at 10:00:00 belongs to 10:00, even when it arrives at 10:00:07 or
  is decoded later), else the arrival time;
- the energy guard of the polled path (``MonotonicFilter``): a cumulative register never goes
  backwards and never jumps to zero on one bad notification;
- silence: the meter's push interval learnt from the gaps between notifications, and after a
  configurable silence (default three missed intervals, never under 30 s) the values count
  as unavailable;
- the update throttle: entities updated at most every N seconds (the recorder need not
  store a 1 s power curve), values arriving in between are kept and published at the end
  of the period.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .libdlms import (
    Notification,
    Obis,
    PushValue,
    manufacturer_for_flag,
    manufacturer_name,
)
from .values import MeterData, MonotonicFilter, ObisValue

# Silence: this many missed push intervals, and never less than MIN_SILENCE seconds (a
# bridge that reconnects, a meter that sends its 10 s list late).
MISSED_INTERVALS: Final = 3
MIN_SILENCE: Final = 30.0
# Gaps shorter than this are two lists sent together (the 10 s list right after the 2 s
# one), not the push interval.
MIN_GAP: Final = 0.5
GAPS_KEPT: Final = 10

# What a notification says about its meter (OBIS codes of the Norwegian and IDIS lists, and
# the names format profiles give these positions).
METER_ID_OBIS: Final = (Obis(0, 0, 96, 1, 0, 255), Obis(0, 0, 96, 1, 1, 255))
METER_TYPE_OBIS: Final = (Obis(0, 0, 96, 1, 7, 255),)
LIST_VERSION_OBIS: Final = (Obis(1, 1, 0, 2, 129, 255), Obis(0, 0, 96, 1, 2, 255))
METER_ID_NAMES: Final = frozenset({"meter_id", "meter_serial", "serial_number"})
METER_TYPE_NAMES: Final = frozenset({"meter_type", "meter_model"})
LIST_VERSION_NAMES: Final = frozenset({"list_version", "list_id", "obis_list_version"})
# List identifiers' first letters -> manufacturer (the list identifier is the first value of
# the Norwegian lists: AIDON_V0001, KFM_001, Kamstrup_V0001).
LIST_MANUFACTURERS: Final = {"AIDON": "Aidon", "KFM": "Kaifa", "KAMSTRUP": "Kamstrup"}


def value_key(value: PushValue) -> str:
    """A value's sensor key: its dotted OBIS code, else its position in the payload."""
    return value.obis.dotted if value.obis is not None else f"position_{value.position}"


def key_obis(key: str) -> Obis | None:
    """The OBIS code a sensor key names (None for ``position_N``)."""
    return None if key.startswith("position_") else Obis.parse(key)


def push_value(value: PushValue) -> ObisValue:
    """A pushed value as published: a number with its scaler applied exactly, else text
    (date-times as ISO 8601), None for null-data."""
    scaled = value.scaled_value
    published: Decimal | str | None
    if isinstance(scaled, bool) or isinstance(value.value, bool):
        published = str(value.value)
    elif isinstance(scaled, Decimal):
        published = scaled
    elif isinstance(scaled, (int, float)):
        published = Decimal(str(scaled))
    elif isinstance(value.value, dt.datetime):
        published = value.value.isoformat()
    elif value.value is None:
        published = None
    else:
        published = str(value.value)[:255]
    return ObisValue(value=published, unit=value.unit, scaler=value.scaler)


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """What the notifications tell about the meter, for its device entry."""

    meter_id: str | None = None
    meter_type: str | None = None
    list_version: str | None = None
    manufacturer: str | None = None
    system_title: str | None = None


def _text(value: PushValue) -> str | None:
    return None if value.value is None else str(value.value).strip() or None


def meter_info(notification: Notification, known: MeterInfo | None = None) -> MeterInfo:
    """The meter's identity from one notification, completed by what was ``known`` (the
    Norwegian 2 s list carries no meter id; the 10 s list does)."""
    known = known or MeterInfo()
    found: dict[str, str | None] = {}
    for value in notification.values:
        name = (value.name or "").lower()
        if value.obis in METER_ID_OBIS or name in METER_ID_NAMES:
            found.setdefault("meter_id", _text(value))
        elif value.obis in METER_TYPE_OBIS or name in METER_TYPE_NAMES:
            found.setdefault("meter_type", _text(value))
        elif value.obis in LIST_VERSION_OBIS or name in LIST_VERSION_NAMES:
            found.setdefault("list_version", _text(value))
    system_title = notification.system_title
    manufacturer = known.manufacturer
    if system_title is not None and len(system_title) >= 3:
        flag = system_title[:3].decode("ascii", "replace")
        # An unknown FLAG id is still the manufacturer's name in the DLMS UA's list.
        manufacturer = manufacturer_name(flag) or manufacturer
    list_version = found.get("list_version") or known.list_version
    if list_version and manufacturer is None:
        prefix = list_version.split("_", 1)[0].upper()
        manufacturer = LIST_MANUFACTURERS.get(prefix, manufacturer_for_flag(prefix[:3]))
    return MeterInfo(
        meter_id=found.get("meter_id") or known.meter_id,
        meter_type=found.get("meter_type") or known.meter_type,
        list_version=list_version,
        manufacturer=manufacturer,
        system_title=system_title.hex().upper() if system_title else known.system_title,
    )


def meter_serial(info: MeterInfo) -> str | None:
    """The meter's serial number for unique ids: the meter id from the payload, else the
    system title (the manufacturer's flag and the meter's number, as hex), else None."""
    if info.meter_id:
        return info.meter_id
    if info.system_title and len(info.system_title) == 16:
        return info.system_title
    return None


class PushState:
    """The published state of one push meter (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        *,
        silence: float | None = None,
        min_update_interval: float = 0.0,
        keys: frozenset[str] | None = None,
    ) -> None:
        """``silence``: seconds without a notification after which the values are
        unavailable (None: three missed intervals, at least 30 s). ``keys``: the values to
        keep (None: all)."""
        self.guard = MonotonicFilter(name)
        self.silence = silence
        self.min_update_interval = min_update_interval
        self.keys = keys
        self.data: MeterData = {}
        self.measured_at: dict[str, dt.datetime] = {}
        self.info = MeterInfo()
        self.last_received: float | None = None
        self.last_published: float | None = None
        self.pending = False  # values received but not yet published (throttled)
        self.notifications = 0
        self._gaps: deque[float] = deque(maxlen=GAPS_KEPT)

    @property
    def interval(self) -> float | None:
        """The meter's push interval as learnt: the shortest recent gap between
        notifications (lists sent every 2 s, 10 s and hourly: the 2 s one)."""
        return min(self._gaps) if self._gaps else None

    @property
    def silence_timeout(self) -> float:
        if self.silence is not None:
            return self.silence
        interval = self.interval
        if interval is None:
            return MIN_SILENCE
        return max(MIN_SILENCE, MISSED_INTERVALS * interval)

    def is_silent(self, now: float) -> bool:
        """Whether the meter has been quiet for longer than the silence timeout (also
        before the first notification)."""
        return self.last_received is None or now - self.last_received > self.silence_timeout

    def receive(self, notification: Notification, now: float, arrived: dt.datetime) -> bool:
        """Take one notification that arrived at ``now`` (a monotonic clock) and
        ``arrived`` (wall time, used when the notification has no time of its own). Returns
        whether to publish now (False: throttled, ``pending`` until ``publish_due``)."""
        if self.last_received is not None and now - self.last_received >= MIN_GAP:
            self._gaps.append(now - self.last_received)
        self.last_received = now
        self.notifications += 1
        self.info = meter_info(notification, self.info)
        measured = notification.timestamp or arrived
        for value in notification.values:
            key = value_key(value)
            if self.keys is not None and key not in self.keys:
                continue
            reading = push_value(value)
            obis = value.obis
            if obis is not None:
                reading = self.guard.filter(obis, reading)
            self.data[key] = reading
            self.measured_at[key] = measured
        self.pending = True
        return self.publish_due(now) is None

    def publish_due(self, now: float) -> float | None:
        """None when pending values may be published now; else the seconds to wait."""
        if self.last_published is None or self.min_update_interval <= 0:
            return None
        wait = self.last_published + self.min_update_interval - now
        return None if wait <= 0 else wait

    def published(self, now: float) -> None:
        self.last_published = now
        self.pending = False

    def restore(self, key: str, value: Decimal, unit: str | None) -> None:
        """A cumulative register's state before Home Assistant restarted: the first
        notification after must not be lower (see ``MonotonicFilter.restore``)."""
        obis = key_obis(key)
        if obis is None:
            return
        current = self.data.get(key)
        replaced = self.guard.restore(key, value, unit, current)
        if replaced is not None:
            self.data[key] = replaced
        elif current is None:
            # Nothing received yet: the guard holds back a lower first notification.
            self.guard.filter(obis, ObisValue(value, unit, None))
