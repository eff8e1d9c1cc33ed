"""Diagnostics never contain the password."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ..conftest import SimulatorFactory
from .conftest import make_entry

PASSWORD = "s3cr3t-LLS"


async def test_diagnostics_redact_the_password(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator_factory: SimulatorFactory,
) -> None:
    simulator = await simulator_factory(password=PASSWORD.encode())
    entry = make_entry(simulator.url, client_address=1, authentication="lls", password=PASSWORD)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert PASSWORD not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["port"] == simulator.url
    assert diagnostics["meter"] == {
        "serial_number": "12345678",
        "logical_device_name": "DLMSIM0012345678",
        "manufacturer": "Unknown",
    }
    assert diagnostics["coordinator"]["last_update_success"] is True
    assert diagnostics["coordinator"]["scaler_units"]["3/1.0.32.7.0.255/2"] == {
        "scaler": -1,
        "unit": "V",
    }
    assert diagnostics["data"]["1.0.1.8.0.255"] == {
        "value": "1234567",
        "unit": "Wh",
        "scaler": 0,
    }
