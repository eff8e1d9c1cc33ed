"""The config flow against the simulator on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import load_meter_presets
from simulator import MeterSimulator
from simulator.session import ServerSettings
from simulator.udp import UdpMeterSimulator

from ..conftest import SimulatorFactory
from .conftest import SERIAL, make_entry
from .flow import fill, start_poll_flow

DEFAULT_OBJECTS = [
    {"obis": "1.0.1.8.0.255", "class_id": 3},
    {"obis": "1.0.2.8.0.255", "class_id": 3},
    {"obis": "1.0.1.7.0.255", "class_id": 3},
    {"obis": "1.0.32.7.0.255", "class_id": 3},
]


def closed_port() -> str:
    """A 127.0.0.1 port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"socket://127.0.0.1:{port}"


async def finish_objects_step(hass: HomeAssistant, result: FlowResult) -> FlowResult:
    """The connection test passed: take the objects step's defaults (the default values the
    meter has)."""
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == "objects"
    assert result["errors"] == {}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    return result


async def start_flow(hass: HomeAssistant) -> str:
    result = await start_poll_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    assert result["errors"] == {}
    return result["flow_id"]


@pytest.mark.usefixtures("socket_enabled")
async def test_a_meter_on_udp_with_the_settings_typed(hass: HomeAssistant) -> None:
    """udp:// is the DLMS wrapper over UDP: the client and logical addresses are the wPorts
    (the physical address and its size are not used), and the entry polls over it."""
    async with UdpMeterSimulator() as sim:
        flow_id = await start_flow(hass)
        result = await finish_objects_step(hass, await fill(hass, flow_id, {"port": sim.url}))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["port"] == sim.url
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        state = hass.states.get(f"sensor.meter_{SERIAL}_active_energy_import")
        assert state is not None
        assert state.state not in ("unknown", "unavailable")
        await hass.config_entries.async_unload(entry.entry_id)


