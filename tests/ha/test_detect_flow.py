"""The config flow's detection path end to end: the port alone (and "Find the settings for
me", the default), detection as a progress step against the simulators over real sockets
and a real pty, the summary, the filled-in next steps, and the entry that then polls or
listens. Also what finds nothing: a bridge that sends garbage and a silent line.

The facts are shortened (a simulator answers at once and pushes every 0.2 s); everything
else is the real thing: serialx, the library's detection, Home Assistant."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import load_detection_facts
from simulator import MeterSimulator
from simulator.push import PtyPushSimulator, PushMeter, PushSimulator
from simulator.session import ServerSettings
from simulator.uart import UartSettings
from tests.bridges import SilentOrNoisyBridge
from tests.ha.flow import PUSH_SERIAL, push_meter, until

pytestmark = pytest.mark.usefixtures("socket_enabled")

EK = "000102030405060708090A0B0C0D0E0F"
SERIAL = PUSH_SERIAL
FAST = dataclasses.replace(load_detection_facts(), push_interval=1.0, answer_timeout=0.3)


@pytest.fixture(autouse=True)
def fast_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("custom_components.dlms.detect_flow.load_detection_facts", lambda: FAST)
    monkeypatch.setattr("custom_components.dlms.config_flow.LISTEN_SECONDS", 2.0)


async def detect(hass: HomeAssistant, port: str) -> dict[str, Any]:
    """The first step with the port alone, detection to its end: the summary step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"port": port})
    assert (result["type"], result["step_id"]) == (FlowResultType.SHOW_PROGRESS, "detect"), result
    assert result["progress_action"] == "detecting"
    flow_id = result["flow_id"]
    flows = hass.config_entries.flow
    await until(hass, lambda: flows.async_get(flow_id)["step_id"] != "detect", 30)
    return dict(await hass.config_entries.flow.async_configure(flow_id))


async def submit(
    hass: HomeAssistant, result: dict[str, Any], answer: dict[str, Any] | None = None
) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], answer or {}))


async def test_a_polled_meter_at_another_address_needs_only_the_port(hass: HomeAssistant) -> None:
    settings = ServerSettings(physical_address=16, address_size=4)
    async with MeterSimulator(settings=settings) as sim:
        sim.meter.serial_number = SERIAL
        found = await detect(hass, sim.url)
        assert (found["type"], found["step_id"]) == (FlowResultType.FORM, "found_poll")
        placeholders = found["description_placeholders"]
        assert placeholders["physical"] == "16"
        assert placeholders["address_size"] == "4"
        assert placeholders["serial"] == SERIAL
        assert "no answer" in placeholders["tried"]
        client = await submit(hass, found)
        assert (client["type"], client["step_id"]) == (FlowResultType.FORM, "client")
        sessions = len(sim.sessions)
        objects = await submit(hass, client)  # the public client as found: no new session
        assert (objects["type"], objects["step_id"]) == (FlowResultType.FORM, "objects")
        assert len(sim.sessions) == sessions
        created = await submit(hass, objects)
        assert created["type"] is FlowResultType.CREATE_ENTRY, created
        assert created["data"]["server_physical_address"] == 16
        assert created["data"]["address_size"] == "4"
        assert created["data"]["client_address"] == 16
        assert created["data"]["mode_e"] is False
        entry = created["result"]
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert hass.states.get(f"sensor.meter_{SERIAL}_active_energy_import") is not None
        await hass.config_entries.async_unload(entry.entry_id)


async def test_a_meter_that_answers_only_after_mode_e(hass: HomeAssistant) -> None:
    """Found after the sign-on; its identification names the model and its logical device
    name's FLAG id the manufacturer, on the device page."""
    sim = MeterSimulator(settings=ServerSettings(mode_e=True, identification="MT382-1000"))
    sim.meter.logical_device_name = "ISK1030775012345"
    async with sim:
        found = await detect(hass, sim.url)
        assert found["step_id"] == "found_poll"
        assert "mode E" in found["description_placeholders"]["connection"]
        assert found["description_placeholders"]["meter"] == "Iskraemeco MT382-1000"
        objects = await submit(hass, await submit(hass, found))
        created = await submit(hass, objects)
        assert created["type"] is FlowResultType.CREATE_ENTRY
        assert created["data"]["mode_e"] is True
        assert created["data"]["model"] == "MT382-1000"
        await hass.async_block_till_done()
        entry = created["result"]
        assert entry.state is ConfigEntryState.LOADED
        registry = dr.async_get(hass)
        device = registry.async_get_device_by_identifier((DOMAIN, entry.unique_id), entry.entry_id)
        assert device is not None
        assert (device.manufacturer, device.model) == ("Iskraemeco", "MT382-1000")
        await hass.config_entries.async_unload(entry.entry_id)


