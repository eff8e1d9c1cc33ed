"""dlms.write_attribute and dlms.call_method against the simulator (writes offered, LLS for
client 1): the clock set and read back, the disconnector switched and read back, a write the
object list refuses before anything is sent, a value of the wrong type, and the meter's own
refusals."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dlms.const import DOMAIN
from libdlms.cosem.clock import CosemDateTime
from simulator import MeterSimulator

from ..conftest import ManualClock, SimulatorFactory
from .conftest import SERIAL, make_entry
from .flow import fill, until
from .test_config_flow import finish_objects_step, start_flow

WRITER = {"client_address": 1, "authentication": "lls", "password": "12345678"}


@pytest.fixture
async def writable(simulator_factory: SimulatorFactory) -> MeterSimulator:
    return await simulator_factory(password=b"12345678", writable=True)


async def _entry(hass: HomeAssistant, sim: MeterSimulator, **data: Any) -> MockConfigEntry:
    entry = make_entry(sim.url, **WRITER, **data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _call(hass: HomeAssistant, service: str, entry: MockConfigEntry, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=service == "call_method",
    )


async def test_the_clock_is_set_and_read_back(
    hass: HomeAssistant, writable: MeterSimulator
) -> None:
    entry = await _entry(hass, writable)
    meter_now = dt.datetime.fromtimestamp(writable.meter.clock()).astimezone()
    ahead = meter_now.replace(microsecond=0) + dt.timedelta(minutes=7)
    stamp = CosemDateTime.from_datetime(ahead).to_bytes().hex()
    await _call(
        hass,
        "write_attribute",
        entry,
        class_id=8,
        obis="0-0:1.0.0*255",
        value={"type": "octet-string", "value": stamp},
    )
    assert 415 < writable.meter.clock_offset < 425
    read = await hass.services.async_call(
        DOMAIN,
        "read_attribute",
        {"config_entry_id": entry.entry_id, "class_id": 8, "obis": "0-0:1.0.0*255"},
        blocking=True,
        return_response=True,
    )
    assert read["value"] == stamp


async def test_the_disconnector_is_switched_and_read_back(
    hass: HomeAssistant, writable: MeterSimulator
) -> None:
    entry = await _entry(hass, writable)
    zero = {"type": "integer", "value": 0}
    result = await _call(
        hass, "call_method", entry, class_id=70, obis="0.0.96.3.10.255", method=1, parameters=zero
    )
    assert result == {"return": None}
    assert writable.meter.relay_connected is False
    writable.meter.relay_locked = True  # the utility locked it
    with pytest.raises(HomeAssistantError, match="temporary-failure"):
        await _call(
            hass,
            "call_method",
            entry,
            class_id=70,
            obis="0.0.96.3.10.255",
            method=2,
            parameters=zero,
        )
    assert writable.meter.relay_connected is False


async def test_refused_before_anything_is_sent(
    hass: HomeAssistant, writable: MeterSimulator
) -> None:
    entry = await _entry(hass, writable)
    sessions = len(writable.sessions)
    with pytest.raises(ServiceValidationError) as wrong_type:
        await _call(
            hass,
            "write_attribute",
            entry,
            class_id=8,
            obis="0-0:1.0.0*255",
            value={"type": "long", "value": "soon"},
        )
    assert wrong_type.value.translation_key == "invalid_value"
    assert len(writable.sessions) == sessions  # nothing at all went to the meter
    with pytest.raises(ServiceValidationError) as not_writable:
        await _call(
            hass,
            "write_attribute",
            entry,
            class_id=1,
            obis="0-0:96.1.0*255",
            value={"type": "octet-string", "value": "00"},
        )
    assert not_writable.value.translation_key == "not_writable"
    with pytest.raises(ServiceValidationError) as not_callable:
        await _call(hass, "call_method", entry, class_id=8, obis="0-0:1.0.0*255", method=1)
    assert not_callable.value.translation_key == "not_callable"
    with pytest.raises(ServiceValidationError) as missing:
        await _call(hass, "call_method", entry, class_id=70, obis="0-0:96.3.11*255", method=1)
    assert missing.value.translation_key == "object_not_in_list"
    # One session read the object list; no SET or ACTION was ever sent.
    assert writable.meter.relay_connected is True
    assert writable.meter.clock_offset == 0


async def test_the_meter_s_own_refusal(hass: HomeAssistant, writable: MeterSimulator) -> None:
    entry = await _entry(hass, writable)
    with pytest.raises(HomeAssistantError) as refused:
        await _call(
            hass,
            "write_attribute",
            entry,
            class_id=8,
            obis="0-0:1.0.0*255",
            value={"type": "octet-string", "value": "00"},
        )
    assert refused.value.translation_key == "write_refused"


async def _enabled_button(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The clock button is disabled by default: enable it and reload the entry."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("button", DOMAIN, f"{SERIAL}_sync_clock")
    assert entity_id is not None
    assert registry.async_get(entity_id).disabled_by is er.RegistryEntryDisabler.INTEGRATION  # type: ignore[union-attr]
    registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    return entity_id


async def test_the_clock_button(
    hass: HomeAssistant, writable: MeterSimulator, meter_clock: ManualClock
) -> None:
    entry = await _entry(hass, writable)
    entity_id = await _enabled_button(hass, entry)
    # The simulated meter's clock is far in the past: a capture period or more off, so
    # setting it would lose intervals of the load profile; refused, the clock untouched.
    with pytest.raises(HomeAssistantError, match="capture period or more"):
        await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    assert writable.meter.clock_offset == 0
    meter_clock.now = time.time() + 3  # three seconds fast: shift_time brings it back
    await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    assert -5 < writable.meter.clock_offset < -1


async def test_the_disconnector_switch(hass: HomeAssistant, writable: MeterSimulator) -> None:
    """Offered because the flow found a disconnect control in the object list; disabled by
    default; switched and read back; a refusal (locked) raises a repair issue that the next
    switch that works clears."""
    entry = await _entry(hass, writable, disconnector=True)
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("switch", DOMAIN, f"{SERIAL}_disconnect_control")
    assert entity_id is not None
    registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await until(
        hass, lambda: (state := hass.states.get(entity_id)) is not None and state.state == "on"
    )
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["control_state"] == "connected"

    await hass.services.async_call("switch", "turn_off", {"entity_id": entity_id}, blocking=True)
    assert writable.meter.relay_connected is False
    assert hass.states.get(entity_id).state == "off"  # type: ignore[union-attr]

    writable.meter.relay_locked = True
    with pytest.raises(HomeAssistantError, match="temporary-failure"):
        await hass.services.async_call("switch", "turn_on", {"entity_id": entity_id}, blocking=True)
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"disconnect_refused_{entry.entry_id}") is not None
    writable.meter.relay_locked = False
    await hass.services.async_call("switch", "turn_on", {"entity_id": entity_id}, blocking=True)
    assert writable.meter.relay_connected is True
    assert issues.async_get_issue(DOMAIN, f"disconnect_refused_{entry.entry_id}") is None


async def test_no_disconnector_no_switch(hass: HomeAssistant, writable: MeterSimulator) -> None:
    entry = await _entry(hass, writable)  # the flow found no disconnect control
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("switch", DOMAIN, f"{SERIAL}_disconnect_control") is None


async def test_the_flow_notes_a_disconnect_control(
    hass: HomeAssistant, writable: MeterSimulator
) -> None:
    flow_id = await start_flow(hass)
    result = await finish_objects_step(
        hass, await fill(hass, flow_id, {"port": writable.url, **WRITER})
    )
    assert result["data"]["disconnector"] is True


async def test_the_clock_is_kept_within_the_tolerance(
    hass: HomeAssistant, writable: MeterSimulator, meter_clock: ManualClock
) -> None:
    meter_clock.now = time.time() + 4  # four seconds fast
    entry = make_entry(writable.url, **WRITER)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"clock_tolerance": 2})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(hass, lambda: writable.meter.clock_offset != 0)
    assert -6 < writable.meter.clock_offset < -2  # set back by shift_time after the poll
    coordinator = entry.runtime_data.coordinator
    await until(hass, lambda: not coordinator._keeping_clock)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_meter_that_refuses_its_clock_is_left_alone(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, meter_clock: ManualClock
) -> None:
    sim = await simulator_factory(writable=True)  # the public client may not write
    meter_clock.now = time.time() + 4
    entry = make_entry(sim.url)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"clock_tolerance": 2})
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    await until(hass, lambda: coordinator.clock_tolerance == 0)  # tried once, then stopped
    assert sim.meter.clock_offset == 0
    await hass.config_entries.async_unload(entry.entry_id)
