"""A push meter's sensors: one per value chosen in the flow, keyed by OBIS code (by position
for a value the meter sends without one), so unique ids stay the same across restarts,
reconfiguration and new firmware that reorders a list.

Descriptions come from the values the flow's listening step saw (unit, scaler, whether a
number), through the polled path's ``describe`` for values with an OBIS code: the same
names (OBIS catalogue), device and state classes. A cumulative register shows, as
``measured_at``, the meter's own time of the reading (the hourly list's time, not the
arrival time).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .entity import EnergyRestoringSensor
from .libdlms import AttributeDescriptor, InterfaceClass, Obis
from .push_coordinator import PushCoordinator
from .values import ObisValue


def describe_push(sensor: dict[str, Any]) -> SensorEntityDescription:
    """The description of one chosen value (``sensor``: as the flow stored it)."""
    from .sensor import UNIT_DEVICE_CLASSES, describe  # noqa: PLC0415 (sensor imports us)

    numeric = bool(sensor.get("numeric", True))
    first = ObisValue(
        value=Decimal(0) if numeric else "", unit=sensor.get("unit"), scaler=sensor.get("scaler")
    )
    if sensor.get("obis"):
        obis = Obis.parse(sensor["obis"])
        class_id = InterfaceClass.REGISTER if numeric else InterfaceClass.DATA
        return describe(AttributeDescriptor(class_id, obis, 2), first)
    name = sensor.get("name") or str(sensor.get("position"))
    kwargs: dict[str, Any] = {
        "key": sensor["key"],
        "translation_key": "push_value",
        "translation_placeholders": {"name": name},
    }
    if numeric:
        unit = first.unit
        device_class, suggested = UNIT_DEVICE_CLASSES.get(unit or "", (None, None))
        kwargs |= {
            "device_class": device_class,
            "native_unit_of_measurement": unit,
            "suggested_unit_of_measurement": suggested,
            "state_class": (
                SensorStateClass.TOTAL_INCREASING
                if device_class is SensorDeviceClass.ENERGY
                else SensorStateClass.MEASUREMENT
            ),
        }
    return SensorEntityDescription(**kwargs)


class PushSensor(CoordinatorEntity[PushCoordinator], EnergyRestoringSensor):
    """One value of a push meter."""

    _attr_has_entity_name = True
    entity_description: SensorEntityDescription

    def __init__(self, coordinator: PushCoordinator, description: SensorEntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        serial = str(entry.unique_id)
        meter = entry.data.get("meter", {})
        self._attr_unique_id = f"{serial}_{description.key}"
        self._written: tuple[bool, StateType, dict[str, Any] | None] | None = None
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, serial)},
            name=f"Meter {serial}",
            manufacturer=meter.get("manufacturer"),
            model=meter.get("meter_type"),
            serial_number=meter.get("meter_id") or serial,
            sw_version=meter.get("list_version"),
        )

    @override
    def _restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        self.coordinator.restore_published(key, value, unit)

    @property
    def _reading(self) -> ObisValue | None:
        return self.coordinator.state.data.get(self.entity_description.key)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed: a meter pushing every second or two mostly
        repeats itself (energy moves hourly on Norwegian lists), and each write costs the
        event loop and the recorder."""
        written = (self.available, self.native_value, self.extra_state_attributes)
        if written != self._written:
            self._written = written
            self.async_write_ha_state()

    @property
    @override
    def available(self) -> bool:
        """Unavailable after the meter's silence, and until the value first came."""
        return super().available and self._reading is not None

    @property
    @override
    def native_value(self) -> StateType:
        reading = self._reading
        if reading is None or reading.value is None:
            return None
        if isinstance(reading.value, Decimal):
            if reading.unit != self.entity_description.native_unit_of_measurement:
                return None  # a value in another unit than the sensor's is worse than none
            return float(reading.value)
        description = self.entity_description
        if description.state_class is not None or description.device_class is not None:
            return None  # text where a number was expected
        return reading.value

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return None
        measured = self.coordinator.state.measured_at.get(self.entity_description.key)
        return None if measured is None else {"measured_at": measured.isoformat()}


def push_entities(coordinator: PushCoordinator) -> list[PushSensor]:
    return [PushSensor(coordinator, describe_push(sensor)) for sensor in coordinator.sensors]
