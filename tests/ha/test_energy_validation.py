"""The Energy dashboard's own validation (the checks behind the warnings under Settings →
Dashboards → Energy) accepts what the integration offers: the import and export energy
sensors, and the load profile imported as external statistics. A power sensor configured
as energy is refused, which shows the check can fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    get_start_time,
)

from custom_components.dlms.const import SCAN_INTERVAL
from custom_components.dlms.history import statistic_id
from libdlms import Obis
from simulator import MeterSimulator

from ..conftest import ManualClock
from .conftest import SERIAL, make_entry

ENERGY_IMPORT = "sensor.meter_12345678_active_energy_import"
ENERGY_EXPORT = "sensor.meter_12345678_active_energy_export"
POWER_IMPORT = "sensor.meter_12345678_active_power_import"
PROFILE_IMPORT = statistic_id(SERIAL, Obis(1, 0, 1, 8, 0, 255))
PROFILE_EXPORT = statistic_id(SERIAL, Obis(1, 0, 2, 8, 0, 255))


def grid(stat_from: str | None, stat_to: str | None) -> dict[str, Any]:
    """A grid connection as the Energy panel saves it, through the energy component's
    own schema (which, for example, refuses a price on an external statistic)."""
    source: dict[str, Any] = energy_data.GRID_SOURCE_SCHEMA(
        {
            "type": "grid",
            "stat_energy_from": stat_from,
            "stat_energy_to": stat_to,
            "cost_adjustment_day": 0,
        }
    )
    return source


async def validate(hass: HomeAssistant, *sources: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Save the sources as the Energy preferences and validate them: one list of issues
    per source (type and affected entities or statistics)."""
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update({"energy_sources": list(sources)})  # type: ignore[typeddict-item]
    result = await async_validate(hass)
    return [
        [
            {"type": issue.type, "affected": {entity for entity, _ in issue.affected_entities}}
            for issue in issues.issues.values()
        ]
        for issues in result.energy_sources
    ]


async def set_up_and_compile(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    meter_clock: ManualClock,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """Set up the entry at the meter's "now" (the load profile is imported in the
    background), let it poll once more, and compile the five minutes of short-term
    statistics the Energy dashboard needs the entities' metadata from."""
    now = dt.datetime.fromtimestamp(meter_clock.now, dt.UTC)
    freezer.move_to(now)
    assert await async_setup_component(hass, "energy", {})
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    meter_clock.advance(SCAN_INTERVAL.total_seconds())
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=get_start_time(now))
    await async_wait_recording_done(hass)
    return entry


async def test_energy_sensors_pass_the_energy_validation(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MeterSimulator,
    meter_clock: ManualClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await set_up_and_compile(hass, simulator, meter_clock, freezer)

    # Import and export registers as grid consumption and return to grid: no issue.
    assert await validate(hass, grid(ENERGY_IMPORT, ENERGY_EXPORT)) == [[]]

    # The load profile's external statistics instead (the validator accepts statistic ids
    # that are not entities, and checks they exist in the recorder): no issue either.
    assert await validate(hass, grid(PROFILE_IMPORT, PROFILE_EXPORT)) == [[]]

    # The check can fail: the power sensor (W, measurement without last_reset) as grid
    # consumption, and a load-profile statistic of a meter that is not there.
    assert await validate(
        hass,
        grid(POWER_IMPORT, ENERGY_EXPORT),
        grid("dlms:87654321_1_0_1_8_0_255", None),
    ) == [
        [
            {"type": "entity_unexpected_device_class", "affected": {POWER_IMPORT}},
            {"type": "entity_state_class_measurement_no_last_reset", "affected": {POWER_IMPORT}},
        ],
        [{"type": "statistics_not_defined", "affected": {"dlms:87654321_1_0_1_8_0_255"}}],
    ]

    # Unavailable sensors are reported too (the meter stopped answering).
    await simulator.stop()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert await validate(hass, grid(ENERGY_IMPORT, None)) == [
        [{"type": "entity_unavailable", "affected": {ENERGY_IMPORT}}]
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)
