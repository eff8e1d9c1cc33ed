"""The meter's load profile in long-term statistics: hour boundaries only, sums that
continue and never step back, no double counting, DST, and the real import from the
simulator into the recorder."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.dlms.history import (
    ImportState,
    LoadProfileImporter,
    hourly_points,
    statistic_id,
)
from custom_components.dlms.libdlms import (
    DataAccessError,
    DlmsClient,
    DlmsTimeoutError,
    SerialTransport,
)
from libdlms import Obis
from libdlms.codecs.xdlms import Conformance
from simulator import MeterSimulator, SimulatedMeter
from simulator.association import SERVER_CONFORMANCE
from simulator.session import ServerSettings

from .conftest import SERIAL, make_entry

UTC = dt.UTC
VIENNA = ZoneInfo("Europe/Vienna")
IMPORT = Obis(1, 0, 1, 8, 0, 255)
HOUR_STEP = dt.timedelta(hours=1)


def _at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_quarter_hours_become_hours() -> None:
    readings = [
        (_at(h, m), Decimal(1000 + 25 * (4 * h + m // 15)))
        for h in range(3)
        for m in (0, 15, 30, 45)
    ]
    points, state = hourly_points(readings, ImportState())
    # The first whole hour is the reference; two hours are complete after it.
    assert [(p.start, p.state, p.sum) for p in points] == [
        (_at(0), Decimal(1100), Decimal(100)),
        (_at(1), Decimal(1200), Decimal(200)),
    ]
    assert state == ImportState(_at(2), Decimal(1200), Decimal(200))


def test_nothing_is_imported_twice_and_sums_continue() -> None:
    _, state = hourly_points([(_at(h), Decimal(10 * h)) for h in range(3)], ImportState())
    again, same = hourly_points([(_at(h), Decimal(10 * h)) for h in range(3)], state)
    assert again == []
    assert same == state
    later, _ = hourly_points([(_at(h), Decimal(10 * h)) for h in range(2, 5)], state)
    assert [(p.start, p.sum) for p in later] == [(_at(2), Decimal(30)), (_at(3), Decimal(40))]


def test_a_gap_is_booked_after_it_and_a_reset_never_steps_back() -> None:
    readings = [(_at(0), Decimal(100)), (_at(1), Decimal(110)), (_at(4), Decimal(170))]
    points, state = hourly_points(readings, ImportState())
    # Hours 1-3 have no readings at their ends: the 60 Wh of the gap land in hour 3.
    assert [(p.start, p.sum) for p in points] == [(_at(0), Decimal(10)), (_at(3), Decimal(70))]
    reset, _ = hourly_points([(_at(5), Decimal(5)), (_at(6), Decimal(9))], state)
    assert [p.sum for p in reset] == [Decimal(70), Decimal(74)]


def test_null_values_unknown_zones_and_off_hour_readings_are_skipped() -> None:
    readings = [
        (_at(0), Decimal(0)),
        (_at(1), None),
        (None, Decimal(5)),
        (dt.datetime(2026, 3, 1, 2), Decimal(7)),  # naive: the zone is unknown
        (_at(2, 30), Decimal(8)),
        (_at(3), Decimal(9)),
    ]
    points, _ = hourly_points(readings, ImportState())
    assert [(p.start, p.sum) for p in points] == [(_at(2), Decimal(9))]


def test_dst_change_keeps_hours_continuous_in_utc() -> None:
    """Vienna springs forward at 02:00 local on 2026-03-29: local 01:00 (+01:00) is
    00:00 UTC, local 03:00 (+02:00) is 01:00 UTC: consecutive hours, no gap."""
    readings = [
        (dt.datetime(2026, 3, 29, 1, tzinfo=VIENNA), Decimal(0)),
        (dt.datetime(2026, 3, 29, 3, tzinfo=VIENNA), Decimal(10)),
        (dt.datetime(2026, 3, 29, 4, tzinfo=VIENNA), Decimal(20)),
    ]
    points, _ = hourly_points(readings, ImportState())
    assert [p.start for p in points] == [
        dt.datetime(2026, 3, 29, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
    ]


def test_statistic_ids_are_valid() -> None:
    assert statistic_id("12345678", IMPORT) == "dlms:12345678_1_0_1_8_0_255"
    assert statistic_id("ISK-1030 77", IMPORT) == "dlms:isk_1030_77_1_0_1_8_0_255"


@pytest.fixture
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder must come up before Home Assistant (see the conventions notes)."""


