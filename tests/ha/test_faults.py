"""Faults on the link, seen from Home Assistant: lost and corrupted frames within the
retries change nothing; a silent meter, a rebooted meter and a vanished port make the
sensors unavailable and they come back with the next poll once the fault is gone; no
traceback reaches the log and the energy never goes backwards."""

from __future__ import annotations

import logging

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from simulator import MeterSimulator

from .conftest import make_entry

ENERGY = "sensor.meter_12345678_active_energy_import"


async def _poll(hass: HomeAssistant, entry) -> str:  # type: ignore[no-untyped-def]
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(ENERGY)
    assert state is not None
    return state.state


async def test_faults_and_recovery(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    meter_clock,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    # At the levels a user runs with (Home Assistant itself adds the "Full error" traceback
    # of a failed update at DEBUG only).
    caplog.set_level(logging.INFO)
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    values: list[float] = []

    def record(state: str) -> None:
        if state != STATE_UNAVAILABLE:
            values.append(float(state))

    record(await _poll(hass, entry))

    # Lost and corrupted answers within the retries: retransmitted, nobody notices.
    simulator.faults.drop_frames = 1
    meter_clock.advance(600)
    state = await _poll(hass, entry)
    assert state != STATE_UNAVAILABLE
    record(state)
    simulator.faults.corrupt_frames = 1
    meter_clock.advance(600)
    record(await _poll(hass, entry))

    # The meter reboots between polls: the next poll makes a new session.
    simulator.reboot()
    meter_clock.advance(600)
    state = await _poll(hass, entry)
    assert state != STATE_UNAVAILABLE
    record(state)

    # The meter falls silent: unavailable; it speaks again: back with the next poll.
    simulator.faults.drop_frames = 1000
    before = len(simulator.sessions)
    assert await _poll(hass, entry) == STATE_UNAVAILABLE
    silent = set(range(before, len(simulator.sessions)))
    simulator.faults.drop_frames = 0
    meter_clock.advance(600)
    record(await _poll(hass, entry))

    # The port vanishes (bridge unplugged) and comes back.
    await simulator.stop()
    assert await _poll(hass, entry) == STATE_UNAVAILABLE
    await simulator.start()
    meter_clock.advance(600)
    record(await _poll(hass, entry))

    assert len(values) == 6
    assert values == sorted(values), "energy went backwards"
    assert values[-1] > values[0]
    assert "Traceback" not in caplog.text
    # Every session the meter answered ended cleanly on its side (released, link down);
    # the one it never answered never got a link to take down.
    assert all(
        not session.connected
        for number, session in enumerate(simulator.sessions)
        if number not in silent
    )
