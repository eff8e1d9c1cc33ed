"""Base entity: one meter is one device, and each entity is one description of it."""

from __future__ import annotations

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
            model=identity.logical_device_name,
            serial_number=serial,
            sw_version=identity.firmware_version,
        )
