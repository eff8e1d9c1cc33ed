"""Each COSEM unit we map becomes the device class, state class and unit Home Assistant
expects (the Energy dashboard takes energy, gas and water sensors only so); the meter's
clock offset is a diagnostic sensor that reads the clock only when enabled."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import AttributeDescriptor, Obis
from custom_components.dlms.sensor import describe
from custom_components.dlms.values import ObisValue
from simulator import MeterSimulator

from ..conftest import ManualClock
from .conftest import SERIAL, make_entry

ENERGY, REACTIVE = SensorDeviceClass.ENERGY, SensorDeviceClass.REACTIVE_ENERGY
TOTAL_INCREASING, MEASUREMENT = SensorStateClass.TOTAL_INCREASING, SensorStateClass.MEASUREMENT


@pytest.mark.parametrize(
    ("obis", "unit", "device_class", "state_class", "suggested"),
    [
        ("1.0.1.8.0.255", "Wh", ENERGY, TOTAL_INCREASING, "kWh"),
        ("1.0.2.8.1.255", "Wh", ENERGY, TOTAL_INCREASING, "kWh"),  # tariff 1
        ("1.0.1.9.0.255", "Wh", ENERGY, TOTAL_INCREASING, "kWh"),  # billing period
        ("1.0.16.8.0.255", "Wh", ENERGY, SensorStateClass.TOTAL, "kWh"),  # net: goes down
        ("1.0.1.29.0.255", "Wh", ENERGY, None, "kWh"),  # energy of the last period
        ("1.0.3.8.0.255", "varh", REACTIVE, TOTAL_INCREASING, "kvarh"),
        ("1.0.9.8.0.255", "VAh", None, TOTAL_INCREASING, None),  # no apparent-energy class
        ("1.0.1.7.0.255", "W", SensorDeviceClass.POWER, MEASUREMENT, None),
        ("1.0.1.4.0.255", "W", SensorDeviceClass.POWER, MEASUREMENT, None),  # demand
        ("1.0.3.7.0.255", "var", SensorDeviceClass.REACTIVE_POWER, MEASUREMENT, None),
        ("1.0.9.7.0.255", "VA", SensorDeviceClass.APPARENT_POWER, MEASUREMENT, None),
        ("1.0.32.7.0.255", "V", SensorDeviceClass.VOLTAGE, MEASUREMENT, None),
        ("1.0.31.7.0.255", "A", SensorDeviceClass.CURRENT, MEASUREMENT, None),
        ("1.0.14.7.0.255", "Hz", SensorDeviceClass.FREQUENCY, MEASUREMENT, None),
        ("1.0.13.7.0.255", None, SensorDeviceClass.POWER_FACTOR, MEASUREMENT, None),
        ("0.0.96.9.0.255", "°C", SensorDeviceClass.TEMPERATURE, MEASUREMENT, None),
        ("7.0.3.0.0.255", "m³", SensorDeviceClass.GAS, TOTAL_INCREASING, None),
        ("8.0.1.0.0.255", "m³", SensorDeviceClass.WATER, TOTAL_INCREASING, None),
        ("0.0.96.50.0.255", "m³", SensorDeviceClass.VOLUME, MEASUREMENT, None),
    ],
)
def test_unit_mapping(
    obis: str,
    unit: str | None,
    device_class: SensorDeviceClass | None,
    state_class: SensorStateClass | None,
    suggested: str | None,
) -> None:
    ref = AttributeDescriptor(3, Obis.parse(obis), 2)
    description = describe(ref, ObisValue(value=Decimal("12.5"), unit=unit, scaler=-1))
    assert description.device_class == device_class
    assert description.state_class == state_class
    assert description.native_unit_of_measurement == unit
    assert description.suggested_unit_of_measurement == suggested
    # Without a suggested unit the meter's scaler gives the precision it resolves.
    assert description.suggested_display_precision == (None if suggested else 1)


def test_text_objects_have_no_classes() -> None:
    ref = AttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2)
    description = describe(ref, ObisValue(value="12345678", unit=None, scaler=None))
    assert description.device_class is None
    assert description.state_class is None
    assert description.native_unit_of_measurement is None
    assert description.entity_category is EntityCategory.DIAGNOSTIC


@pytest.mark.parametrize(
    ("obis", "class_id", "unit", "device_class", "state_class"),
    [
        ("1.0.1.8.0.255", 3, "Wh", ENERGY, TOTAL_INCREASING),
        ("1.0.1.6.0.255", 4, "W", SensorDeviceClass.POWER, MEASUREMENT),  # maximum demand
        ("1.0.13.7.0.255", 3, None, SensorDeviceClass.POWER_FACTOR, MEASUREMENT),
        ("0.0.96.1.0.255", 1, None, None, None),  # the serial number: text
        ("0.0.96.14.0.255", 1, None, None, None),  # the active tariff
        ("1.0.15.8.0.255", 3, None, None, MEASUREMENT),  # a register the catalogue lacks
        ("0.0.96.99.0.255", 1, None, None, None),  # a Data object the catalogue lacks
    ],
)
def test_first_read_failed(
    obis: str,
    class_id: int,
    unit: str | None,
    device_class: SensorDeviceClass | None,
    state_class: SensorStateClass | None,
) -> None:
    """The first read failed: the catalogue's unit (and whether it is a number) is assumed
    until the meter tells."""
    description = describe(AttributeDescriptor(class_id, Obis.parse(obis), 2), None)
    assert description.native_unit_of_measurement == unit
    assert description.device_class == device_class
    assert description.state_class == state_class


@pytest.mark.parametrize(
    ("obis", "category"),
    [
        ("1.0.1.8.0.255", None),
        ("7.0.3.0.0.255", None),
        ("0.0.96.9.0.255", EntityCategory.DIAGNOSTIC),  # the meter's own temperature
        ("0.0.96.10.1.255", EntityCategory.DIAGNOSTIC),  # a status word
    ],
)
def test_abstract_objects_are_diagnostic(obis: str, category: EntityCategory | None) -> None:
    ref = AttributeDescriptor(3, Obis.parse(obis), 2)
    description = describe(ref, ObisValue(value=Decimal(1), unit=None, scaler=0))
    assert description.entity_category == category


async def test_clock_offset_sensor(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    meter_clock: ManualClock,
    entity_registry: er.EntityRegistry,
) -> None:
    """Disabled by default (no clock read then); enabled, it shows how far the meter's
    clock is ahead."""
    meter_clock.now = time.time() + 42.0
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{SERIAL}_clock_offset")
    assert entity_id is not None
    registry_entry = entity_registry.async_get(entity_id)
    assert registry_entry is not None
    assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert registry_entry.entity_category == "diagnostic"
    coordinator = entry.runtime_data.coordinator
    assert coordinator.read_clock is False
    assert hass.states.get(entity_id) is None

    entity_registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.read_clock is True
    meter_clock.now = time.time() - 90.0
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert -92.0 <= float(state.state) <= -88.0
    assert state.attributes["unit_of_measurement"] == "s"
    assert coordinator.data["1.0.1.8.0.255"].unit == "Wh"  # the values are read as before
