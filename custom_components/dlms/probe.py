"""The flows' connection test: one session with the meter before anything is saved.

The config flow proves new settings with it and reads the meter's object list for the
objects step; reauth, reconfigure and the options flow prove an existing entry's changed
settings (or read its object list) and keep that entry's invocation counter going.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady

from .client_factory import build_client, port_lock, read_identity, uses_invocation_counter
from .const import (
    CONF_DISCONNECTOR,
    CONF_INVOCATION_COUNTER,
    DISCONNECT_CONTROL_CLASS,
    DISCONNECTOR_OBIS,
    LOGGER,
)
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .counter_store import CounterStore, counter_after_meter
from .errors import error_key
from .libdlms import (
    DecodeError,
    DlmsError,
    InvocationCounter,
    Obis,
    ObjectListElement,
    read_object_list,
)

# Where a failed connection test sends the user back to: the step whose fields cause it
# (the others are shown on the security step, the last before the test).
PROBE_ERROR_STEPS: Final[dict[str, str]] = {
    "cannot_connect": "connection",
    "no_answer": "connection",
    "association_rejected": "addressing",
}


async def async_probe(
    hass: HomeAssistant,
    data: dict[str, Any],
    counter: InvocationCounter | None = None,
    release: Callable[[], Awaitable[None]] | None = None,
) -> tuple[str, dict[Obis, int]]:
    """One session with the meter: its identity and its object list (OBIS -> class id).

    A secured session starts its invocation counter at the meter's (read with the public
    client) or at 0, and leaves the next value in ``data`` for the entry's coordinator.
    ``release``: frees the port first, under the port lock (an entry's kept session).
    """
    async with port_lock(hass, data[CONF_PORT]):
        if release is not None:
            await release()
        if uses_invocation_counter(data):
            counter = await counter_after_meter(
                data, counter or InvocationCounter(start=data.get(CONF_INVOCATION_COUNTER, 0))
            )
        else:
            counter = None
        try:
            async with build_client(data, counter=counter) as client:
                object_list = await read_object_list(client)
                serial, logical_device_name, _ = await read_identity(client)
        finally:
            if counter is not None:
                data[CONF_INVOCATION_COUNTER] = counter.value
    note_disconnector(data, object_list)
    # The serial number identifies the meter; a meter without one has at least its
    # logical device name (mandatory in every logical device).
    identifier = serial or logical_device_name
    if identifier is None:
        raise DecodeError("the meter gives neither a serial number nor a logical device name")
    return identifier, {element.logical_name: element.class_id for element in object_list}


def note_disconnector(data: dict[str, Any], object_list: Iterable[ObjectListElement]) -> None:
    """Leave in ``data`` whether this client may operate the meter's disconnect control
    (both remote_disconnect and remote_reconnect granted by the object list): the entry
    then offers it as a switch."""
    operable = any(
        element.logical_name == DISCONNECTOR_OBIS
        and element.class_id == DISCONNECT_CONTROL_CLASS
        and {1, 2} <= set(element.methods)
        for element in object_list
    )
    if operable:
        data[CONF_DISCONNECTOR] = True
    else:
        data.pop(CONF_DISCONNECTOR, None)


async def async_probe_entry(
    hass: HomeAssistant, entry: DlmsConfigEntry, data: dict[str, Any]
) -> tuple[str, dict[Obis, int]]:
    """``async_probe`` for an existing entry (reauth, reconfigure, options): it goes on from
    the entry's invocation counter (the running coordinator's own counter object, else the
    stored one) and stores where it left off, so the entry never reuses a value."""
    counter: InvocationCounter | None = None
    release = None
    store = CounterStore(hass, entry.entry_id)
    loaded = entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator if loaded else None
    if not isinstance(coordinator, DlmsCoordinator):
        coordinator = None  # not loaded, or (never asked for here) a push meter
    if coordinator is not None:
        release = coordinator.async_release_session
    if uses_invocation_counter(data):
        if coordinator is not None and coordinator.counter:
            counter = coordinator.counter
        else:
            counter = await store.async_load_start(entry.data)
    try:
        return await async_probe(hass, data, counter, release)
    finally:
        if CONF_INVOCATION_COUNTER in data:
            await store.async_save(data[CONF_INVOCATION_COUNTER])


def probe_error(err: Exception, data: Mapping[str, Any]) -> str:
    """The form error for a failed probe (logged without secrets)."""
    port = data[CONF_PORT]
    if isinstance(err, ConfigEntryNotReady):  # serialx stub for an ESPHome proxy not loaded
        LOGGER.debug("Port %s is not ready: %s", port, err)
        return "cannot_connect"
    if isinstance(err, DlmsError):
        # str(err) never carries keys or passwords (the library keeps them out).
        LOGGER.debug("The meter on %s did not work out: %s", port, err)
        return error_key(err, data)
    LOGGER.exception("Unexpected exception while probing the meter on %s", port)
    return "unknown"
