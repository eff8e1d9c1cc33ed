"""Setting up and unloading a meter."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.dlms.const import DOMAIN
from simulator import MeterSimulator

from ..conftest import SimulatorFactory
from .conftest import entry_data, make_entry


async def test_setup_and_unload(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    identity = entry.runtime_data.coordinator.identity
    assert identity.serial_number == "12345678"
    assert identity.logical_device_name == "DLMSIM0012345678"
    assert len(simulator.sessions) == 1  # identity and values in one session

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not hasattr(entry, "runtime_data")


async def test_meter_down_at_setup_retries(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    await simulator.stop()
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "communication_error"
    assert entry.reason is not None
    assert simulator.url.removeprefix("socket://") in entry.reason


async def test_a_meter_back_soon_after_a_failed_setup_is_set_up_soon(
    hass: HomeAssistant, simulator: MeterSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The probe slipped off the meter for a moment while Home Assistant started: setup is
    retried on Home Assistant's own setup backoff (5 s, doubling up to 10 min), not after the
    polls' retry_after (the scan interval: here 10 min), so the meter is up seconds after it
    is back. (Home Assistant 2026.11 honours a retry_after that the first refresh raises.)"""
    await simulator.stop()
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"scan_interval": 600})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    await simulator.start()
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


async def test_wrong_password_is_a_setup_error(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No retry loop against a meter that may lock out after wrong passwords: a reauth
    flow asks for the password instead. The password is never logged."""
    caplog.set_level(logging.DEBUG)
    simulator = await simulator_factory(password=b"12345678")
    entry = make_entry(simulator.url, client_address=1, authentication="lls", password="Wr0ng-Pa55")
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "authentication_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert len(simulator.sessions) == 1
    assert "rejected" in caplog.text
    assert "Wr0ng-Pa55" not in caplog.text
    assert b"Wr0ng-Pa55".hex() not in caplog.text.lower().replace(" ", "")


async def test_settings_that_cannot_work_are_a_setup_error(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """An entry whose settings the library refuses before any I/O (here LLS without its
    password, as an entry edited by hand could be): retrying cannot help, so setup ends in
    an error that says what is wrong, and the meter is not contacted."""
    entry = make_entry(simulator.url, client_address=1, authentication="lls")
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_settings"
    assert entry.error_reason_translation_placeholders == {"error": "lls needs a password"}
    assert not simulator.sessions


async def test_right_password(hass: HomeAssistant, simulator_factory: SimulatorFactory) -> None:
    simulator = await simulator_factory(password=b"12345678")
    entry = make_entry(simulator.url, client_address=1, authentication="lls", password="12345678")
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_another_meter_on_the_port(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """Values of a meter with another serial number are never shown as this one's."""
    entry = make_entry(simulator.url, unique_id="87654321")
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "wrong_meter"
    assert entry.error_reason_translation_placeholders == {
        "expected": "87654321",
        "found": "12345678",
    }
    assert hass.states.async_all("sensor") == []


async def test_migration_from_1_1(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """A 1.1 entry that left the line settings to the defaults gets them written in, keeps
    what it had, and is read as before."""
    entry = make_entry(simulator.url, address_size="2")
    assert "baudrate" not in entry.data
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data["baudrate"] == 9600
    assert entry.data["mode_e"] is False
    assert entry.data["address_size"] == "2"  # what the entry had stays
    assert entry.unique_id == "12345678"
    assert entry.runtime_data.coordinator.last_update_success


async def test_newer_entry_is_refused(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """An entry from a newer major version (after a downgrade) is not guessed at."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="12345678", data=entry_data(simulator.url), version=2
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert len(simulator.sessions) == 0
