"""The client's invocation counter of a secured entry, which must never repeat a value.

A ciphered APDU or an HLS-GMAC tag consumes one value of the counter; a meter refuses a value
it has seen (a replay) as if the keys were wrong. So the next value is saved after every
session, failed ones included, and an entry starts from the highest value it knows of: the
saved one, or the one its config flow's connection test left in the entry. When the meter
keeps its own frame counter object, the counter can also go on after the meter's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .client_factory import client_settings, port_transport
from .const import (
    CONF_IC_OBIS,
    CONF_IC_SOURCE,
    CONF_INVOCATION_COUNTER,
    DEFAULT_IC_OBIS,
    DOMAIN,
    IC_SOURCE_METER,
    LOGGER,
)
from .libdlms import DlmsError, InvocationCounter, Obis, read_invocation_counter


class CounterStore:
    """Where one entry's next invocation counter value is kept across restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, int]] = Store(
            hass, 1, f"{DOMAIN}.{entry_id}.invocation_counter"
        )

    async def async_load_start(self, data: Mapping[str, Any]) -> InvocationCounter:
        """The counter to go on with: after the saved value and after the entry's own (what
        the connection test of a config flow used), whichever is higher."""
        stored = await self._store.async_load() or {}
        return InvocationCounter(
            start=max(int(stored.get("next", 0)), int(data.get(CONF_INVOCATION_COUNTER, 0)))
        )

    async def async_save(self, next_value: int) -> None:
        """Remember the next value (after every session, failed ones too)."""
        await self._store.async_save({"next": next_value})

    async def async_remove(self) -> None:
        await self._store.async_remove()


async def read_meter_counter(data: Mapping[str, Any]) -> InvocationCounter:
    """A counter going on after the last one the meter accepted (its frame counter object,
    read with the public client without security). The caller holds the port lock."""
    obis = Obis.parse(data.get(CONF_IC_OBIS) or DEFAULT_IC_OBIS)
    return await read_invocation_counter(
        port_transport(data), client_settings(data, public=True), obis
    )


async def counter_after_meter(
    data: Mapping[str, Any], counter: InvocationCounter
) -> InvocationCounter:
    """``counter``, or one going on after the meter's own frame counter when the settings
    read it from the meter and the meter is ahead. The caller holds the port lock."""
    if data.get(CONF_IC_SOURCE) != IC_SOURCE_METER:
        return counter
    after = await read_meter_counter(data)
    return after if after.value > counter.value else counter


async def counter_behind_meter(
    data: Mapping[str, Any], counter: InvocationCounter, start: int, name: str
) -> InvocationCounter | None:
    """After a refused secured association: whether the meter had already seen the value
    the session started with (``start``: a restored backup, another client with the same
    keys), read from its frame counter object with the public client. Then the counter to
    go on with (after the meter's), so the next session works with the same keys; None when
    the meter had not (wrong keys stay wrong keys) or has no readable counter object. The
    caller holds the port lock."""
    try:
        after = await read_meter_counter(data)
    except DlmsError as err:
        LOGGER.debug("%s: the meter's invocation counter is not readable: %s", name, err)
        return None
    last = after.value - 1
    if last < start or last == 0:  # 0: the meter has seen no counter at all
        return None
    LOGGER.warning(
        "%s: the meter has seen invocation counter %d already (this session started at %d);"
        " going on after it",
        name,
        last,
        start,
    )
    return after if after.value > counter.value else counter
