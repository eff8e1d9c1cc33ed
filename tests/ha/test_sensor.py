"""Sensors after real polls of the simulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import restore_state as rs
from homeassistant.helpers.json import JSONEncoder
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_load_restore_state_from_storage,
)

from custom_components.dlms.const import DOMAIN, SCAN_INTERVAL
from libdlms import Obis
from simulator import MeterSimulator

from ..conftest import ManualClock, SimulatorFactory
from .conftest import ALL_OBJECTS, SERIAL, make_entry

ENERGY_IMPORT = "sensor.meter_12345678_active_energy_import"
ENERGY_EXPORT = "sensor.meter_12345678_active_energy_export"
POWER_IMPORT = "sensor.meter_12345678_active_power_import"
POWER_EXPORT = "sensor.meter_12345678_active_power_export"
VOLTAGE = "sensor.meter_12345678_voltage_l1"
CURRENT = "sensor.meter_12345678_current_l1"
FREQUENCY = "sensor.meter_12345678_frequency"


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


async def test_states_and_units(
    hass: HomeAssistant, simulator: MeterSimulator, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)
    meter = simulator.meter

    # Energy: the meter counts Wh; Home Assistant shows the suggested kWh, exactly.
    state = hass.states.get(ENERGY_IMPORT)
    assert state is not None
    assert state.state == "1234.567"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Meter 12345678 Active energy import"
    assert value(hass, ENERGY_EXPORT) == 45.678

    state = hass.states.get(POWER_IMPORT)
    assert state is not None
    assert float(state.state) == round(meter.power_w)
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.POWER
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT
    assert value(hass, POWER_EXPORT) == 0

    # Voltage: long-unsigned decivolts with scaler -1.
    state = hass.states.get(VOLTAGE)
    assert state is not None
    assert float(state.state) == meter.voltage_dv / 10
    assert 228.5 <= float(state.state) <= 231.5
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "V"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.VOLTAGE
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT

    state = hass.states.get(CURRENT)
    assert state is not None
    assert float(state.state) == meter.current_ca / 100
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "A"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.CURRENT

    state = hass.states.get(FREQUENCY)
    assert state is not None
    assert state.state == "50.0"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "Hz"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.FREQUENCY


async def test_entities_and_device(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    await setup_entry(hass, config_entry)

    entry = entity_registry.async_get(ENERGY_IMPORT)
    assert entry is not None
    assert entry.unique_id == "12345678_1.0.1.8.0.255"
    assert entry.translation_key == "active_energy_import"
    assert entry.options["sensor.private"]["suggested_unit_of_measurement"] == "kWh"
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    assert len(entries) == 10  # seven values, the last-read and clock diagnostics, the clock button

    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "12345678"), config_entry.entry_id
    )
    assert device is not None
    assert device.name == "Meter 12345678"
    assert device.serial_number == "12345678"
    assert device.model == "DLMSIM0012345678"
    assert device.manufacturer == "DLM"  # not in the FLAG list: the id itself, not "Unknown"
    assert device.sw_version == "SIM-2.1.0"  # the active firmware identifier 1-0:0.2.0
    assert {e.device_id for e in entries} == {device.id}


# The unique ids earlier versions gave: the serial number and the OBIS code (dotted), or the
# serial number and the diagnostic sensor's key.
UNIQUE_IDS = {f"{SERIAL}_{obj['obis']}" for obj in ALL_OBJECTS} | {
    f"{SERIAL}_last_read",
    f"{SERIAL}_clock_offset",
}


async def test_unique_ids_never_change(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Users' entities keep their entity ids and history: entities registered under the
    unique ids of earlier versions are the ones set up again, and none is added."""
    config_entry.add_to_hass(hass)
    for unique_id in UNIQUE_IDS:
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            unique_id,
            config_entry=config_entry,
            suggested_object_id=f"kept_{unique_id.replace('.', '_')}",
        )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    entries = [
        entry
        for entry in er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
        if entry.domain == "sensor"  # the clock button (new in 0.2.0) is the one addition
    ]
    assert {entry.unique_id for entry in entries} == UNIQUE_IDS
    assert all(entry.entity_id.startswith("sensor.kept_") for entry in entries)
    assert hass.states.get("sensor.kept_12345678_1_0_1_8_0_255") is not None


async def test_manufacturer_from_flag(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    simulator = await simulator_factory(logical_device_name="LGZ1030012345678")
    entry = make_entry(simulator.url)
    await setup_entry(hass, entry)
    device = device_registry.async_get_device_by_identifier((DOMAIN, "12345678"), entry.entry_id)
    assert device is not None
    assert device.manufacturer == "Landis+Gyr"
    assert device.model == "LGZ1030012345678"


async def test_meter_without_firmware_identifier(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The firmware identifier is optional: without it the device has no software version
    and everything else works."""
    del simulator.meter.objects[Obis.parse("1.0.0.2.0.255")]
    await setup_entry(hass, config_entry)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "12345678"), config_entry.entry_id
    )
    assert device is not None
    assert device.sw_version is None
    assert device.serial_number == "12345678"
    assert value(hass, ENERGY_IMPORT) == 1234.567


async def test_other_obis_codes(
    hass: HomeAssistant, simulator: MeterSimulator, entity_registry: er.EntityRegistry
) -> None:
    """A Data object the catalogue does not name is a text sensor named after its OBIS code;
    one it names (the serial number) gets the catalogue's name."""
    entry = make_entry(
        simulator.url,
        objects=[
            {"obis": "0.0.42.0.0.255", "class_id": 1},
            {"obis": "0.0.96.1.0.255", "class_id": 1},
            {"obis": "1.0.1.8.0.255", "class_id": 3},
        ],
    )
    await setup_entry(hass, entry)
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, "12345678_0.0.96.1.0.255")
    assert entity_id == "sensor.meter_12345678_serial_number"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "12345678"
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Meter 12345678 Serial number"
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, "12345678_0.0.42.0.0.255")
    assert entity_id == "sensor.meter_12345678_obis_0_0_42_0_0_255"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "DLMSIM0012345678"
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Meter 12345678 OBIS 0-0:42.0.0*255"
    assert ATTR_UNIT_OF_MEASUREMENT not in state.attributes
    assert ATTR_STATE_CLASS not in state.attributes


