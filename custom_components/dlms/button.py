"""The "Synchronise clock" button of a polled meter: the meter's clock set to Home
Assistant's, by the Clock's shift_time or a SET of the time, never across a capture of the
load profile (``libdlms.synchronise_clock``). Disabled by default: a utility meter usually
refuses it, and its clock is the utility's to keep."""

from __future__ import annotations

from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, LOGGER
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .entity import DlmsEntity
from .errors import error_key
from .libdlms import ActionError, ClockSyncRefused, DataAccessError, DlmsError

PARALLEL_UPDATES = 1

SYNC_CLOCK = ButtonEntityDescription(
    key="sync_clock",
    translation_key="sync_clock",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DlmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    if isinstance(coordinator, DlmsCoordinator):  # a push meter is never written to
        async_add_entities([DlmsClockSyncButton(coordinator, SYNC_CLOCK)])


class DlmsClockSyncButton(DlmsEntity, ButtonEntity):
    @override
    async def async_press(self) -> None:
        coordinator = self.coordinator
        try:
            done = await coordinator.async_sync_clock()
        except (ClockSyncRefused, ActionError, DataAccessError) as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="clock_sync_refused",
                translation_placeholders={"error": str(err)},
            ) from err
        except DlmsError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="clock_sync_failed",
                translation_placeholders={
                    "error": str(err),
                    "reason": error_key(err, coordinator.config_entry.data),
                },
            ) from err
        LOGGER.info(
            "%s: clock set by %s, %+.1f s off before, %+.1f s after",
            coordinator.name,
            done.method,
            done.offset_before_s,
            done.offset_after_s,
        )
        coordinator.clock_offset = round(done.offset_after_s, 1)
        coordinator.async_update_listeners()
