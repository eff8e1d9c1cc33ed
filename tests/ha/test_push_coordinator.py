"""The push coordinator's handling of the listener's events in a real Home Assistant
(the listener itself not started): state from each notification, unavailability after
silence and back with the next notification, the energy guard, the update throttle, reauth
after keys stop working, diagnostics without the meter's serial."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import (
    DecipheringError,
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    Obis,
    PushValue,
)
from custom_components.dlms.push_coordinator import PushCoordinator
from custom_components.dlms.push_diagnostics import push_diagnostics
from custom_components.dlms.push_flow import value_spec

SERIAL = "7359992890941742"
METER_ID = PushValue(0, Obis(0, 0, 96, 1, 0, 255), SERIAL)
ENERGY_OBIS = Obis(1, 0, 1, 8, 0, 255)


def power(watts: int) -> PushValue:
    return PushValue(1, Obis(1, 0, 1, 7, 0, 255), watts, 0, "W", 27, Decimal(watts))


def energy(wh: int) -> PushValue:
    return PushValue(2, ENERGY_OBIS, wh, 0, "Wh", 30, Decimal(wh))


def event(*values: PushValue) -> NotificationReceived:
    raw = b"\x7e\xa0" + SERIAL.encode() + b"\x7e"
    return NotificationReceived(Notification(Framing.HDLC, values, raw=raw))


def push_entry(hass: HomeAssistant, **options: int) -> MockConfigEntry:
    specs = [value_spec(value) for value in (METER_ID, power(0), energy(0))]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Meter {SERIAL}",
        unique_id=SERIAL,
        data={
            "mode": "push",
            "port": "socket://127.0.0.1:1",
            "baudrate": 2400,
            "parity": "none",
            "encryption_key": "00" * 16,
            "values": specs,
            "sensors": ["1.0.1.7.0.255", "1.0.1.8.0.255"],
            "meter": {"meter_id": SERIAL},
        },
        options=options,
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    return entry


async def test_state_from_each_notification_and_silence(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = PushCoordinator(hass, push_entry(hass))
    assert not coordinator.last_update_success  # nothing heard yet
    coordinator.handle_event(event(METER_ID, power(500), energy(1000)))
    assert coordinator.last_update_success
    assert coordinator.data["1.0.1.7.0.255"].value == Decimal(500)
    assert "0.0.96.1.0.255" not in coordinator.data  # not chosen as a sensor
    for _ in range(5):
        freezer.tick(timedelta(seconds=10))
        coordinator.handle_event(event(power(600)))
    # Energy (hourly) keeps its value between hours.
    assert coordinator.data["1.0.1.8.0.255"].value == Decimal(1000)

    freezer.tick(timedelta(seconds=30))
    coordinator._async_check_silence(freezer())
    assert coordinator.last_update_success
    freezer.tick(timedelta(seconds=1))
    coordinator._async_check_silence(freezer())
    assert not coordinator.last_update_success
    coordinator.handle_event(event(power(700)))
    assert coordinator.last_update_success


async def test_energy_never_goes_backwards(hass: HomeAssistant) -> None:
    coordinator = PushCoordinator(hass, push_entry(hass))
    coordinator.handle_event(event(energy(5000)))
    coordinator.handle_event(event(energy(0)))
    coordinator.handle_event(event(energy(4000)))
    assert coordinator.data["1.0.1.8.0.255"].value == Decimal(5000)


async def test_the_throttle_publishes_at_most_every_n_seconds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = PushCoordinator(hass, push_entry(hass, min_update_interval=10))
    updates: list[int] = []
    unsub = coordinator.async_add_listener(lambda: updates.append(1))
    coordinator.handle_event(event(power(1)))
    freezer.tick(timedelta(seconds=2))
    coordinator.handle_event(event(power(2)))
    coordinator.handle_event(event(power(3)))
    assert len(updates) == 1
    assert coordinator.state.pending
    await coordinator.async_stop()  # cancels the pending publish timer
    unsub()


async def test_keys_that_stop_working_start_reauth(hass: HomeAssistant) -> None:
    entry = push_entry(hass)
    coordinator = PushCoordinator(hass, entry)
    failed = NotificationFailed(DecipheringError("tag"), Framing.HDLC, b"\xdb\x08")
    for _ in range(3):
        coordinator.handle_event(failed)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert flows[0]["step_id"] == "push_reauth"
    assert coordinator.last_error == "push_decryption_failed"


async def test_diagnostics_keep_frames_without_the_serial(hass: HomeAssistant) -> None:
    coordinator = PushCoordinator(hass, push_entry(hass))
    coordinator.handle_event(event(METER_ID, power(500)))
    diagnostics = push_diagnostics(coordinator)
    text = str(diagnostics)
    assert SERIAL not in text
    assert SERIAL.encode().hex().upper() not in text
    assert "00" * 16 not in text  # the key
    (frame,) = diagnostics["frames"]
    assert frame["decode"]["values"][1]["value"] == 500