async def test_unavailable_and_recovery(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    meter_clock: ManualClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    assert value(hass, ENERGY_IMPORT) == 1234.567

    await simulator.stop()
    await poll(hass, freezer)
    for entity_id in (ENERGY_IMPORT, POWER_IMPORT, VOLTAGE):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_UNAVAILABLE

    # An hour at 1500 W later the meter is back.
    meter_clock.advance(3600)
    await simulator.start()
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1236.067
    assert hass.states.get(VOLTAGE).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert config_entry.runtime_data.coordinator.last_update_success


async def test_one_object_failing(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A value the meter refuses is not published; the others are."""
    await setup_entry(hass, config_entry)
    removed = simulator.meter.objects.pop(Obis.parse("1.0.2.7.0.255"))

    await poll(hass, freezer)
    assert hass.states.get(POWER_EXPORT).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert value(hass, ENERGY_IMPORT) == 1234.567

    simulator.meter.objects[removed.obis] = removed
    await poll(hass, freezer)
    assert value(hass, POWER_EXPORT) == 0


async def test_energy_never_goes_backwards(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    assert value(hass, ENERGY_IMPORT) == 1234.567

    # A small dip is a glitch: the last value stays.
    simulator.meter.start_import_wh -= 100
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.567
    assert "1.0.1.8.0.255 went backwards from 1234567 to 1234467 Wh" in caplog.text

    # Counting on from there is published again.
    simulator.meter.start_import_wh += 300
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.767

    # The last published value is remembered through polls that failed.
    await simulator.stop()
    await poll(hass, freezer)
    simulator.meter.start_import_wh -= 10
    await simulator.start()
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.767

    # A bad read of 0 is never published, however large the drop.
    simulator.meter.start_import_wh = 0
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.767
    simulator.meter.start_import_wh = 1234867
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.867

    # A register really reset (by the grid operator) reads low in three polls in a row,
    # counting on: then it is published, and statistics start a new cycle.
    caplog.clear()
    simulator.meter.start_import_wh = 1000
    await poll(hass, freezer)
    simulator.meter.start_import_wh = 1100
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.867
    assert caplog.text.count("went backwards") == 1
    simulator.meter.start_import_wh = 1200
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1.2
    assert "taken as a reset" in caplog.text


async def test_object_failing_at_setup(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A well-known object that fails in the setup poll gets the standard's unit until the
    meter gives its own; then its values are published."""
    removed = simulator.meter.objects.pop(Obis.parse("1.0.2.8.0.255"))
    await setup_entry(hass, config_entry)
    state = hass.states.get(ENERGY_EXPORT)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert value(hass, ENERGY_IMPORT) == 1234.567

    simulator.meter.objects[removed.obis] = removed
    await poll(hass, freezer)
    state = hass.states.get(ENERGY_EXPORT)
    assert state is not None
    assert state.state == "45.678"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING


async def restore_states(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    states: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    """What Home Assistant saved of these sensors before it stopped (state and extra data),
    loaded as at a start. Through the storage file rather than the harness's cache mock,
    whose internals change between Home Assistant versions."""
    now = dt_util.utcnow().isoformat()
    hass_storage[rs.STORAGE_KEY] = {
        "version": rs.STORAGE_VERSION,
        "key": rs.STORAGE_KEY,
        "data": [
            {
                "state": json.loads(json.dumps(State(entity_id, state).as_dict(), cls=JSONEncoder)),
                "extra_data": extra_data,
                "last_seen": now,
            }
            for entity_id, (state, extra_data) in states.items()
        ],
    }
    await async_mock_load_restore_state_from_storage(hass)


async def test_energy_never_goes_backwards_across_a_restart(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    simulator: MeterSimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before the restart the sensor showed 1,234,600 Wh; the first reading after it is
    lower (a bad read, a meter that glitched while Home Assistant was down): the restored
    value stays, and the lower one is published only when confirmed like any reset."""
    await restore_states(
        hass,
        hass_storage,
        {
            ENERGY_IMPORT: (
                "1234.6",
                {"native_value": 1234600.0, "native_unit_of_measurement": "Wh"},
            ),
            # A power sensor is a measurement: it is not held back.
            POWER_IMPORT: ("99999", {"native_value": 99999.0, "native_unit_of_measurement": "W"}),
        },
    )
    await setup_entry(hass, config_entry)
    assert value(hass, ENERGY_IMPORT) == 1234.6  # not the meter's 1234.567
    assert "went backwards from 1234600 to 1234567 Wh" in caplog.text
    assert value(hass, POWER_IMPORT) < 99999

    simulator.meter.start_import_wh = 1234700
    await poll(hass, freezer)
    assert value(hass, ENERGY_IMPORT) == 1234.7  # counting on above it: published
