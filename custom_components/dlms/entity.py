"""Base entity: one meter is one device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .client_factory import MeterIdentity
from .const import DOMAIN
from .coordinator import DlmsCoordinator


class DlmsEntity(CoordinatorEntity[DlmsCoordinator]):
    """An entity of one meter, named after the meter's serial number."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: DlmsCoordinator, identity: MeterIdentity) -> None:
        super().__init__(coordinator)
        serial = identity.serial_number
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, serial)},
            name=f"Meter {serial}",
            manufacturer=identity.manufacturer,
            model=identity.logical_device_name,
            serial_number=serial,
            sw_version=identity.firmware_version,
        )
