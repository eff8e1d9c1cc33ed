"""Base entity: one meter is one device, and each entity is one description of it."""

from __future__ import annotations

from abc import abstractmethod
from decimal import Decimal
from typing import override

from homeassistant.components.sensor import RestoreSensor, SensorStateClass
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import DlmsCoordinator


class DlmsEntity(CoordinatorEntity[DlmsCoordinator]):
    """An entity of one meter: its unique id is the meter's serial number and the
    description's key (a dotted OBIS code, or the key of a diagnostic sensor), so it stays
    the same when the entry's port, addresses or title change."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: DlmsCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        identity = coordinator.identity
        serial = identity.serial_number
        self._attr_unique_id = f"{serial}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, serial)},
            name=f"Meter {serial}",
            manufacturer=identity.manufacturer,
            model=identity.model or identity.logical_device_name,
            serial_number=serial,
            sw_version=identity.firmware_version,
        )


class EnergyRestoringSensor(RestoreSensor):
    """A sensor whose cumulative register restores its last state after a restart, so that
    a lower first reading (a corrupt frame, a meter briefly at zero) is not published."""

    @abstractmethod
    def _restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        """Hand the restored value to the entity's coordinator (its energy guard)."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        description = self.entity_description
        if description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return
        last = await self.async_get_last_sensor_data()
        if (
            last is not None
            and isinstance(last.native_value, (int, float, Decimal))
            and not isinstance(last.native_value, bool)
            and last.native_unit_of_measurement == description.native_unit_of_measurement
        ):
            self._restore_published(
                description.key,
                Decimal(str(last.native_value)),
                description.native_unit_of_measurement,
            )
