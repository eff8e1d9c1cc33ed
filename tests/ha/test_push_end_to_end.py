"""Push meters end to end: the push simulator over a real socket (and a real pty) into a real
Home Assistant — the config flow with each of its outcomes, entities from notifications,
unavailability after silence, reconnection after the bridge restarts, the energy guard, and
diagnostics.

The simulator runs on the top-level ``libdlms`` (its own ``SecurityKeys``); the integration
on its vendored copy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.diagnostics import async_get_config_entry_diagnostics
from simulator.push import PtyPushSimulator, PushMeter, PushSimulator
from tests.ha.flow import PUSH_SERIAL, push_meter, start_manual_flow, until

EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
WRONG = "0F0E0D0C0B0A09080706050403020100"
SERIAL = PUSH_SERIAL
ENERGY = "sensor.meter_55500555_active_energy_import"

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(autouse=True)
def short_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flow listens 30 s for a real meter; the simulator pushes every 0.2 s."""
    monkeypatch.setattr("custom_components.dlms.config_flow.LISTEN_SECONDS", 2.0)


@pytest.fixture
async def pushing() -> AsyncIterator[Callable[..., PushSimulator]]:
    """Start push simulators on 127.0.0.1; all are stopped at the end."""
    started: list[PushSimulator] = []

    def start(meter: PushMeter | None = None) -> PushSimulator:
        simulator = PushSimulator(meter or push_meter())
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


CUSTOM_2400 = {"push_preset": "custom", "baudrate": "2400", "parity": "none"}


async def walk(
    hass: HomeAssistant, url: str, serial: dict[str, str] = CUSTOM_2400, **keys: str
) -> dict[str, Any]:
    """The push path up to what listening gives: the sensors step, or a step with errors."""
    result = await start_manual_flow(hass, url, "push")
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {"port": url, **serial})
    result = await hass.config_entries.flow.async_configure(flow_id, keys)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "push_listen"
    await hass.async_block_till_done()  # the listening task, then the flow moves on
    return dict(await hass.config_entries.flow.async_configure(flow_id))


async def add(hass: HomeAssistant, url: str, **keys: str) -> str:
    result = await walk(hass, url, **keys)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "push_sensors"), result
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry_id: str = result["result"].entry_id
    await hass.async_block_till_done()
    return entry_id


def energy(hass: HomeAssistant) -> str | None:
    state = hass.states.get(ENERGY)
    return None if state is None else state.state


def kwh(hass: HomeAssistant) -> float:
    """The energy sensor as a number (0 while it has none)."""
    try:
        return float(energy(hass) or 0)
    except ValueError:
        return 0.0


# ---------------------------------------------------------------------------- the flow


@pytest.mark.parametrize(
    ("framing", "keys"),
    [
        ("hdlc", {}),
        ("mbus", {"encryption_key": EK}),
        ("hdlc", {"encryption_key": EK, "authentication_key": AK}),
        ("raw", {"encryption_key": EK}),
    ],
)
async def test_the_push_flow_creates_an_entry_whose_sensors_follow_the_meter(
    hass: HomeAssistant,
    pushing: Callable[..., PushSimulator],
    framing: str,
    keys: dict[str, str],
) -> None:
    meter = push_meter(framing, ek=keys.get("encryption_key"), ak=keys.get("authentication_key"))
    async with pushing(meter) as simulator:
        result = await walk(hass, simulator.url, **keys)
        assert result["step_id"] == "push_sensors"
        placeholders = result["description_placeholders"]
        assert placeholders["framing"] == framing
        assert placeholders["serial"] == SERIAL
        assert placeholders["encrypted"] == ("yes" if keys else "no")
        result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == f"Meter {SERIAL}"
        await hass.async_block_till_done()
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        first = float(energy(hass) or 0)
        assert first == pytest.approx(meter.meter.import_wh / 1000, abs=0.01)
        power = hass.states.get("sensor.meter_55500555_active_power_import")
        assert power is not None
        assert power.attributes["unit_of_measurement"] == "W"


