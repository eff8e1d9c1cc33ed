"""Reauth, reconfigure and options flows against the simulator on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dlms.const import DOMAIN
from simulator import MeterSimulator

from ..conftest import SimulatorFactory
from .conftest import make_entry
from .test_config_flow import closed_port
from .test_security import (
    AK,
    EK,
    GMAC_SERVER,
    STORE_KEY,
    secured_entry_data,
    used_counters_up_to,
)

PASSWORD = "12345678"


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def reauth_flow(hass: HomeAssistant) -> dict[str, Any]:
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    return flows[0]


async def test_reauth_after_a_wrong_password(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    simulator = await simulator_factory(password=PASSWORD.encode())
    entry = make_entry(simulator.url, client_address=1, authentication="lls", password="wrong")
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR

    flow = reauth_flow(hass)
    assert flow["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"password": PASSWORD})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == PASSWORD
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_refuses_another_meter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    simulator = await simulator_factory(password=PASSWORD.encode(), serial_number="87654321")
    entry = make_entry(simulator.url, client_address=1, authentication="lls", password="wrong")
    await setup(hass, entry)

    result = await hass.config_entries.flow.async_configure(
        reauth_flow(hass)["flow_id"], {"password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"
    assert entry.data["password"] == "wrong"


async def test_reauth_with_new_keys(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, hass_storage: dict[str, Any]
) -> None:
    """The grid operator changed the keys: the entry asks for both, checks their length
    against the suite first, and goes on from the stored invocation counter."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(
        simulator.url,
        **secured_entry_data(encryption_key="a5" * 16, invocation_counter=50),
    )
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flow = reauth_flow(hass)
    assert hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["next"] > 50

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"encryption_key": EK[:-2], "authentication_key": AK}
    )
    assert result["errors"] == {"encryption_key": "key_length"}

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"encryption_key": EK, "authentication_key": AK}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["encryption_key"] == EK.lower()
    assert entry.data["invocation_counter_source"] == "persisted"
    assert entry.state is ConfigEntryState.LOADED


async def test_counter_behind_the_meter_recovers_by_itself(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """Right keys, but the meter saw higher counters (another client): refused like wrong
    keys on the wire; the meter's frame counter tells it apart, so no reauth: the setup is
    retried and goes on after the meter's counter."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    await used_counters_up_to(simulator, 5000)
    entry = make_entry(simulator.url, **secured_entry_data())
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "invocation_counter"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.counter.value > 5000


async def test_reconfigure_to_another_port(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    old = await simulator_factory()
    new = await simulator_factory()
    entry = make_entry(old.url)
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    base = {
        "client_address": 16,
        "server_logical_address": 1,
        "server_physical_address": 17,
        "address_size": "auto",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], base | {"port": closed_port()}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], base | {"port": new.url, "server_physical_address": 99}
    )
    assert result["errors"] == {"base": "no_answer"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        base | {"port": new.url, "address_size": "1", "server_logical_address": 200},
    )
    assert result["errors"] == {"base": "invalid_address"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], base | {"port": new.url}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["port"] == new.url
    assert entry.state is ConfigEntryState.LOADED
    assert len(new.sessions) >= 2  # the check, then the reloaded entry's first poll


async def test_reconfigure_refuses_another_meter(
    hass: HomeAssistant, simulator: MeterSimulator, simulator_factory: SimulatorFactory
) -> None:
    other = await simulator_factory(serial_number="87654321")
    entry = make_entry(simulator.url)
    await setup(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "port": other.url,
            "client_address": 16,
            "server_logical_address": 1,
            "server_physical_address": 17,
            "address_size": "auto",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"
    assert entry.data["port"] == simulator.url


async def test_options_scan_interval_and_objects(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    entry = make_entry(simulator.url, objects=[{"obis": "1.0.1.8.0.255", "class_id": 3}])
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(seconds=30)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 60, "obis_codes": ["1.0.1.8.0.255", "1.2.3"]}
    )
    assert result["errors"] == {"obis_codes": "invalid_obis"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 60, "obis_codes": ["1.0.99.7.0.255"]}
    )
    assert result["errors"] == {"obis_codes": "object_not_found"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"scan_interval": 60, "obis_codes": ["1.0.1.8.0.255", "0.0.96.1.0.255"]},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "scan_interval": 60,
        "objects": [
            {"obis": "1.0.1.8.0.255", "class_id": 3},
            {"obis": "0.0.96.1.0.255", "class_id": 1},
        ],
        # The session is not kept, the load profile import keeps its defaults.
        "keep_session": False,
        "load_profile_import": True,
        "load_profile": "1.0.99.1.0.255",
        "backfill_days": 7,
        "clock_tolerance": 0,  # the meter's clock is never set
        # The object list read for the form has no disconnect control: no switch.
        "disconnector": False,
    }
    # Reloaded with the options.
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(seconds=60)
    assert set(coordinator.data) == {"1.0.1.8.0.255", "0.0.96.1.0.255"}


async def test_options_without_new_objects_need_no_meter(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    entry = make_entry(simulator.url)
    await setup(hass, entry)
    await simulator.stop()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 300, "obis_codes": ["1.0.1.8.0.255"]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["objects"] == [{"obis": "1.0.1.8.0.255", "class_id": 3}]


@pytest.mark.parametrize("loaded", [True, False])
async def test_secured_options_share_the_counter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, loaded: bool
) -> None:
    """An options flow that reads the object list of a secured meter uses the entry's
    invocation counter, so the entry's next poll is not refused as a replay."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(invocation_counter=10))
    await setup(hass, entry)
    if not loaded:
        assert await hass.config_entries.async_unload(entry.entry_id)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 30, "obis_codes": ["1.0.1.8.0.255", "1.0.32.7.0.255"]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # OptionsFlowWithReload sets the entry up again, unloaded or not.
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.coordinator.data) == {"1.0.1.8.0.255", "1.0.32.7.0.255"}


