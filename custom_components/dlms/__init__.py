"""The DLMS/COSEM meter integration: reads electricity meters over an optical probe,
an RS-485 adapter or a serial bridge (ser2net, ESPHome serial proxy)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import (
    DlmsConfigEntry,
    DlmsCoordinator,
    DlmsRuntimeData,
    invocation_counter_store,
)
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they work on any loaded entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """Set up a meter: the first poll reads its identity and values, or setup is retried."""
    coordinator = DlmsCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    # The first successful poll always reads the identity.
    assert coordinator.identity is not None
    entry.runtime_data = DlmsRuntimeData(coordinator=coordinator, identity=coordinator.identity)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """Unload a meter; the coordinator shuts itself down with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> None:
    """Forget the stored invocation counter with the entry."""
    await invocation_counter_store(hass, entry.entry_id).async_remove()
