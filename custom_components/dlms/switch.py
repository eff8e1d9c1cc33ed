"""The disconnector of a polled meter (Disconnect control, class 70, 0-0:96.3.10.255): a
switch that is on while the relay is connected, with the output and control states as
attributes (read when it is added and after each switch). It exists when the object list
the flow read (setup, or the options) has the disconnect control, and is disabled by
default: operating it switches the household's power. A refusal by the meter (this client
may not, or the utility locked it) raises a repair issue until a switch succeeds."""

from __future__ import annotations

from typing import Any, Final, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_DISCONNECTOR, DOMAIN, LOGGER
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .entity import DlmsEntity
from .errors import error_key
from .issues import async_disconnect_refused
from .libdlms import (
    ActionError,
    AttributeDescriptor,
    Data,
    DataAccessError,
    DataType,
    DlmsClient,
    DlmsError,
    MethodDescriptor,
    Obis,
)

PARALLEL_UPDATES = 1
DISCONNECT_CONTROL: Final = 70
RELAY: Final = Obis(0, 0, 96, 3, 10, 255)
OUTPUT_STATE = AttributeDescriptor(DISCONNECT_CONTROL, RELAY, 2)
CONTROL_STATE = AttributeDescriptor(DISCONNECT_CONTROL, RELAY, 3)
REMOTE_DISCONNECT = MethodDescriptor(DISCONNECT_CONTROL, RELAY, 1)
REMOTE_RECONNECT = MethodDescriptor(DISCONNECT_CONTROL, RELAY, 2)
CONTROL_STATES: Final = {0: "disconnected", 1: "connected", 2: "ready_for_reconnection"}

RELAY_SWITCH = SwitchEntityDescription(
    key="disconnect_control",
    translation_key="disconnect_control",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DlmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator, DlmsCoordinator):
        return  # a push meter is never written to
    if entry.options.get(CONF_DISCONNECTOR, entry.data.get(CONF_DISCONNECTOR, False)):
        async_add_entities([DlmsDisconnectSwitch(coordinator, RELAY_SWITCH)])


class DlmsDisconnectSwitch(DlmsEntity, SwitchEntity):
    _output: bool | None = None
    _control: int | None = None

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        try:
            await self.coordinator.async_session(self._read)
        except DlmsError as err:
            LOGGER.debug("%s: disconnector state not read: %s", self.coordinator.name, err)

    async def _read(self, client: DlmsClient) -> None:
        output = await client.get(OUTPUT_STATE)
        control = await client.get(CONTROL_STATE)
        self._output = bool(output.value) if output.type is DataType.BOOLEAN else None
        self._control = control.value if isinstance(control.value, int) else None

    @property
    @override
    def is_on(self) -> bool | None:
        return self._output

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        return {
            "output_state": self._output,
            "control_state": CONTROL_STATES.get(self._control, self._control)
            if self._control is not None
            else None,
        }

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._operate(REMOTE_RECONNECT)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._operate(REMOTE_DISCONNECT)

    async def _operate(self, method: MethodDescriptor) -> None:
        coordinator = self.coordinator
        entry = coordinator.config_entry

        async def operate(client: DlmsClient) -> None:
            await client.action(method, Data(DataType.INTEGER, 0))
            await self._read(client)

        try:
            await coordinator.async_session(operate)
        except (ActionError, DataAccessError) as err:
            async_disconnect_refused(self.hass, entry, str(err))
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="disconnect_refused",
                translation_placeholders={"error": str(err)},
            ) from err
        except DlmsError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="disconnect_failed",
                translation_placeholders={"error": str(err), "reason": error_key(err, entry.data)},
            ) from err
        async_disconnect_refused(self.hass, entry, None)
        self.async_write_ha_state()