async def test_port_alone_creates_the_entry(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """What scripts/develop posts: only the port; every other field has its default."""
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    await hass.async_block_till_done()

    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Meter {SERIAL}"
    assert result["result"].unique_id == SERIAL
    assert result["data"] == {
        "port": simulator.url,
        "baudrate": 9600,
        "mode_e": False,
        "client_address": 16,
        "server_logical_address": 1,
        "server_physical_address": 17,
        "address_size": "auto",
        "authentication": "none",
        "objects": DEFAULT_OBJECTS,
    }
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED


async def test_all_fields(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """Both OBIS notations; a Data object gets its class from the object list; duplicates go."""
    flow_id = await start_flow(hass)
    result = await fill(
        hass,
        flow_id,
        {
            "port": simulator.url,
            "client_address": 16,
            "server_logical_address": 1,
            "server_physical_address": 17,
            "address_size": "2",
            "authentication": "none",
            "password": "ignored without LLS",
        },
    )
    assert result["step_id"] == "objects"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"obis_codes": ["1-0:14.7.0*255", "0.0.96.1.0.255", "1.0.14.7.0.255"]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["address_size"] == "2"
    assert "password" not in result["data"]
    assert result["data"]["objects"] == [
        {"obis": "1.0.14.7.0.255", "class_id": 3},
        {"obis": "0.0.96.1.0.255", "class_id": 1},
    ]


async def test_cannot_connect_then_recover(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": closed_port()})
    # Back on the step the error belongs to.
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("connection", {"base": "cannot_connect"})

    simulator = await simulator_factory()
    result = await fill(hass, flow_id, {"port": simulator.url})
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_wrong_physical_address_no_answer(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """A meter that ignores frames for another address stays silent: no answer (not a
    port that cannot be opened)."""
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url, "server_physical_address": 99})
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("connection", {"base": "no_answer"})


async def test_already_configured(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    make_entry("socket://127.0.0.1:1").add_to_hass(hass)
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_invalid_obis_without_io(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """Typed codes are checked before the meter is asked for them."""
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    assert result["step_id"] == "objects"
    sessions = len(simulator.sessions)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"obis_codes": ["1.0.1.8.0.255", "1.8.0"]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"obis_codes": "invalid_obis"}
    assert result["description_placeholders"] == {"obis": "1.8.0"}

    result = await hass.config_entries.flow.async_configure(flow_id, {"obis_codes": []})
    assert result["errors"] == {"obis_codes": "no_obis_codes"}
    assert len(simulator.sessions) == sessions


async def test_lls_needs_a_password(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    flow_id = await start_flow(hass)
    result = await fill(
        hass, flow_id, {"port": simulator.url, "authentication": "lls", "password": ""}
    )
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("security", {"password": "password_required"})
    assert len(simulator.sessions) == 0


async def test_address_does_not_fit_the_size(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    flow_id = await start_flow(hass)
    result = await fill(
        hass, flow_id, {"port": simulator.url, "address_size": "2", "server_physical_address": 1000}
    )
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("addressing", {"base": "invalid_address"})
    assert len(simulator.sessions) == 0


async def test_object_not_on_the_meter(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"obis_codes": ["1.0.1.8.0.255", "1.0.3.8.0.255", "1.0.52.7.0.255"]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"obis_codes": "object_not_found"}
    assert result["description_placeholders"] == {"obis": "1-0:3.8.0*255, 1-0:52.7.0*255"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {"obis_codes": ["1.0.1.8.0.255"]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_lls_wrong_then_right_password(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    simulator = await simulator_factory(password=b"12345678")
    flow_id = await start_flow(hass)
    user_input = {"port": simulator.url, "client_address": 1, "authentication": "lls"}

    result = await fill(hass, flow_id, {**user_input, "password": "wrong"})
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("security", {"base": "invalid_auth"})
    # The form is shown again with the user's input, but never with the password.
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["authentication"] == "lls"
    assert suggested.get("password") is None

    result = await fill(hass, flow_id, {**user_input, "password": "12345678"})
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["authentication"] == "lls"
    assert result["data"]["password"] == "12345678"
    assert result["data"]["client_address"] == 1
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("preset", "typed", "expected"),
    [("16", 1, 16), ("32", 5, 32), ("custom", 32, 32), ("custom", 16, 16)],
)
async def test_client_address_presets(
    hass: HomeAssistant, simulator: MeterSimulator, preset: str, typed: int, expected: int
) -> None:
    """A preset wins over the numeric field; "custom" takes the numeric field. The entry
    keeps the number only."""
    flow_id = await start_flow(hass)
    result = await fill(
        hass,
        flow_id,
        {"port": simulator.url, "client_address_preset": preset, "client_address": typed},
    )
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["client_address"] == expected
    assert "client_address_preset" not in result["data"]


async def test_management_client_preset_with_lls(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """The management preset (1) with the LLS password, the numeric field left at 16."""
    simulator = await simulator_factory(password=b"12345678")
    flow_id = await start_flow(hass)
    result = await fill(
        hass,
        flow_id,
        {
            "port": simulator.url,
            "client_address_preset": "1",
            "authentication": "lls",
            "password": "12345678",
        },
    )
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["client_address"] == 1
    assert result["result"].state is ConfigEntryState.LOADED


async def test_lls_meter_without_authentication(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A meter that wants LLS refuses an association without authentication."""
    simulator = await simulator_factory(password=b"12345678")
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    assert result["type"] is FlowResultType.FORM
    assert (result["step_id"], result["errors"]) == ("security", {"base": "invalid_auth"})


async def test_rest_api_flow(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, simulator: MeterSimulator
) -> None:
    """The flow as the frontend and scripts/develop drive it: the form serialises, and a
    POST of the port alone creates the entry."""
    # Everything that registers HTTP views first: the router freezes when the client starts.
    assert await async_setup_component(hass, "config", {})
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()

    response = await client.post(
        "/api/config/config_entries/flow", json={"handler": DOMAIN, "show_advanced_options": False}
    )
    assert response.status == 200
    start = await response.json()
    assert (start["type"], start["step_id"]) == ("form", "user")
    fields = {field["name"]: field for field in start["data_schema"]}
    assert list(fields) == ["port", "setup"]
    assert fields["port"]["selector"] == {"serial_port": {}}
    assert fields["setup"]["default"] == "detect"
    response = await client.post(
        f"/api/config/config_entries/flow/{start['flow_id']}",
        json={"port": simulator.url, "setup": "manual"},
    )
    menu = await response.json()
    assert (menu["type"], menu["step_id"]) == ("menu", "meter_talks")
    assert menu["menu_options"] == ["poll", "push"]
    response = await client.post(
        f"/api/config/config_entries/flow/{menu['flow_id']}", json={"next_step_id": "poll"}
    )
    assert response.status == 200
    form = await response.json()
    fields = {field["name"]: field for field in form["data_schema"]}
    assert list(fields) == ["port", "baudrate", "mode_e"]
    assert fields["port"]["selector"] == {"serial_port": {}}
    url = f"/api/config/config_entries/flow/{form['flow_id']}"

    response = await client.post(url, json={"port": simulator.url})
    assert response.status == 200
    result = await response.json()
    assert (result["type"], result["step_id"]) == ("form", "addressing")
    fields = {field["name"]: field for field in result["data_schema"]}
    assert list(fields) == [
        "client_address_preset",
        "client_address",
        "meter_preset",
        "server_logical_address",
        "server_physical_address",
        "address_size",
    ]
    assert fields["client_address"]["default"] == 16
    assert fields["client_address_preset"]["description"] == {"suggested_value": "16"}
    assert fields["client_address_preset"]["selector"]["select"]["options"] == [
        "16",
        "1",
        "32",
        "48",
        "custom",
    ]
    assert fields["client_address_preset"]["selector"]["select"]["translation_key"] == (
        "client_address_preset"
    )
    assert fields["meter_preset"]["selector"]["select"]["options"] == [
        *(preset.id for preset in load_meter_presets()),
        "custom",
    ]

    response = await client.post(url, json={})
    assert response.status == 200
    result = await response.json()
    assert (result["type"], result["step_id"]) == ("form", "security")
    fields = {field["name"]: field for field in result["data_schema"]}
    assert list(fields) == [
        "authentication",
        "password",
        "security_policy",
        "security_suite",
        "encryption_key",
        "authentication_key",
        "client_private_key",
        "server_public_key",
        "system_title",
        "invocation_counter_source",
        "invocation_counter_obis",
    ]
    assert fields["password"]["selector"]["text"]["type"] == "password"
    assert fields["encryption_key"]["selector"]["text"]["type"] == "password"

    response = await client.post(url, json={})
    assert response.status == 200
    result = await response.json()
    assert result["type"] == "form"
    assert result["step_id"] == "objects"
    fields = {field["name"]: field for field in result["data_schema"]}
    assert list(fields) == ["obis_codes"]
    assert fields["obis_codes"]["default"] == [
        "1.0.1.8.0.255",
        "1.0.2.8.0.255",
        "1.0.1.7.0.255",
        "1.0.32.7.0.255",
    ]
    select = fields["obis_codes"]["selector"]["select"]
    assert select["custom_value"] is True
    assert {"value": "1.0.14.7.0.255", "label": "1-0:14.7.0*255 Frequency"} in select["options"]

    response = await client.post(url, json={})
    assert response.status == 200
    result = await response.json()
    await hass.async_block_till_done()
    assert result["type"] == "create_entry"
    assert result["title"] == f"Meter {SERIAL}"


async def test_mode_e_optical_port(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A meter whose optical port starts in IEC 62056-21 mode: without mode E it does not
    answer HDLC; with it, the sign-on switches to HDLC and the entry works."""
    simulator = await simulator_factory(settings=ServerSettings(mode_e=True))
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    assert (result["step_id"], result["errors"]) == ("connection", {"base": "no_answer"})
    result = await fill(hass, flow_id, {"port": simulator.url, "mode_e": True, "baudrate": "19200"})
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["mode_e"] is True
    assert result["data"]["baudrate"] == 19200
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("preset", "typed", "expected"),
    [
        ("iskraemeco_am550", (5, 99, "4"), (1, 17, "auto")),
        ("nartis_i100", (5, 99, "4"), (1, 17, "2")),
        # The Energomera's physical address is the meter's own: the typed one stays.
        ("energomera_ce", (5, 17, "4"), (1, 17, "auto")),
        ("custom", (1, 17, "2"), (1, 17, "2")),
    ],
)
async def test_meter_presets(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    preset: str,
    typed: tuple[int, int, str],
    expected: tuple[int, int, str],
) -> None:
    """A known meter's server addressing wins over the typed fields (where it knows it);
    "custom" takes them."""
    flow_id = await start_flow(hass)
    logical, physical, size = typed
    result = await fill(
        hass,
        flow_id,
        {
            "port": simulator.url,
            "meter_preset": preset,
            "server_logical_address": logical,
            "server_physical_address": physical,
            "address_size": size,
        },
    )
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert (
        data["server_logical_address"],
        data["server_physical_address"],
        data["address_size"],
    ) == expected
    assert "meter_preset" not in data


async def test_wrong_port_after_the_password_keeps_the_password(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    """A connection error sends the user back to the port; the steps after it come back
    with the answers given, and a secret left empty is the one typed before."""
    simulator = await simulator_factory(password=b"12345678")
    flow_id = await start_flow(hass)
    answers = {"client_address_preset": "1", "authentication": "lls", "password": "12345678"}
    result = await fill(hass, flow_id, {"port": closed_port(), **answers})
    assert (result["step_id"], result["errors"]) == ("connection", {"base": "cannot_connect"})

    result = await hass.config_entries.flow.async_configure(flow_id, {"port": simulator.url})
    assert result["step_id"] == "addressing"
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["client_address_preset"] == "1"
    result = await hass.config_entries.flow.async_configure(flow_id, {"client_address_preset": "1"})
    assert result["step_id"] == "security"
    result = await hass.config_entries.flow.async_configure(flow_id, {"authentication": "lls"})
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["password"] == "12345678"
    assert result["result"].state is ConfigEntryState.LOADED


async def test_unexpected_error_is_unknown(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The last resort: a failure that is no DlmsError (a bug) is the form's "unknown"
    error with the traceback in the log, and the flow can go on. The probe is replaced
    for this one branch only; every other test talks to the simulator."""

    async def broken_probe(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("custom_components.dlms.config_flow.async_probe", broken_probe)
    flow_id = await start_flow(hass)
    result = await fill(hass, flow_id, {"port": simulator.url})
    assert (result["step_id"], result["errors"]) == ("security", {"base": "unknown"})
    assert "Unexpected exception while probing the meter" in caplog.text

    monkeypatch.undo()
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
