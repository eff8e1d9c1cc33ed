"""Secured meters: the security step of the config flow (keys checked before any I/O,
wrong keys and secrets found on the meter), the invocation counter kept in a Store across
sessions and restarts, read from the meter when asked, and diagnostics without secrets."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from libdlms import (
    ClientSettings,
    DlmsClient,
    InvocationCounter,
    Mechanism,
    SecurityKeys,
    SerialTransport,
)
from simulator import MeterSimulator
from simulator.session import ServerSettings

from ..conftest import SimulatorFactory
from .conftest import SERIAL, make_entry
from .flow import fill, start_poll_flow
from .test_config_flow import closed_port, finish_objects_step

EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
EK_256 = bytes(range(32)).hex()
AK_256 = bytes(range(32, 64)).hex()
SYSTEM_TITLE = "4D4D4D0000000001"
SECRET = "hls-secret-0001"
POLICY = "authenticated-encryption"
STORE_KEY = "dlms.{}.invocation_counter"

GMAC_SERVER = ServerSettings(
    mechanism=Mechanism.HIGH_GMAC,
    security_policy=POLICY,
    keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK)),
)

# The user step of a management client with HLS-GMAC and authenticated encryption.
GMAC_USER = {
    "client_address": 1,
    "authentication": "hls_gmac",
    "security_policy": POLICY,
}
KEYS_INPUT = {
    "authentication": "hls_gmac",
    "security_policy": POLICY,
    "encryption_key": EK,
    "authentication_key": AK,
    "system_title": SYSTEM_TITLE,
}


async def security_form(hass: HomeAssistant, port: str, **user: Any) -> str:
    """The flow at the security step, the connection and addressing steps answered."""
    result = await start_poll_flow(hass)
    result = await fill(
        hass, result["flow_id"], {"port": port, **(user or GMAC_USER)}, stop_at="security"
    )
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("security", {})
    return result["flow_id"]


def secured_entry_data(**changes: Any) -> dict[str, Any]:
    return {
        "client_address": 1,
        "authentication": "hls_gmac",
        "security_policy": POLICY,
        "security_suite": 0,
        "encryption_key": EK.lower(),
        "authentication_key": AK.lower(),
        "system_title": SYSTEM_TITLE.lower(),
        "invocation_counter_source": "persisted",
        "objects": [{"obis": "1.0.1.8.0.255", "class_id": 3}],
        **changes,
    }


async def test_gmac_authenticated_encryption_creates_the_entry(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    hass_storage: dict[str, Any],
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    flow_id = await security_form(hass, simulator.url)
    result = await hass.config_entries.flow.async_configure(flow_id, KEYS_INPUT)
    await hass.async_block_till_done()

    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL
    data = result["data"]
    counter_after_probe = data.pop("invocation_counter")
    assert counter_after_probe > 0
    assert [obj["obis"] for obj in data.pop("objects")] == [
        "1.0.1.8.0.255",
        "1.0.2.8.0.255",
        "1.0.1.7.0.255",
        "1.0.32.7.0.255",
    ]
    assert data == {
        "port": simulator.url,
        "baudrate": 9600,
        "mode_e": False,
        "address_size": "auto",
        "server_logical_address": 1,
        "server_physical_address": 17,
        **{key: value for key, value in secured_entry_data().items() if key != "objects"},
    }
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.data["1.0.1.8.0.255"].value == Decimal(simulator.meter.import_wh)
    # The first poll went on from the probe's counter, and its next value is stored.
    assert coordinator.counter is not None
    assert coordinator.counter.value > counter_after_probe
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]
    assert stored["data"] == {"next": coordinator.counter.value}


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"encryption_key": EK_256}, {"encryption_key": "key_length"}),
        ({"authentication_key": AK[:-2]}, {"authentication_key": "key_length"}),
        ({"security_suite": "2"}, {"encryption_key": "key_length"}),
        ({"encryption_key": "00 11 zz"}, {"encryption_key": "invalid_hex"}),
        ({"encryption_key": ""}, {"encryption_key": "key_required"}),
        ({"authentication_key": " "}, {"authentication_key": "key_required"}),
        ({"system_title": "4D4D4D00"}, {"system_title": "system_title_length"}),
        ({"system_title": "not hex"}, {"system_title": "invalid_hex"}),
        (
            {"invocation_counter_source": "meter", "invocation_counter_obis": "43.1"},
            {"invocation_counter_obis": "invalid_obis"},
        ),
    ],
)
async def test_security_input_is_checked_before_any_io(
    hass: HomeAssistant, socket_enabled: None, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    """Nobody listens on the port: any I/O would end in cannot_connect instead."""
    flow_id = await security_form(hass, closed_port())
    result = await hass.config_entries.flow.async_configure(flow_id, KEYS_INPUT | user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "security"
    assert result["errors"] == errors
    # Secrets are never offered back to the browser as suggested values.
    for field in result["data_schema"].schema:
        if str(field) in ("encryption_key", "authentication_key"):
            assert (field.description or {}).get("suggested_value") is None


async def test_suite_2_takes_32_byte_keys(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    server = ServerSettings(
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=POLICY,
        security_suite=2,
        keys=SecurityKeys(bytes.fromhex(EK_256), bytes.fromhex(AK_256)),
    )
    simulator = await simulator_factory(settings=server)
    flow_id = await security_form(hass, simulator.url)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        KEYS_INPUT
        | {"security_suite": "2", "encryption_key": EK_256, "authentication_key": AK_256},
    )
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["security_suite"] == 2
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize("wrong", ["encryption_key", "authentication_key"])
async def test_wrong_key_then_right_key(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
    wrong: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator = await simulator_factory(settings=GMAC_SERVER)
    flow_id = await security_form(hass, simulator.url)
    bad_key = "A5" * 16
    result = await hass.config_entries.flow.async_configure(flow_id, KEYS_INPUT | {wrong: bad_key})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "decryption_failed"}
    assert bad_key.lower() not in caplog.text.lower()
    assert EK.lower() not in caplog.text.lower()

    result = await hass.config_entries.flow.async_configure(flow_id, KEYS_INPUT)
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The failed probe's counter values are not used again.
    assert result["data"]["invocation_counter"] > 1


async def test_encryption_only_needs_no_authentication_key(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    server = ServerSettings(
        security_policy="encryption", keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK))
    )
    simulator = await simulator_factory(settings=server)
    flow_id = await security_form(hass, simulator.url, client_address=1)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {"security_policy": "encryption", "encryption_key": EK, "system_title": SYSTEM_TITLE},
    )
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "authentication_key" not in result["data"]
    assert result["result"].state is ConfigEntryState.LOADED


async def test_hls_sha256_secret(hass: HomeAssistant, simulator_factory: SimulatorFactory) -> None:
    """HLS-SHA256 without ciphering: the secret in the first step, the system title (part of
    the digest) in the security step; a wrong secret is invalid_auth."""
    server = ServerSettings(mechanism=Mechanism.HIGH_SHA256, password=SECRET.encode())
    simulator = await simulator_factory(settings=server)
    flow_id = await security_form(hass, simulator.url, client_address=1)
    sha256 = {"authentication": "hls_sha256", "system_title": SYSTEM_TITLE}
    result = await hass.config_entries.flow.async_configure(flow_id, sha256)
    assert result["errors"] == {"password": "password_required"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, sha256 | {"password": "not-the-secret"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(flow_id, sha256 | {"password": SECRET})
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["password"] == SECRET
    assert "invocation_counter" not in result["data"]  # no ciphering, no counter
    assert result["result"].state is ConfigEntryState.LOADED


async def used_counters_up_to(simulator: MeterSimulator, start: int) -> None:
    """Another client (same keys and system title) leaves the meter at a high counter."""
    settings = ClientSettings(
        client_address=1,
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=POLICY,
        keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK)),
        client_system_title=bytes.fromhex(SYSTEM_TITLE),
        response_timeout=1.0,
    )
    async with DlmsClient(
        SerialTransport(simulator.url), settings, counter=InvocationCounter(start=start)
    ):
        pass


async def test_counter_read_from_the_meter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A meter that has seen high counters refuses a client starting from 0; reading the
    meter's frame counter object with the public client first gets past it."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    await used_counters_up_to(simulator, 5000)

    flow_id = await security_form(hass, simulator.url)
    result = await hass.config_entries.flow.async_configure(flow_id, KEYS_INPUT)
    assert result["errors"] == {"base": "decryption_failed"}  # indistinguishable on the wire

    result = await hass.config_entries.flow.async_configure(
        flow_id, KEYS_INPUT | {"invocation_counter_source": "meter"}
    )
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["invocation_counter_source"] == "meter"
    assert result["data"]["invocation_counter_obis"] == "0.0.43.1.0.255"
    assert result["data"]["invocation_counter"] > 5000
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED

    # Another client moves the meter on again: the entry reads it before each session.
    await used_counters_up_to(simulator, 9000)
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.last_update_success
    assert entry.runtime_data.coordinator.counter.value > 9000


async def test_counter_survives_a_restart(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, hass_storage: dict[str, Any]
) -> None:
    """The entry's data still holds the probe's counter; the Store holds the newer one and
    wins, so a restart never reuses values the meter has seen."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(invocation_counter=10))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    first = entry.runtime_data.coordinator.counter.value
    assert first > 10

    # Sessions the meter remembers beyond what was stored (as if saved, then more used).
    await used_counters_up_to(simulator, first)
    hass_storage[STORE_KEY.format(entry.entry_id)]["data"] = {"next": first + 10}
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.counter.value > first + 10


