"""Diagnostics never contain the password, the keys or the system title; the whole output
of a secured entry is kept as a snapshot (tests/ha/snapshots/test_diagnostics.ambr)."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props
from syrupy.matchers import path_type

from custom_components.dlms.const import DOMAIN
from libdlms import Mechanism, SecurityKeys
from simulator.session import ServerSettings

from ..conftest import SimulatorFactory
from .conftest import SERIAL, entry_data, make_entry
from .test_security import AK, EK, POLICY, SECRET, SYSTEM_TITLE, secured_entry_data

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
        "manufacturer": "DLM",
        "firmware_version": "SIM-2.1.0",
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


# A secured entry with every kind of secret: the HLS-SHA256 secret in the password field,
# the keys and our system title for authenticated encryption.
SECURED_SERVER = ServerSettings(
    mechanism=Mechanism.HIGH_SHA256,
    password=SECRET.encode(),
    security_policy=POLICY,
    keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK)),
)
REDACTED = "**REDACTED**"


SNAPSHOT_FILE = Path(__file__).parent / "snapshots" / "test_diagnostics.ambr"


async def test_diagnostics_snapshot_of_a_secured_entry(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator_factory: SimulatorFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """The whole diagnostics of a secured entry. The simulator's port and the invocation
    counter (it grows with every message) vary from run to run: the snapshot keeps their
    types only; entry ids and timestamps are left out should diagnostics ever carry them.
    When diagnostics change on purpose: `pytest tests/ha/test_diagnostics.py
    --snapshot-update`, then read the diff."""
    simulator = await simulator_factory(settings=SECURED_SERVER)
    data = entry_data(
        simulator.url, **secured_entry_data(authentication="hls_sha256", invocation_counter=7)
    )
    data[CONF_PASSWORD] = SECRET  # entry_data() keeps a password for LLS only
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Meter {SERIAL}",
        unique_id=SERIAL,
        data=data,
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    secrets = {
        CONF_PASSWORD: SECRET,
        "encryption_key": EK,
        "authentication_key": AK,
        "system_title": SYSTEM_TITLE,
    }
    for field in secrets:
        assert diagnostics["entry"]["data"][field] == REDACTED
    assert diagnostics["entry"]["data"]["port"] == simulator.url
    assert diagnostics["coordinator"]["invocation_counter"] > 7
    assert diagnostics == snapshot(
        matcher=path_type({"entry.data.port": (str,), "coordinator.invocation_counter": (int,)}),
        exclude=props("entry_id", "created_at", "modified_at"),
    )
    dumped = json.dumps(diagnostics).lower()
    for secret in secrets.values():
        assert secret.lower() not in dumped
    # The stored snapshot holds no secret either, in any spelling (with --snapshot-update
    # the file is written only after the session, so the very first run cannot check it).
    if SNAPSHOT_FILE.exists():
        stored = SNAPSHOT_FILE.read_text(encoding="utf-8").lower()
        for secret in secrets.values():
            assert secret.lower() not in stored