async def test_a_meter_on_ip_through_the_wrapper(hass: HomeAssistant) -> None:
    """tcp:// is the DLMS wrapper: found with the public client at wPort 1, and the entry
    polls over it."""
    sim = MeterSimulator(wrapper=True)
    sim.meter.serial_number = SERIAL
    async with sim:
        found = await detect(hass, sim.url)
        assert found["step_id"] == "found_poll", found
        assert found["description_placeholders"]["physical"] == "-"
        objects = await submit(hass, await submit(hass, found))
        created = await submit(hass, objects)
        assert created["type"] is FlowResultType.CREATE_ENTRY
        assert created["data"]["port"] == sim.url
        await hass.async_block_till_done()
        assert created["result"].state is ConfigEntryState.LOADED
        state = hass.states.get(f"sensor.meter_{SERIAL}_active_energy_import")
        assert state is not None
        assert state.state not in ("unknown", "unavailable")
        await hass.config_entries.async_unload(created["result"].entry_id)


async def test_another_client_is_proven_on_the_meter(hass: HomeAssistant) -> None:
    async with MeterSimulator(password=b"12345678") as sim:
        found = await detect(hass, sim.url)
        # The simulator wants LLS from every client: the public client is refused.
        assert found["step_id"] == "found_poll"
        assert found["errors"] == {"base": "detect_public_refused"}
        client = await submit(hass, found)
        wrong = await submit(
            hass,
            client,
            {"client_address_preset": "1", "authentication": "lls", "password": "nope"},
        )
        assert (wrong["step_id"], wrong["errors"]) == ("client", {"base": "invalid_auth"})
        objects = await submit(
            hass,
            wrong,
            {"client_address_preset": "1", "authentication": "lls", "password": "12345678"},
        )
        assert objects["step_id"] == "objects", objects
        created = await submit(hass, objects)
        assert created["data"]["client_address"] == 1
        assert created["data"]["authentication"] == "lls"
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(created["result"].entry_id)


@pytest.fixture
async def pushing() -> AsyncIterator[Callable[[PushMeter], PushSimulator]]:
    started: list[PushSimulator] = []

    def start(meter: PushMeter) -> PushSimulator:
        simulator = PushSimulator(meter)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


def has_value(hass: HomeAssistant) -> bool:
    state = hass.states.get(f"sensor.meter_{SERIAL}_active_energy_import")
    return state is not None and state.state not in ("unknown", "unavailable")


async def _unload(hass: HomeAssistant, entry_id: str) -> None:
    await hass.config_entries.async_unload(entry_id)


async def test_an_unencrypted_push_meter_needs_only_the_port(
    hass: HomeAssistant, pushing: Callable[[PushMeter], PushSimulator]
) -> None:
    sim = pushing(push_meter())
    await sim.start()
    found = await detect(hass, sim.url)
    assert (found["type"], found["step_id"]) == (FlowResultType.FORM, "found_push")
    assert found["description_placeholders"]["framing"] == "HDLC frames"
    sensors = await submit(hass, found)
    assert (sensors["type"], sensors["step_id"]) == (FlowResultType.FORM, "push_sensors")
    created = await submit(hass, sensors)
    assert created["type"] is FlowResultType.CREATE_ENTRY, created
    assert created["data"]["mode"] == "push"
    assert created["result"].unique_id == SERIAL
    await until(hass, lambda: has_value(hass))
    await _unload(hass, created["result"].entry_id)