async def test_import_from_the_meter(
    hass: HomeAssistant, recorder_mock: object, simulator_factory, meter_clock
) -> None:
    """Two days of a 15-minute profile from the simulator, one day per session; then
    one more hour once the meter has captured it; never twice."""
    simulator = await simulator_factory()
    now = dt.datetime.fromtimestamp(meter_clock.now, UTC)
    importer = LoadProfileImporter(hass, serial="12345678", name="Meter 12345678", backfill_days=2)

    async def run() -> int:
        async with DlmsClient(SerialTransport(simulator.url)) as client:
            return await importer.import_new(client, now=now)

    first = await run()
    second = await run()
    # 24 hours a day, for the import and the export register.
    assert (first, second) == (48, 48)
    await async_wait_recording_done(hass)
    sid = statistic_id("12345678", IMPORT)
    ids = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    assert {s["statistic_id"] for s in ids} >= {
        sid,
        statistic_id("12345678", Obis(1, 0, 2, 8, 0, 255)),
    }
    names = {s["statistic_id"]: s["name"] for s in ids}
    # Told apart from the live sensor "Meter 12345678 Active energy import" in the picker.
    assert names[sid] == "Meter 12345678 Active energy import (meter's hourly record)"
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        now - dt.timedelta(days=3),
        None,
        {sid},
        "hour",
        None,
        {"state", "sum"},
    )
    rows = stats[sid]
    assert len(rows) == first // 2 + second // 2
    sums = [row["sum"] for row in rows]
    assert sums == sorted(sums)
    states = [row["state"] for row in rows]
    # Hour by hour, the sum grows by exactly what the register grew.
    for (a_sum, a_state), (b_sum, b_state) in pairwise(zip(sums, states, strict=True)):
        assert b_sum - a_sum == pytest.approx(b_state - a_state)
    assert await run() == 0  # nothing new: nothing imported again
    meter_clock.advance(3600)
    now += dt.timedelta(hours=1)
    assert await run() == 2  # one new hour, import and export

    # Home Assistant restarts: a new importer goes on from the database, imports nothing
    # twice, and its sums continue where the stored ones end.
    await async_wait_recording_done(hass)
    importer = LoadProfileImporter(hass, serial="12345678", name="Meter 12345678", backfill_days=2)
    assert await run() == 0
    meter_clock.advance(3600)
    now += dt.timedelta(hours=1)
    assert await run() == 2
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        now - dt.timedelta(hours=4),
        None,
        {sid},
        "hour",
        None,
        {"state", "sum"},
    )
    rows = stats[sid][-3:]
    for a_row, b_row in pairwise(rows):
        assert b_row["sum"] - a_row["sum"] == pytest.approx(b_row["state"] - a_row["state"])


