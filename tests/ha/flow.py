"""Walking the setup flow's forms in tests: one dict of answers, each form gets its fields."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.flow_schemas import ADDRESSING_SCHEMA, SECURITY_SCHEMA, USER_SCHEMA
from libdlms import SecurityKeys
from simulator.push import PushMeter, PushSettings

# The steps before the connection test, in order, with their forms.
SETUP_SCHEMAS = {
    "connection": USER_SCHEMA,
    "addressing": ADDRESSING_SCHEMA,
    "security": SECURITY_SCHEMA,
}


async def start_manual_flow(hass: HomeAssistant, port: str, path: str) -> FlowResult:
    """A new setup flow with the settings typed: the port and "I know the settings",
    then the menu answered with ``path`` (``poll`` or ``push``)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": port, "setup": "manual"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "meter_talks"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": path})


async def start_poll_flow(hass: HomeAssistant, port: str = "/dev/ttyUSB0") -> FlowResult:
    """A new setup flow on the manual poll path: it shows the connection form (step
    ``connection``), with ``port`` suggested."""
    return await start_manual_flow(hass, port, "poll")


async def fill(
    hass: HomeAssistant, flow_id: str, answers: dict[str, Any], *, stop_at: str | None = None
) -> FlowResult:
    """Answer the current form and the setup forms after it, each with the answers it has
    fields for (the others take their defaults), until a form shows errors, the form
    ``stop_at`` or the objects step is reached, or the flow ends."""
    step = hass.config_entries.flow.async_get(flow_id)["step_id"]
    while True:
        fields = {str(key) for key in SETUP_SCHEMAS[step].schema}
        result = await hass.config_entries.flow.async_configure(
            flow_id, {key: value for key, value in answers.items() if key in fields}
        )
        await hass.async_block_till_done()
        if (
            result["type"] is not FlowResultType.FORM
            or result["errors"]
            or result["step_id"] not in SETUP_SCHEMAS
            or result["step_id"] == stop_at
        ):
            return result
        step = result["step_id"]


PUSH_SERIAL = "55500555"


def push_meter(framing: str = "hdlc", *, ek: str | None = None, ak: str | None = None) -> PushMeter:
    """The push simulator's meter, every 0.2 s, with serial number ``PUSH_SERIAL``."""
    keys = None if ek is None else SecurityKeys.from_hex(ek, ak)
    meter = PushMeter(settings=PushSettings(framing=framing, interval=0.2, keys=keys))  # type: ignore[arg-type]
    meter.meter.serial_number = PUSH_SERIAL
    meter.meter.logical_device_name = f"DLMSIM00{PUSH_SERIAL}"
    return meter


async def until(hass: HomeAssistant, condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait for ``condition`` while a listener runs (it never idles: no block_till_done)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (states change without an event to await)
            await asyncio.sleep(0.05)