@pytest.mark.parametrize(
    ("meter_keys", "given", "expected"),
    [
        ({"ek": EK}, {"encryption_key": WRONG}, ("push_keys", "push_decryption_failed")),
        (
            {"ek": EK, "ak": AK},
            {"encryption_key": EK, "authentication_key": WRONG},
            ("push_keys", "push_tag_failed"),
        ),
        ({}, {"encryption_key": EK}, ("push_keys", "push_not_encrypted")),
        ({"ek": EK}, {}, ("push_keys", "push_key_required")),
    ],
)
async def test_key_errors_name_the_key(
    hass: HomeAssistant,
    pushing: Callable[..., PushSimulator],
    meter_keys: dict[str, str],
    given: dict[str, str],
    expected: tuple[str, str],
) -> None:
    async with pushing(push_meter(**meter_keys)) as simulator:
        result = await walk(hass, simulator.url, **given)
    step, error = expected
    assert (result["step_id"], result["errors"]) == (step, {"base": error})


async def test_nothing_received_is_said_within_the_bound(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    meter = push_meter()
    meter.settings.interval = 3600
    async with pushing(meter) as simulator:
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await walk(hass, simulator.url)
        assert loop.time() - start < 6
    assert (result["step_id"], result["errors"]) == ("push", {"base": "push_nothing_received"})


async def test_dsmr_text_and_noise_are_told_apart(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    meter = push_meter()
    meter.settings.interval = 3600
    telegram = (
        b"/ISK5\\2M550T-1012\r\n\r\n1-0:1.8.1(001234.567*kWh)\r\n1-0:1.7.0(01.234*kW)\r\n!1A2B\r\n"
    )
    for payload, error in ((telegram * 4, "push_dsmr"), (bytes(range(256)) * 8, "push_not_dlms")):
        async with pushing(meter) as simulator:
            flow = asyncio.ensure_future(walk(hass, simulator.url))
            await simulator.wait_for_clients(1)
            simulator.send_raw(payload)
            result = await flow
        assert (result["step_id"], result["errors"]) == ("push", {"base": error})


# ---------------------------------------------------------------------------- the entry


async def test_silence_makes_the_sensors_unavailable_and_the_next_notification_brings_them_back(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    meter = push_meter()
    async with pushing(meter) as simulator:
        entry_id = await add(hass, simulator.url)
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        hass.config_entries.async_update_entry(entry, options={**entry.options, "silence": 1})
        assert await hass.config_entries.async_reload(entry_id)
        await hass.async_block_till_done()
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        meter.settings.interval = 3600
        await simulator.stop()  # quiet, and restarted below on the same port
        await asyncio.sleep(1.2)
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
        await hass.async_block_till_done()
        assert energy(hass) == "unavailable"
        await simulator.start()
        await until(hass, lambda: simulator.clients > 0, 10)
        simulator.push_now()
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))


async def test_a_bridge_restart_is_survived_without_a_reload(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    meter = push_meter()
    async with pushing(meter) as simulator:
        entry_id = await add(hass, simulator.url)
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        before = float(energy(hass) or 0)
        await simulator.stop()
        meter.meter.start_import_wh += 5000  # 5 kWh more while the bridge was down
        await simulator.start()
        await until(hass, lambda: float(energy(hass) or 0) >= before + 5, 10)
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        assert entry.state is ConfigEntryState.LOADED


async def test_energy_never_goes_backwards_or_to_zero(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    meter = push_meter()
    meter.settings.interval = 3600
    async with pushing(meter) as simulator:
        flow = asyncio.ensure_future(add(hass, simulator.url))
        await simulator.wait_for_clients(1)
        simulator.push_now()
        await flow
        await until(hass, lambda: simulator.clients > 0)
        simulator.push_now()
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        before = float(energy(hass) or 0)
        for start_wh in (1000, 0):  # a corrupt register going back, then to zero
            meter.meter.start_import_wh = start_wh
            meter.meter.import_power_w = 0
            simulator.push_now()
            await asyncio.sleep(0.2)
            await hass.async_block_till_done()
            assert float(energy(hass) or 0) == before


async def test_a_pty_as_the_serial_port(hass: HomeAssistant) -> None:
    """A local serial device: the flow's listener and then the entry's open the same pty.

    2400 8N1 (the Kamstrup preset): on a Linux pty a second open with even parity fails in
    tcsetattr (EINVAL), which real UARTs do not do; even parity on a pty is covered by the
    library's listener test, which opens it once."""
    async with PtyPushSimulator(push_meter("hdlc")) as simulator:
        result = await walk(hass, simulator.path, {"push_preset": "no_kamstrup"})
        assert result["step_id"] == "push_sensors", result
        result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert (result["data"]["baudrate"], result["data"]["parity"]) == (2400, "none")
        await hass.async_block_till_done()
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        await hass.config_entries.async_unload(result["result"].entry_id)


async def test_diagnostics_hold_the_last_frames_without_keys_or_serial(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    async with pushing(push_meter(ek=EK, ak=AK)) as simulator:
        entry_id = await add(hass, simulator.url, encryption_key=EK, authentication_key=AK)
        await until(hass, lambda: energy(hass) not in (None, "unavailable", "unknown"))
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = repr(diagnostics).upper()
    assert "FRAMES" in text
    for secret in (EK, AK, SERIAL, SERIAL.encode().hex().upper()):
        assert secret not in text


# ---------------------------------------------------------------------------- later changes


async def test_reauth_with_new_keys_brings_the_values_back(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    """The grid operator changed the key: the entry asks for it, and the new one works."""
    first = push_meter(ek=EK)
    async with pushing(first) as simulator:
        entry_id = await add(hass, simulator.url, encryption_key=EK)
        await until(hass, lambda: kwh(hass) > 0)
        before = kwh(hass)
        await simulator.stop()
    changed = push_meter(ek=WRONG)  # the meter now ciphers with another key
    async with pushing(changed) as simulator:
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        hass.config_entries.async_update_entry(entry, data={**entry.data, "port": simulator.url})
        assert await hass.config_entries.async_reload(entry_id)
        await until(
            hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)), 10
        )
        (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert flow["context"]["source"] == "reauth"
        result = await hass.config_entries.flow.async_configure(flow["flow_id"])
        assert result["step_id"] == "push_reauth"
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"encryption_key": WRONG}
        )
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
        assert entry.data["encryption_key"].upper() == WRONG
        await until(hass, lambda: entry.state is ConfigEntryState.LOADED, 10)
        changed.meter.start_import_wh += 1000
        await until(hass, lambda: kwh(hass) >= before + 1, 10)


async def test_options_choose_other_sensors_and_reconfigure_moves_the_port(
    hass: HomeAssistant, pushing: Callable[..., PushSimulator]
) -> None:
    async with pushing(push_meter()) as simulator, pushing(push_meter()) as moved:
        entry_id = await add(hass, simulator.url)
        voltage = "sensor.meter_55500555_voltage_l1"
        assert hass.states.get(voltage) is None  # not ticked by default
        result = await hass.config_entries.options.async_init(entry_id)
        assert result["step_id"] == "push_options"
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                "silence": 0,
                "min_update_interval": 0,
                "sensor_keys": ["1.0.1.8.0.255", "1.0.32.7.0.255"],
            },
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        await until(
            hass,
            lambda: (
                (hass.states.get(voltage) or State("x.y", "unknown")).state
                not in ("unknown", "unavailable")
            ),
        )
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": "reconfigure", "entry_id": entry_id}
        )
        assert result["step_id"] == "push_reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"port": moved.url, **CUSTOM_2400}
        )
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "reconfigure_successful",
        )
        await hass.async_block_till_done()
        assert entry.data["port"] == moved.url
        await simulator.stop()
        await until(hass, lambda: moved.clients > 0, 10)