async def test_setup_imports_the_load_profile(
    hass: HomeAssistant, recorder_mock: object, simulator, meter_clock, freezer
) -> None:
    """With the recorder, setting up the entry imports the meter's history in the
    background (a week by default, a day per session), into the statistics the Energy
    dashboard offers; the live sensors are set up all the same."""
    freezer.move_to(dt.datetime.fromtimestamp(meter_clock.now, UTC))  # the meter's "now"
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    sid = statistic_id(SERIAL, IMPORT)
    ids = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    imported = {s["statistic_id"]: s for s in ids}
    assert imported[sid]["source"] == "dlms"
    assert imported[sid]["statistics_unit_of_measurement"] == "Wh"
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt.datetime.fromtimestamp(meter_clock.now, UTC) - dt.timedelta(days=8),
        None,
        {sid},
        "hour",
        None,
        {"sum"},
    )
    # The simulator's profile reaches 7 days back; the first whole hour is the reference.
    assert len(stats[sid]) >= 7 * 24 - 2
    assert hass.states.get("sensor.meter_12345678_active_energy_import") is not None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_meter_without_selective_access_is_imported_all_the_same(  # type: ignore[no-untyped-def]
    hass: HomeAssistant, *, recorder_mock: object, simulator_factory, meter_clock, freezer, caplog
) -> None:
    """A meter that grants no selective access: the import reads its whole profile and
    keeps the hours it asked for, at setup and again an hour later; it used to fail at
    every run ("selective access was not negotiated")."""
    without = ServerSettings(conformance=SERVER_CONFORMANCE & ~Conformance.SELECTIVE_ACCESS)
    simulator = await simulator_factory(settings=without)
    freezer.move_to(dt.datetime.fromtimestamp(meter_clock.now, UTC))
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)

    async def hours() -> int:
        stats = await get_instance(hass).async_add_executor_job(
            statistics_during_period,
            hass,
            dt.datetime.fromtimestamp(meter_clock.now, UTC) - dt.timedelta(days=8),
            None,
            {statistic_id(SERIAL, IMPORT)},
            "hour",
            None,
            {"sum"},
        )
        return len(stats.get(statistic_id(SERIAL, IMPORT), []))

    first = await hours()
    assert first >= 7 * 24 - 2
    meter_clock.advance(3600)
    freezer.tick(dt.timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    assert await hours() == first + 1
    assert "not imported this time" not in caplog.text
    assert "Traceback" not in caplog.text
    assert await hass.config_entries.async_unload(entry.entry_id)


class _MeterOffForAWhile(SimulatedMeter):
    """A meter that was without power from 10:00 to 13:00 UTC the day before: its load
    profile has no entries for those hours."""

    def profile_times(self) -> list[float]:
        off = (
            dt.datetime(2026, 3, 28, 10, 15, tzinfo=UTC),
            dt.datetime(2026, 3, 28, 13, tzinfo=UTC),
        )
        start, end = (moment.timestamp() for moment in off)
        return [t for t in super().profile_times() if not start <= t < end]


async def test_dst_change_and_downtime_from_the_meter(
    hass: HomeAssistant, recorder_mock: object, socket_enabled: None
) -> None:
    """A meter in Vienna across the spring-forward night (2026-03-29 02:00 local), with
    three hours of downtime the day before, some clock columns sent as null-data: the
    hours line up in UTC, the downtime's energy lands in the first hour after it, and the
    total is exactly what the register grew."""
    now = dt.datetime(2026, 3, 29, 12, tzinfo=UTC)
    clock = [now.timestamp()]
    meter = _MeterOffForAWhile(clock=lambda: clock[0], timezone=VIENNA, profile_history_days=2)
    importer = LoadProfileImporter(hass, serial="12345678", name="Meter", backfill_days=2)
    async with MeterSimulator(meter) as simulator:
        for _ in range(3):
            async with DlmsClient(SerialTransport(simulator.url)) as client:
                await importer.import_new(client, now=now)
    await async_wait_recording_done(hass)
    sid = statistic_id("12345678", IMPORT)
    rows = (
        await get_instance(hass).async_add_executor_job(
            statistics_during_period,
            hass,
            now - dt.timedelta(days=3),
            None,
            {sid},
            "hour",
            None,
            {"state", "sum"},
        )
    )[sid]
    starts = [dt.datetime.fromtimestamp(row["start"], UTC) for row in rows]
    gap = [dt.datetime(2026, 3, 28, hour, tzinfo=UTC) for hour in (10, 11)]
    assert not set(gap) & set(starts)  # no readings at 11:00 and 12:00: not invented
    assert dt.datetime(2026, 3, 28, 12, tzinfo=UTC) in starts  # the hour after the gap
    # Every other hour is there, across the DST change (01:00 UTC is 03:00 CEST).
    expected = [starts[0] + HOUR_STEP * k for k in range(len(starts) + len(gap))]
    assert sorted(set(expected) - set(starts)) == gap
    # Booked exactly: sum steps equal register steps, the gap's in its following hour.
    for before, after in pairwise(rows):
        assert after["sum"] - before["sum"] == pytest.approx(after["state"] - before["state"])
    first_state = meter.import_wh_at(starts[0].timestamp())
    assert rows[-1]["sum"] == pytest.approx(rows[-1]["state"] - first_state)


async def test_a_meter_without_load_profile_is_left_alone(  # type: ignore[no-untyped-def]
    hass: HomeAssistant, *, recorder_mock: object, simulator, meter_clock, freezer, caplog
) -> None:
    """The meter has no such profile: said once at INFO (and not asked again); the sensors
    work all the same."""
    del simulator.meter.objects[Obis(1, 0, 99, 1, 0, 255)]
    freezer.move_to(dt.datetime.fromtimestamp(meter_clock.now, UTC))
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert caplog.text.count("no load profile to import") == 1
    assert "Traceback" not in caplog.text
    assert hass.states.get("sensor.meter_12345678_active_energy_import") is not None
    # An hour later the import runs again, and does not ask this meter.
    freezer.tick(dt.timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert caplog.text.count("no load profile to import") == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


def _importer(hass: HomeAssistant) -> LoadProfileImporter:
    return LoadProfileImporter(hass, serial="12345678", name="Meter 12345678")


async def test_a_failed_import_is_tried_again_at_the_next_run(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A session that fails (the meter was busy, away) is no reason to stop: the next run
    asks again; a meter that says it has no such profile is not asked again."""
    calls: list[str] = []

    async def failing(operation: object) -> int:
        calls.append("failing")
        raise DlmsTimeoutError("no answer")

    async def refusing(operation: object) -> int:
        calls.append("refusing")
        raise DataAccessError("object-undefined", result=4)

    importer = _importer(hass)
    await importer.async_run(failing)
    await importer.async_run(refusing)
    await importer.async_run(refusing)
    await importer.async_run(failing)
    assert calls == ["failing", "refusing"]
    assert importer.disabled
    assert "load profile not imported this time: no answer" in caplog.text
    assert caplog.text.count("no load profile to import") == 1


async def test_a_run_still_going_is_not_started_twice(hass: HomeAssistant) -> None:
    """A long first import (a week of history, a day per session) outlasts the hourly
    timer: the next run leaves it alone instead of reading the same history twice."""
    started, release = asyncio.Event(), asyncio.Event()
    sessions = 0

    async def slow(operation: object) -> int:
        nonlocal sessions
        sessions += 1
        started.set()
        await release.wait()
        return 0

    importer = _importer(hass)
    first = hass.async_create_task(importer.async_run(slow))
    await started.wait()
    await importer.async_run(slow)  # returns at once
    assert sessions == 1
    release.set()
    await first
    await importer.async_run(slow)
    assert sessions == 2