async def test_removing_the_entry_forgets_the_counter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, hass_storage: dict[str, Any]
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data())
    await setup(hass, entry)
    assert STORE_KEY.format(entry.entry_id) in hass_storage
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY.format(entry.entry_id) not in hass_storage


async def test_options_load_profile_import(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """The load profile import can be switched off, pointed at another profile and given
    a longer history; a profile code that is not OBIS is refused."""
    entry = make_entry(simulator.url)
    await setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    base = {"scan_interval": 30, "obis_codes": ["1.0.1.8.0.255"]}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, "load_profile": "not-obis"}
    )
    assert result["errors"] == {"load_profile": "invalid_obis"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **base,
            "load_profile_import": False,
            "load_profile": "1-0:99.2.0*255",
            "backfill_days": 30,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["load_profile_import"] is False
    assert entry.options["load_profile"] == "1.0.99.2.0.255"
    assert entry.options["backfill_days"] == 30


async def test_options_offer_the_meters_objects(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """The options form lists what the meter's object list has (read when it opens), with
    catalogue names; a meter that cannot be asked gets the catalogue and an error."""
    entry = make_entry(simulator.url, objects=[{"obis": "1.0.1.8.0.255", "class_id": 3}])
    await setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["errors"] == {}
    schema = result["data_schema"].schema
    (key,) = (key for key in schema if str(key) == "obis_codes")
    offered = {option["value"]: option["label"] for option in schema[key].config["options"]}
    assert offered["1.0.14.7.0.255"] == "1-0:14.7.0*255 Frequency"
    assert "1.0.3.8.0.255" not in offered  # the catalogue's reactive energy: not on this meter
    assert key.default() == ["1.0.1.8.0.255"]
    hass.config_entries.options.async_abort(result["flow_id"])

    await simulator.stop()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["errors"] == {"base": "cannot_connect"}
    schema = result["data_schema"].schema
    (key,) = (key for key in schema if str(key) == "obis_codes")
    assert "1.0.3.8.0.255" in {option["value"] for option in schema[key].config["options"]}


async def test_keep_session_open(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """With the option on, polls, an options probe and the unload share the port properly:
    one association serves the polls; the options flow's probe releases it first; the
    unload releases it."""
    entry = make_entry(simulator.url, objects=[{"obis": "1.0.1.8.0.255", "class_id": 3}])
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"keep_session": True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    for _ in range(3):
        await coordinator.async_refresh()
        assert coordinator.last_update_success
    assert len(simulator.sessions) == 1
    assert simulator.sessions[0].connected  # still open between polls

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["errors"] == {}
    assert not simulator.sessions[0].connected  # released before the probe's own session
    hass.config_entries.options.async_abort(result["flow_id"])
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert simulator.sessions[-1].connected

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert not any(session.connected for session in simulator.sessions)
