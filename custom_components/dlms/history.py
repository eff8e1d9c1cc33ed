"""The meter's own history in long-term statistics: its load profile, imported hourly.

Home Assistant samples a sensor; the meter keeps an exact record. The load profile
(Profile Generic, 1-0:99.1.0*255 by default) captures the cumulative energy registers at
every capture period. Their readings at whole hours become external statistics
``dlms:<serial>_<obis>`` with ``sum`` continuing from the last imported hour, so the Energy
dashboard shows the meter's own hourly energy, also for the hours Home Assistant was down.

Rules, each one a way other importers went wrong:
- only readings at whole hours (UTC) count; 15-minute profiles are summed by taking the
  hour boundaries, which is exact for cumulative registers;
- an hour is imported only when the readings at both its ends are known; missing hours
  (the meter was unreachable when it should have captured) are not invented: the energy
  of the gap is booked in the first hour after it;
- nothing before the last imported hour is imported again (no double counting), and the
  sum never decreases: a register that went backwards (meter replaced or reset) restarts
  the reference, with a warning, instead of a negative step;
- timestamps come from the meter's clock with its deviation (or in Home Assistant's time
  zone when the meter does not say), so DST changes fall into the right UTC hours.

The import runs at setup and every hour after, each chunk of history in a session of its own
so that polls get the port in between; a meter without the profile is not asked again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Self

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .const import (
    CONF_BACKFILL_DAYS,
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_LOAD_PROFILE,
    DOMAIN,
    LOGGER,
)
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .libdlms import (
    DataAccessError,
    DlmsClient,
    DlmsError,
    Obis,
    ScalerUnit,
    read_profile,
)

HOUR = dt.timedelta(hours=1)
IMPORT_INTERVAL: Final = HOUR
LOAD_PROFILE: Final = Obis.parse(DEFAULT_LOAD_PROFILE)
ENERGY_COLUMNS: dict[Obis, str] = {
    Obis(1, 0, 1, 8, 0, 255): "Active energy import",
    Obis(1, 0, 2, 8, 0, 255): "Active energy export",
}


@dataclass(frozen=True, slots=True)
class HourlyPoint:
    """One hour of a cumulative register: ``start`` (UTC, whole hour), the register at the
    hour's end (``state``) and the running total (``sum``)."""

    start: dt.datetime
    state: Decimal
    sum: Decimal


@dataclass(frozen=True, slots=True)
class ImportState:
    """Where the last import ended: the end of its last hour and the register there."""

    end: dt.datetime | None = None
    state: Decimal | None = None
    sum: Decimal = Decimal(0)


def hourly_points(
    readings: Iterable[tuple[dt.datetime | None, Decimal | None]], since: ImportState
) -> tuple[list[HourlyPoint], ImportState]:
    """The hours that ``readings`` (a cumulative register over time) complete after
    ``since``; returns them and where the next import carries on."""
    on_the_hour = sorted(
        {
            stamp.astimezone(dt.UTC): value
            for stamp, value in readings
            if stamp is not None
            and value is not None
            and stamp.tzinfo is not None
            and stamp.astimezone(dt.UTC).minute == 0
            and stamp.second == 0
            and stamp.microsecond == 0
        }.items()
    )
    points: list[HourlyPoint] = []
    end, state, total = since.end, since.state, since.sum
    for stamp, value in on_the_hour:
        if end is not None and stamp <= end:
            continue  # imported before
        if state is not None and end is not None:
            step = value - state
            if step < 0:
                LOGGER.warning(
                    "load profile: the register went back from %s to %s at %s (meter "
                    "replaced or reset?); counting on from the new value",
                    state,
                    value,
                    stamp,
                )
                step = Decimal(0)
            total += step
            points.append(HourlyPoint(stamp - HOUR, value, total))
        end, state = stamp, value
    return points, ImportState(end, state, total)


def statistic_id(serial: str, obis: Obis) -> str:
    """``dlms:<serial>_<a>_<b>_<c>_<d>_<e>_<f>``: lower case letters, digits, underscores."""
    slug = re.sub(r"[^a-z0-9]+", "_", serial.lower()).strip("_") or "meter"
    return f"{DOMAIN}:{slug}_{obis.dotted.replace('.', '_')}"


# A session runs an operation on the meter (``DlmsCoordinator.async_session``).
type Session = Callable[[Callable[[DlmsClient], Awaitable[int]]], Awaitable[int]]


RECORD_SUFFIX = "(meter's hourly record)"


