"""The DLMS/COSEM meter integration: reads electricity meters over an optical probe,
an RS-485 adapter or a serial bridge (ser2net, ESPHome serial proxy)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import (
    ADDRESS_SIZE_AUTO,
    BAUDRATE,
    CONF_ADDRESS_SIZE,
    CONF_BAUDRATE,
    CONF_MODE,
    CONF_MODE_E,
    DOMAIN,
    LOGGER,
    MODE_PUSH,
)
from .coordinator import DlmsConfigEntry, DlmsCoordinator, DlmsRuntimeData
from .counter_store import CounterStore
from .history import LoadProfileImporter
from .issues import async_delete_issues
from .push_coordinator import PushCoordinator
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they work on any loaded entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """Set up a meter: the first poll reads its identity and values, or setup is retried.
    A push meter is listened to in the background: setup does not wait for it."""
    if entry.data.get(CONF_MODE) == MODE_PUSH:
        push = PushCoordinator(hass, entry)
        entry.runtime_data = DlmsRuntimeData(coordinator=push)
        await push.async_start()
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
        return True
    coordinator = DlmsCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = DlmsRuntimeData(coordinator=coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    LoadProfileImporter.async_start(hass, entry, coordinator)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """1.1 -> 1.2: the line settings that 1.1 entries could leave to the defaults (baud
    rate, mode E, address size) are written into the entry, so a later change of a default
    never changes how an existing meter is read. (An entry of a newer major version, after
    a downgrade, Home Assistant refuses before calling this.)"""
    if entry.minor_version < 2:
        defaults = {
            CONF_BAUDRATE: BAUDRATE,
            CONF_MODE_E: False,
            CONF_ADDRESS_SIZE: ADDRESS_SIZE_AUTO,
        }
        hass.config_entries.async_update_entry(
            entry, data={**defaults, **entry.data}, minor_version=2
        )
        LOGGER.debug("%s migrated to version 1.2", entry.title)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """Unload a meter; the coordinator shuts itself down with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> None:
    """Forget the entry's stored invocation counter and its repair issues."""
    await CounterStore(hass, entry.entry_id).async_remove()
    async_delete_issues(hass, entry.entry_id)
