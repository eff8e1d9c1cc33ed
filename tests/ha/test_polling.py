"""Polling: backoff after failed sessions, the last-successful-read diagnostic sensor, and
two meters on one line (an RS-485 bus) as two entries sharing the port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.dlms.const import DOMAIN
from libdlms import Obis
from simulator import MeterSimulator, SimulatedMeter
from simulator.session import ServerSettings

from ..conftest import SimulatorFactory
from .conftest import SERIAL, make_entry
from .test_security import GMAC_SERVER, secured_entry_data


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _waits(coordinator, count: int) -> list[float | None]:  # type: ignore[no-untyped-def]
    waits = []
    for _ in range(count):
        await coordinator.async_refresh()
        assert isinstance(coordinator.last_exception, UpdateFailed)
        waits.append(coordinator.last_exception.retry_after)
    return waits


async def test_a_meter_alone_on_its_port_is_tried_every_interval(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """A failed try costs nobody else anything: the meter is back at the first poll after
    the fault clears, however long it lasted."""
    entry = make_entry(simulator.url)
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await simulator.stop()
    assert await _waits(coordinator, 9) == [30] * 9

    await simulator.start()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.consecutive_failures == 0


async def test_backoff_on_a_shared_bus(hass: HomeAssistant, bus: MeterSimulator) -> None:
    """On a port shared with another loaded entry, a meter that stays away backs off after
    three failures (its timeouts would hold the bus from its neighbour), up to 15 minutes;
    the first good poll goes back to the interval."""
    first = make_entry(bus.url)
    second = make_entry(bus.url, unique_id="87654321", server_physical_address=18)
    await setup(hass, first)
    await setup(hass, second)
    coordinator = first.runtime_data.coordinator
    await bus.stop()
    assert await _waits(coordinator, 9) == [30, 30, 30, 60, 120, 240, 480, 900, 900]
    await bus.start()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.consecutive_failures == 0

    # With the neighbour unloaded the meter is alone on the port again.
    assert await hass.config_entries.async_unload(second.entry_id)
    await bus.stop()
    assert await _waits(coordinator, 5) == [30] * 5


async def test_last_read_sensor(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    # Enabled by the user before setup (enabling it later reloads the entry after 30 s).
    entity_id = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{SERIAL}_last_read", config_entry=entry
    ).entity_id
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry_entry = entity_registry.async_get(entity_id)
    assert registry_entry is not None
    assert registry_entry.entity_category == "diagnostic"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["device_class"] == "timestamp"
    first = state.state
    assert first not in ("unknown", STATE_UNAVAILABLE)

    # The meter goes away: the last read stays, the other sensors go unavailable.
    await simulator.stop()
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not entry.runtime_data.coordinator.last_update_success
    assert hass.states.get(entity_id).state == first

    # Back: a new time even when no value changed.
    await simulator.start()
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity_id).state > first


@pytest.fixture
async def bus(socket_enabled: None) -> AsyncGenerator[MeterSimulator]:
    """Two meters on one line: 12345678 at physical address 17, 87654321 at 18."""
    sim = MeterSimulator(
        SimulatedMeter(),
        host="127.0.0.1",
        port=0,
        bus=[(SimulatedMeter(serial_number="87654321"), ServerSettings(physical_address=18))],
    )
    await sim.start()
    yield sim
    await sim.stop()


async def test_two_meters_on_one_port(
    hass: HomeAssistant, bus: MeterSimulator, entity_registry: er.EntityRegistry
) -> None:
    first = make_entry(bus.url)
    second = make_entry(bus.url, unique_id="87654321", server_physical_address=18)
    await setup(hass, first)
    await setup(hass, second)
    assert first.state is ConfigEntryState.LOADED
    assert second.state is ConfigEntryState.LOADED
    assert first.runtime_data.coordinator.identity.serial_number == SERIAL
    assert second.runtime_data.coordinator.identity.serial_number == "87654321"
    # The diagnostic sensor is disabled by default.
    last_read = entity_registry.async_get_entity_id("sensor", DOMAIN, "87654321_last_read")
    assert last_read is not None
    registry_entry = entity_registry.async_get(last_read)
    assert registry_entry is not None
    assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION

    # Both poll at once: the port lock runs one session at a time, and both succeed.
    coordinators = [first.runtime_data.coordinator, second.runtime_data.coordinator]
    for _ in range(3):
        await asyncio.gather(*(coordinator.async_refresh() for coordinator in coordinators))
        assert all(coordinator.last_update_success for coordinator in coordinators)


async def test_kept_session_lost_and_made_again(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """Keep-session-open and a meter that goes away: the broken session is released (no
    session left open on either side), the values are unavailable, and the next poll after
    the meter is back makes a new association."""
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"keep_session": True})
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await simulator.stop()
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    state = hass.states.get("sensor.meter_12345678_active_energy_import")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    await simulator.start()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert len(simulator.sessions) == 2  # one before the meter went away, one after
    assert simulator.sessions[1].connected  # kept open between polls
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert not simulator.sessions[1].connected  # released at unload


async def test_every_value_failing_is_a_failed_poll(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """The meter answers but refuses every configured object: the poll failed (translated
    read_failed), not an update with nothing in it."""
    entry = make_entry(simulator.url, objects=[{"obis": "1.0.1.8.0.255", "class_id": 3}])
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    del simulator.meter.objects[Obis.parse("1.0.1.8.0.255")]
    await coordinator.async_refresh()
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "read_failed"


async def test_meter_without_logical_device_name_and_binary_serial(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A serial number that is not text is shown as hex; without a logical device name the
    manufacturer is unknown and the model empty."""
    simulator = await simulator_factory(serial_number="\x01\x02\xfe")
    del simulator.meter.objects[Obis.parse("0.0.42.0.0.255")]
    entry = make_entry(simulator.url, unique_id="0102c3be")
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    identity = entry.runtime_data.coordinator.identity
    assert identity.serial_number == "0102c3be"  # UTF-8 of the simulator's text, as hex
    assert identity.logical_device_name is None
    assert identity.manufacturer is None  # no logical device name, no FLAG id


async def test_counter_object_that_holds_no_counter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """The invocation counter is to be read from an object that holds text: the setup
    fails with unexpected_answer (and is retried), nothing is sent with a made-up counter."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(
        simulator.url,
        **secured_entry_data(
            invocation_counter_source="meter", invocation_counter_obis="0.0.96.1.0.255"
        ),
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "communication_error"
    assert simulator.security.last_client_counter() == 0