class LoadProfileImporter:
    """Imports one meter's load profile into long-term statistics.

    ``import_new`` reads what is new since the last imported hour (on the first run,
    ``backfill_days`` back), ``chunk`` at a time so that no single session holds the port
    for long, and adds it to the statistics. ``async_start`` runs it for a config entry now
    and every hour."""

    chunk = dt.timedelta(days=1)

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        serial: str,
        name: str,
        profile: Obis = LOAD_PROFILE,
        backfill_days: int = DEFAULT_BACKFILL_DAYS,
    ) -> None:
        self.hass = hass
        self.serial = serial
        self.name = name
        self.profile = profile
        self.backfill_days = backfill_days
        self.scaler_units: dict[Obis, ScalerUnit] = {}
        self._states: dict[Obis, ImportState] | None = None
        # The meter has no such profile (it said so): not asked again until a reload.
        self.disabled = False
        self._running = asyncio.Lock()

    @classmethod
    def async_start(
        cls, hass: HomeAssistant, entry: DlmsConfigEntry, coordinator: DlmsCoordinator
    ) -> Self | None:
        """Import the entry's load profile now and every hour, until the entry unloads.
        Needs the recorder and the entry's option (on by default); None without them."""
        if "recorder" not in hass.config.components or not entry.options.get(
            CONF_LOAD_PROFILE_IMPORT, True
        ):
            return None
        importer = cls(
            hass,
            serial=coordinator.identity.serial_number,
            name=entry.title,
            profile=Obis.parse(entry.options.get(CONF_LOAD_PROFILE, DEFAULT_LOAD_PROFILE)),
            backfill_days=int(entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)),
        )

        @callback  # in the event loop: a plain function would run in an executor thread
        def schedule(_now: dt.datetime | None = None) -> None:
            entry.async_create_background_task(
                hass, importer.async_run(coordinator.async_session), f"{DOMAIN} load profile"
            )

        schedule()
        entry.async_on_unload(async_track_time_interval(hass, schedule, IMPORT_INTERVAL))
        return importer

    async def async_run(self, session: Session) -> None:
        """One import: chunk after chunk, each in a ``session`` of its own, until the
        statistics have caught up. A run still going (a long backfill) is not started
        twice. A failed session waits for the next run; a meter that answers that it has no
        such profile is not asked again."""
        if self.disabled or self._running.locked():
            return
        async with self._running:
            try:
                while True:
                    await session(self.import_new)
                    if not self.behind:
                        break
            except DataAccessError as err:
                self.disabled = True
                LOGGER.info("%s: no load profile to import (%s)", self.name, err)
            except DlmsError as err:
                LOGGER.info("%s: load profile not imported this time: %s", self.name, err)

    async def _load_states(self) -> dict[Obis, ImportState]:
        """Where each column's statistics end in the database."""
        states: dict[Obis, ImportState] = {}
        for obis in ENERGY_COLUMNS:
            sid = statistic_id(self.serial, obis)
            last = await get_instance(self.hass).async_add_executor_job(
                get_last_statistics, self.hass, 1, sid, False, {"state", "sum"}
            )
            rows = last.get(sid)
            if rows:
                row = rows[0]
                states[obis] = ImportState(
                    dt_util.utc_from_timestamp(row["end"]),
                    Decimal(str(row["state"])) if row.get("state") is not None else None,
                    Decimal(str(row["sum"] or 0)),
                )
            else:
                states[obis] = ImportState()
        return states

    async def import_new(self, client: DlmsClient, now: dt.datetime | None = None) -> int:
        """Read and import what the meter has that the statistics lack; the number of
        hours imported. One call reads at most one ``chunk`` of the meter's history: the
        caller repeats while it returns more, each in a session of its own."""
        if self._states is None:
            self._states = await self._load_states()
        now = now or dt_util.utcnow()
        ends = [s.end for s in self._states.values() if s.end is not None]
        start = min(ends) if ends else now - dt.timedelta(days=self.backfill_days)
        start = start.replace(minute=0, second=0, microsecond=0)
        end = min(start + self.chunk, now)
        if end <= start:
            return 0
        profile = await read_profile(
            client,
            self.profile,
            start=start,
            end=end,
            scaler_units=self.scaler_units,
            default_tz=dt_util.get_default_time_zone(),
        )
        imported = 0
        captured = {column.logical_name for column in profile.columns}
        for obis, label in ENERGY_COLUMNS.items():
            if obis not in captured:
                continue
            points, self._states[obis] = hourly_points(profile.series(obis), self._states[obis])
            if not points:
                continue
            unit = profile.unit(obis)
            self._add(obis, label, unit, points)
            imported += len(points)
        if not imported and end < now:
            # A stretch without readings (the meter was off): move past it, keeping the last
            # register value, so that the gap's energy lands in the first hour after it.
            for obis, state in self._states.items():
                if state.end is None or state.end < end:
                    self._states[obis] = ImportState(end, state.state, state.sum)
        return imported

    @property
    def behind(self) -> bool:
        """More history is waiting than one chunk brought."""
        ends = [s.end for s in (self._states or {}).values() if s.end is not None]
        return bool(ends) and dt_util.utcnow() - min(ends) > self.chunk

    def _add(self, obis: Obis, label: str, unit: str | None, points: Sequence[HourlyPoint]) -> None:
        metadata = StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            # Beside the live sensor of the same register in the Energy dashboard's picker:
            # the name says which is the meter's own hourly record.
            name=f"{self.name} {label} {RECORD_SUFFIX}",
            source=DOMAIN,
            statistic_id=statistic_id(self.serial, obis),
            unit_class=EnergyConverter.UNIT_CLASS,
            unit_of_measurement=unit,
        )
        async_add_external_statistics(
            self.hass,
            metadata,
            [
                StatisticData(start=point.start, state=float(point.state), sum=float(point.sum))
                for point in points
            ],
        )