async def test_an_encrypted_push_meter_needs_only_the_key(
    hass: HomeAssistant, pushing: Callable[[PushMeter], PushSimulator]
) -> None:
    sim = pushing(push_meter("mbus", ek=EK))
    await sim.start()
    found = await detect(hass, sim.url)
    assert found["step_id"] == "found_push"
    assert found["description_placeholders"]["system_title"] == "444C4D53494D3031"
    assert found["description_placeholders"]["values"] == "0"
    keys = await submit(hass, found)
    assert (keys["type"], keys["step_id"]) == (FlowResultType.FORM, "push_keys")
    listening = await submit(hass, keys, {"encryption_key": EK})
    assert listening["type"] is FlowResultType.SHOW_PROGRESS
    flows = hass.config_entries.flow
    await until(hass, lambda: flows.async_get(listening["flow_id"])["step_id"] != "push_listen")
    sensors = dict(await hass.config_entries.flow.async_configure(listening["flow_id"]))
    assert sensors["step_id"] == "push_sensors", sensors
    created = await submit(hass, sensors)
    assert created["type"] is FlowResultType.CREATE_ENTRY
    assert created["data"]["encryption_key"] == EK.lower()
    await _unload(hass, created["result"].entry_id)


async def test_a_push_meter_on_a_pty_at_9600(hass: HomeAssistant) -> None:
    """Real termios speed: at 2400 Bd the pty gives noise; the meter is found at 9600 Bd,
    and the entry listens there."""
    async with PtyPushSimulator(push_meter(), line=UartSettings(9600)) as sim:
        found = await detect(hass, sim.path)
        assert found["step_id"] == "found_push"
        assert found["description_placeholders"]["line"] == "9600 8N1"
        assert "listened at 2400 8N1: noise" in found["description_placeholders"]["tried"]
        sensors = await submit(hass, found)
        assert sensors["step_id"] == "push_sensors"
        created = await submit(hass, sensors)
        assert (created["data"]["baudrate"], created["data"]["parity"]) == (9600, "none")
        await until(hass, lambda: has_value(hass))
        await _unload(hass, created["result"].entry_id)


async def test_a_push_meter_at_2400_8e1_behind_rfc2217(hass: HomeAssistant) -> None:
    """Real parity, set by serialx over RFC 2217: 8N1 is noise, 8E1 is found, and the
    entry listens at 2400 8E1."""
    sim = PushSimulator(push_meter(), rfc2217=True, line=UartSettings(2400, "E"))
    await sim.start()
    try:
        found = await detect(hass, sim.url)
        assert found["step_id"] == "found_push", found
        assert found["description_placeholders"]["line"] == "2400 8E1"
        assert "listened at 2400 8N1: noise" in found["description_placeholders"]["tried"]
        created = await submit(hass, await submit(hass, found))
        assert (created["data"]["baudrate"], created["data"]["parity"]) == (2400, "even")
        await until(hass, lambda: has_value(hass))
        await _unload(hass, created["result"].entry_id)
    finally:
        await sim.stop()


async def test_a_bridge_that_sends_garbage_fails_clearly_then_the_manual_steps(
    hass: HomeAssistant,
) -> None:
    async with SilentOrNoisyBridge(os.urandom(48)) as line:
        url = line.url
        found = await detect(hass, url)
    assert (found["step_id"], found["errors"]) == ("found_nothing", {"base": "detect_nothing"})
    assert "noise (" in found["description_placeholders"]["tried"]
    menu = await submit(hass, found)
    assert (menu["type"], menu["step_id"]) == (FlowResultType.MENU, "meter_talks")
    form = dict(
        await hass.config_entries.flow.async_configure(menu["flow_id"], {"next_step_id": "push"})
    )
    assert form["step_id"] == "push"
    # The port typed first is kept.
    port_field = next(f for f in form["data_schema"].schema if str(f) == "port")
    assert port_field.description == {"suggested_value": url}


async def test_a_silent_line_fails_clearly(hass: HomeAssistant) -> None:
    async with SilentOrNoisyBridge() as line:
        found = await detect(hass, line.url)
    assert (found["step_id"], found["errors"]) == ("found_nothing", {"base": "detect_nothing"})
    assert "nothing received" in found["description_placeholders"]["tried"]


async def test_a_port_that_does_not_exist(hass: HomeAssistant) -> None:
    found = await detect(hass, "/dev/does-not-exist-dlms")
    assert (found["step_id"], found["errors"]) == ("found_nothing", {"base": "cannot_connect"})


async def test_closing_the_flow_stops_the_detection_and_frees_the_port(
    hass: HomeAssistant,
) -> None:
    async with SilentOrNoisyBridge() as line:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"port": line.url}
        )
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await until(hass, lambda: line.open == 1)
        hass.config_entries.flow.async_abort(result["flow_id"])
        await until(hass, lambda: line.open == 0)
