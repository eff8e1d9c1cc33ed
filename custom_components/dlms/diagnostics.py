"""Diagnostics: the entry's settings (password, HLS secret, EK, AK and system title
redacted), the meter's identity, the invocation counter and the last values as the
coordinator published them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .const import (
    CONF_AUTHENTICATION_KEY,
    CONF_CLIENT_PRIVATE_KEY,
    CONF_ENCRYPTION_KEY,
    CONF_SERVER_PUBLIC_KEY,
    CONF_SYSTEM_TITLE,
)
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .push_diagnostics import push_diagnostics

TO_REDACT = {
    CONF_PASSWORD,
    CONF_ENCRYPTION_KEY,
    CONF_AUTHENTICATION_KEY,
    CONF_SYSTEM_TITLE,
    CONF_CLIENT_PRIVATE_KEY,
    CONF_SERVER_PUBLIC_KEY,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: DlmsConfigEntry
) -> dict[str, Any]:
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator, DlmsCoordinator):
        return push_diagnostics(coordinator)
    identity = coordinator.identity
    return {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "version": f"{entry.version}.{entry.minor_version}",
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "meter": {
            "serial_number": identity.serial_number,
            "logical_device_name": identity.logical_device_name,
            "manufacturer": identity.manufacturer,
            "firmware_version": identity.firmware_version,
        },
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "last_exception": (
                repr(coordinator.last_exception) if coordinator.last_exception else None
            ),
            "update_interval": str(coordinator.update_interval),
            "invocation_counter": (
                coordinator.counter.value if coordinator.counter is not None else None
            ),
            "scaler_units": {
                str(ref): {"scaler": scaler_unit.scaler, "unit": scaler_unit.symbol}
                for ref, scaler_unit in coordinator.reader.scaler_units.items()
            },
        },
        "data": {
            obis: {**asdict(value), "value": None if value.value is None else str(value.value)}
            for obis, value in (coordinator.data or {}).items()
        },
    }