async def test_counter_is_saved_after_a_failed_session(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, hass_storage: dict[str, Any]
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(invocation_counter=100))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator

    simulator.faults.drop_frames = 1000  # the meter goes silent mid-session
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert hass_storage[STORE_KEY.format(entry.entry_id)]["data"] == {
        "next": coordinator.counter.value
    }
    simulator.faults.drop_frames = 0
    await coordinator.async_refresh()
    assert coordinator.last_update_success


async def test_changed_keys_stop_polling(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """The meter's keys were changed: a setup error (no retry loop), decryption_failed."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(encryption_key="a5" * 16))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "decryption_failed"


async def test_no_answer_is_retried(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    entry = make_entry(simulator.url, server_physical_address=99)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "no_answer"


async def test_diagnostics_redact_keys_and_system_title(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator_factory: SimulatorFactory,
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(invocation_counter=7))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    dumped = json.dumps(diagnostics).lower()
    for secret in (EK, AK, SYSTEM_TITLE):
        assert secret.lower() not in dumped
    data = diagnostics["entry"]["data"]
    for field in ("encryption_key", "authentication_key", "system_title"):
        assert data[field] == "**REDACTED**"
    assert data["security_policy"] == POLICY
    assert diagnostics["coordinator"]["invocation_counter"] > 7
