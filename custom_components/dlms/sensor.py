"""One sensor per configured OBIS code, in the meter's own unit.

The device class comes from the unit the meter reports for the object (its scaler_unit), the
state class from the OBIS value group D: cumulative registers (D=8, D=9) are
TOTAL_INCREASING, so the Energy dashboard accepts them. The name comes from the OBIS
catalogue (``obis_catalogue``), else it is "OBIS <code>".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfReactivePower,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import LOGGER
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .entity import DlmsEntity, EnergyRestoringSensor
from .libdlms import (
    AttributeDescriptor,
)
from .obis_catalogue import CATALOGUE, GENERIC_TRANSLATION_KEY, REGISTER_CLASSES
from .push_sensor import push_entities
from .values import ObisValue, is_cumulative

# Coordinator entities: no per-entity update semaphore.
PARALLEL_UPDATES = 0


# The meter's unit symbol -> (device class, suggested unit).
UNIT_DEVICE_CLASSES: Final[dict[str, tuple[SensorDeviceClass, str | None]]] = {
    UnitOfEnergy.WATT_HOUR: (SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR),
    UnitOfReactiveEnergy.VOLT_AMPERE_REACTIVE_HOUR: (
        SensorDeviceClass.REACTIVE_ENERGY,
        UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
    ),
    UnitOfPower.WATT: (SensorDeviceClass.POWER, None),
    UnitOfReactivePower.VOLT_AMPERE_REACTIVE: (SensorDeviceClass.REACTIVE_POWER, None),
    UnitOfApparentPower.VOLT_AMPERE: (SensorDeviceClass.APPARENT_POWER, None),
    UnitOfElectricPotential.VOLT: (SensorDeviceClass.VOLTAGE, None),
    UnitOfElectricCurrent.AMPERE: (SensorDeviceClass.CURRENT, None),
    UnitOfFrequency.HERTZ: (SensorDeviceClass.FREQUENCY, None),
    UnitOfTemperature.CELSIUS: (SensorDeviceClass.TEMPERATURE, None),
    UnitOfVolume.CUBIC_METERS: (SensorDeviceClass.VOLUME, None),
}
# A volume register's medium from the OBIS value group A: gas (7), water (8 cold, 9 hot).
VOLUME_MEDIA: Final[dict[int, SensorDeviceClass]] = {
    7: SensorDeviceClass.GAS,
    8: SensorDeviceClass.WATER,
    9: SensorDeviceClass.WATER,
}
_ENERGY_CLASSES: Final = {SensorDeviceClass.ENERGY, SensorDeviceClass.REACTIVE_ENERGY}
# A gas or water meter's volume register is its index: it only counts up.
_METER_INDEX_CLASSES: Final = {SensorDeviceClass.GAS, SensorDeviceClass.WATER}


def describe(ref: AttributeDescriptor, first: ObisValue | None) -> SensorEntityDescription:
    """The description of one object's sensor, from its OBIS code and its first reading
    (None when that failed: then the standard's unit for a well-known code is assumed)."""
    obis = ref.instance
    known = CATALOGUE.get(obis)
    if first is not None:
        unit = first.unit
        numeric = first.value is None or isinstance(first.value, Decimal)
    else:
        unit = known.unit if known else None
        numeric = known.numeric if known else ref.class_id in REGISTER_CLASSES
    name_kwargs = (
        {"translation_key": known.translation_key}
        if known
        else {
            "translation_key": GENERIC_TRANSLATION_KEY,
            "translation_placeholders": {"obis": obis.reduced},
        }
    )
    # Abstract objects (value group A = 0: serial number, firmware, status, counters)
    # describe the meter itself, not what it measures.
    category = EntityCategory.DIAGNOSTIC if obis.a == 0 else None
    if not numeric:
        return SensorEntityDescription(key=obis.dotted, entity_category=category, **name_kwargs)

    device_class: SensorDeviceClass | None = None
    suggested_unit: str | None = None
    if unit is not None and unit in UNIT_DEVICE_CLASSES:
        device_class, suggested_unit = UNIT_DEVICE_CLASSES[unit]
        if device_class is SensorDeviceClass.VOLUME:
            device_class = VOLUME_MEDIA.get(obis.a, SensorDeviceClass.VOLUME)
    elif unit is None and obis.a == 1 and obis.c in (13, 33, 53, 73) and obis.d == 7:
        device_class = SensorDeviceClass.POWER_FACTOR

    state_class: SensorStateClass | None
    if is_cumulative(obis, unit) or device_class in _METER_INDEX_CLASSES:
        state_class = SensorStateClass.TOTAL_INCREASING
    elif device_class in _ENERGY_CLASSES:
        # Net (C=16) registers can go down; other time integrals are per-period amounts.
        state_class = SensorStateClass.TOTAL if obis.c == 16 and obis.d == 8 else None
    elif device_class is not None or ref.class_id in REGISTER_CLASSES:
        state_class = SensorStateClass.MEASUREMENT
    else:
        state_class = None

    precision = None
    if suggested_unit is None and first is not None and first.scaler is not None:
        precision = max(0, -first.scaler)

    return SensorEntityDescription(
        key=obis.dotted,
        device_class=device_class,
        state_class=state_class,
        native_unit_of_measurement=unit,
        suggested_unit_of_measurement=suggested_unit,
        suggested_display_precision=precision,
        entity_category=category,
        **name_kwargs,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DlmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One sensor per configured object; descriptions use the setup poll's units. A push
    meter's sensors are the values chosen in its flow (``push_sensor``)."""
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator, DlmsCoordinator):
        async_add_entities(push_entities(coordinator))
        return
    entities: list[SensorEntity] = [
        DlmsSensor(coordinator, describe(ref, coordinator.data.get(ref.instance.dotted)))
        for ref in coordinator.refs
    ]
    entities.append(DlmsLastReadSensor(coordinator, LAST_READ))
    entities.append(DlmsClockOffsetSensor(coordinator, CLOCK_OFFSET))
    async_add_entities(entities)


LAST_READ = SensorEntityDescription(
    key="last_read",
    translation_key="last_read",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)
CLOCK_OFFSET = SensorEntityDescription(
    key="clock_offset",
    translation_key="clock_offset",
    device_class=SensorDeviceClass.DURATION,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    suggested_display_precision=0,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


class DlmsLastReadSensor(DlmsEntity, SensorEntity):
    """When the meter last answered a whole poll (diagnostic, disabled by default)."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_last_read_listener(self.async_write_ha_state)
        )

    @property
    @override
    def available(self) -> bool:
        """Still known while the meter is away: that is when it matters most."""
        return self.coordinator.last_read is not None

    @property
    @override
    def native_value(self) -> datetime | None:
        return self.coordinator.last_read


class DlmsClockOffsetSensor(DlmsEntity, SensorEntity):
    """How far the meter's clock is ahead of Home Assistant's (diagnostic, disabled by
    default: reading the clock adds an attribute to every poll only when it is enabled).
    Load profile entries carry the meter's time, so a drifting clock shifts them."""

    @override
    async def async_added_to_hass(self) -> None:
        """Only an enabled sensor is added: from now on every poll reads the clock."""
        await super().async_added_to_hass()
        self.coordinator.read_clock = True

    @override
    async def async_will_remove_from_hass(self) -> None:
        self.coordinator.read_clock = False
        await super().async_will_remove_from_hass()

    @property
    @override
    def available(self) -> bool:
        return super().available and self.coordinator.clock_offset is not None

    @property
    @override
    def native_value(self) -> float | None:
        return self.coordinator.clock_offset


class DlmsSensor(DlmsEntity, EnergyRestoringSensor):
    """The value attribute of one COSEM object, scaled. A cumulative register restores its
    last value so that a lower first reading after a restart is not published."""

    entity_description: SensorEntityDescription

    def __init__(self, coordinator: DlmsCoordinator, description: SensorEntityDescription) -> None:
        super().__init__(coordinator, description)
        self._unit_warned = False

    @override
    def _restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        self.coordinator.restore_published(key, value, unit)

    @property
    def _reading(self) -> ObisValue | None:
        return self.coordinator.data.get(self.entity_description.key)

    @property
    @override
    def available(self) -> bool:
        """Unavailable while the meter is unreachable or this object's read failed."""
        return super().available and self._reading is not None

    @property
    @override
    def native_value(self) -> StateType:
        reading = self._reading
        if reading is None or reading.value is None:
            return None
        description = self.entity_description
        if reading.unit != description.native_unit_of_measurement:
            # The unit was assumed at setup (the first read failed) and the meter says
            # otherwise: a value in the wrong unit is worse than none. Reload to adopt it.
            if not self._unit_warned:
                LOGGER.warning(
                    "%s: the meter reports %s in %s, the sensor was set up for %s; "
                    "reload the integration to adopt the meter's unit",
                    self.coordinator.name,
                    description.key,
                    reading.unit,
                    description.native_unit_of_measurement,
                )
                self._unit_warned = True
            return None
        if isinstance(reading.value, Decimal):
            return float(reading.value)
        if description.state_class is not None or description.device_class is not None:
            return None  # text where a number was expected
        return reading.value
