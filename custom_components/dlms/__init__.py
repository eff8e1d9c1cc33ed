"""The DLMS/COSEM meter integration: reads electricity meters over an optical probe,
an RS-485 adapter or a serial bridge (ser2net, ESPHome serial proxy)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .const import (
    ADDRESS_SIZE_AUTO,
    BAUDRATE,
    CONF_ADDRESS_SIZE,
    CONF_BACKFILL_DAYS,
    CONF_BAUDRATE,
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
    CONF_MODE_E,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_LOAD_PROFILE,
    DOMAIN,
    LOGGER,
)
from .coordinator import DlmsConfigEntry, DlmsCoordinator, DlmsRuntimeData
from .counter_store import CounterStore
from .history import LoadProfileImporter
from .libdlms import (
    DataAccessError,
    DlmsError,
    Obis,
)
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.SENSOR]
HISTORY_INTERVAL = timedelta(hours=1)
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they work on any loaded entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DlmsConfigEntry) -> bool:
    """Set up a meter: the first poll reads its identity and values, or setup is retried."""
    coordinator = DlmsCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = DlmsRuntimeData(coordinator=coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    _start_history(hass, entry, coordinator)
    return True


def _start_history(
    hass: HomeAssistant, entry: DlmsConfigEntry, coordinator: DlmsCoordinator
) -> None:
    """Import the meter's load profile into long-term statistics now and every hour,
    each chunk in a session of its own (other polls get the port in between). Needs the
    recorder; a meter without a load profile is left alone after the first try."""
    if "recorder" not in hass.config.components or not entry.options.get(
        CONF_LOAD_PROFILE_IMPORT, True
    ):
        return
    importer = LoadProfileImporter(
        hass,
        serial=coordinator.identity.serial_number,
        name=entry.title,
        profile=Obis.parse(entry.options.get(CONF_LOAD_PROFILE, DEFAULT_LOAD_PROFILE)),
        backfill_days=int(entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)),
    )
    lock = asyncio.Lock()
    disabled = False

    async def run(_now: datetime | None = None) -> None:
        nonlocal disabled
        if disabled or lock.locked():
            return
        async with lock:
            try:
                while True:
                    await coordinator.async_session(importer.import_new)
                    if not importer.behind:
                        break
            except DataAccessError as err:
                disabled = True
                LOGGER.info("%s: no load profile to import (%s)", entry.title, err)
            except DlmsError as err:
                LOGGER.info("%s: load profile not imported this time: %s", entry.title, err)

    def schedule(now: datetime | None = None) -> None:
        entry.async_create_background_task(hass, run(now), f"{DOMAIN} load profile {entry.title}")

    schedule()
    entry.async_on_unload(async_track_time_interval(hass, schedule, HISTORY_INTERVAL))


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
    """Forget the stored invocation counter with the entry."""
    await CounterStore(hass, entry.entry_id).async_remove()
