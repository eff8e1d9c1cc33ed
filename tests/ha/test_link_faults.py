"""Faults on the line between Home Assistant and the meter, made by a ``LinkProxy`` in
front of the simulator: duplicated, swapped and corrupted frames, a link cut in the
middle of a frame, both ways. Whatever the fault, a poll ends within a bound, Home
Assistant stays responsive, the energy sensor keeps a value or goes unavailable and is
back with the next poll, the energy never goes backwards, no traceback reaches the log,
and no connection is left open. A ciphered meter never sees an invocation counter twice,
faulted sessions included."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from libdlms.security.counter import GLOBAL, InvocationCounterGuard
from simulator import LinkProxy, MeterSimulator

from ..conftest import ManualClock, SimulatorFactory
from .conftest import make_entry
from .test_security import GMAC_SERVER, secured_entry_data

ENERGY = "sensor.meter_12345678_active_energy_import"
IMPORT = "1.0.1.8.0.255"
# A poll with the 1 s answer timeout of these tests: a few timeouts and retries at most.
POLL_BOUND = 15.0

# (direction, fault, count, whether the poll that meets it must still succeed)
FAULTS: dict[str, tuple[str, str, int, bool]] = {
    "duplicated answers": ("to_client", "duplicate_frames", 3, True),
    "duplicated requests": ("to_meter", "duplicate_frames", 3, True),
    "swapped answers": ("to_client", "swap_frames", 1, True),
    "corrupted answer": ("to_client", "corrupt_frames", 1, True),
    "corrupted request": ("to_meter", "corrupt_frames", 1, True),
    "cut in an answer": ("to_client", "drop_mid_frame", 1, False),
    "cut in a request": ("to_meter", "drop_mid_frame", 1, False),
}


@pytest.fixture
async def proxy(simulator: MeterSimulator) -> AsyncIterator[LinkProxy]:
    async with LinkProxy(simulator.url) as link:
        yield link


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _poll(hass: HomeAssistant, entry: MockConfigEntry, proxy: LinkProxy) -> str:
    """One refresh, bounded; afterwards no connection through the proxy is left open."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(POLL_BOUND):
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
        while proxy.open_connections:  # noqa: ASYNC110 - the proxy has no event for it
            await asyncio.sleep(0.01)
    assert loop.time() - began < POLL_BOUND
    state = hass.states.get(ENERGY)
    assert state is not None
    return state.state


def _arm(proxy: LinkProxy, name: str) -> None:
    """Set the fault for the next session, past its SNRM (or UA), so it hits the
    association and the reading."""
    direction, fault, count, _ = FAULTS[name]
    faults = getattr(proxy, direction)
    faults.skip_frames = 1
    setattr(faults, fault, count)


def _fired(proxy: LinkProxy, name: str) -> bool:
    direction, fault, _, _ = FAULTS[name]
    return bool(getattr(getattr(proxy, direction), fault) == 0)


@pytest.mark.parametrize("name", list(FAULTS))
async def test_link_fault_and_recovery(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    proxy: LinkProxy,
    *,
    meter_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    caplog.set_level(logging.INFO)
    await _setup(hass, make_entry(proxy.url))
    entry = hass.config_entries.async_entries("dlms")[0]
    first = await _poll(hass, entry, proxy)
    assert first != STATE_UNAVAILABLE
    sessions_before = len(simulator.sessions)

    _arm(proxy, name)
    meter_clock.advance(600)
    during = await _poll(hass, entry, proxy)
    assert _fired(proxy, name), "the fault never hit a frame"
    faulted = set(range(sessions_before, len(simulator.sessions)))
    assert len(faulted) == 1  # the fault cost no extra session
    coordinator = entry.runtime_data.coordinator
    must_succeed = FAULTS[name][3]
    if must_succeed:
        assert during != STATE_UNAVAILABLE
        # The right value, read through the fault (never a stale or repeated answer).
        assert coordinator.data[IMPORT].value == Decimal(simulator.meter.import_wh)
    else:
        assert during == STATE_UNAVAILABLE

    meter_clock.advance(600)
    after = await _poll(hass, entry, proxy)
    assert after != STATE_UNAVAILABLE

    values = [float(s) for s in (first, during, after) if s != STATE_UNAVAILABLE]
    assert values == sorted(values), "energy went backwards"
    assert values[-1] > values[0]
    assert coordinator.data[IMPORT].value == Decimal(simulator.meter.import_wh)
    assert "Traceback" not in caplog.text
    # Every session ended on the meter's side (released, link down), except one whose
    # line was cut: that meter was never told, and only its TCP connection ended.
    still_linked = {n for n, session in enumerate(simulator.sessions) if session.connected}
    assert still_linked == (set() if must_succeed else faulted)
    assert proxy.open_connections == 0


async def test_a_line_that_damages_every_answer(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    proxy: LinkProxy,
    *,
    meter_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer fails its frame check, yet bytes keep coming: the poll still ends
    (the link gives up after a few futile repeats), the sensor is unavailable, and it is
    back with the first poll after the line heals."""
    caplog.set_level(logging.INFO)
    await _setup(hass, make_entry(proxy.url))
    entry = hass.config_entries.async_entries("dlms")[0]
    first = await _poll(hass, entry, proxy)
    assert first != STATE_UNAVAILABLE
    proxy.to_client.skip_frames = 1
    proxy.to_client.corrupt_frames = 1000
    meter_clock.advance(600)
    assert await _poll(hass, entry, proxy) == STATE_UNAVAILABLE
    assert proxy.to_client.corrupt_frames < 1000
    proxy.to_client.corrupt_frames = 0
    meter_clock.advance(600)
    after = await _poll(hass, entry, proxy)
    assert after != STATE_UNAVAILABLE
    assert float(after) > float(first)
    assert "Traceback" not in caplog.text


class RecordingGuard(InvocationCounterGuard):
    """The meter's guard, noting every client invocation counter it is shown (before it
    checks it, so a repeated one is noted too)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []
        self._accepting = False

    def check(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        if not self._accepting:
            self.seen.append(invocation_counter)
        super().check(system_title, invocation_counter, key=key)

    def accept(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        self._accepting = True  # accept checks again: the same APDU, not a new counter
        try:
            super().accept(system_title, invocation_counter, key=key)
        finally:
            self._accepting = False


async def test_invocation_counter_never_repeats_through_faults(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    meter_clock: ManualClock,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Authenticated encryption, suite 0: every fault in turn, each followed by a clean
    poll. The counters the meter saw rise strictly across all sessions, faulted ones
    included, and the counter Home Assistant stored is above all of them."""
    caplog.set_level(logging.INFO)
    simulator = await simulator_factory(settings=GMAC_SERVER)
    guard = RecordingGuard()
    simulator.security.guard = guard
    async with LinkProxy(simulator.url) as proxy:
        entry = make_entry(proxy.url, **secured_entry_data(invocation_counter=10))
        await _setup(hass, entry)
        states = [await _poll(hass, entry, proxy)]
        for name in FAULTS:
            _arm(proxy, name)
            meter_clock.advance(600)
            states.append(await _poll(hass, entry, proxy))
            assert _fired(proxy, name), name
            meter_clock.advance(600)
            states.append(await _poll(hass, entry, proxy))
            assert states[-1] != STATE_UNAVAILABLE, name
    assert guard.seen[0] >= 10
    assert all(a < b for a, b in zip(guard.seen, guard.seen[1:], strict=False)), guard.seen
    assert len(guard.seen) >= 2 * len(states)  # at least AARQ and one GET per session
    counter = entry.runtime_data.coordinator.counter
    assert counter is not None
    assert counter.value > guard.seen[-1]
    stored = hass_storage[f"dlms.{entry.entry_id}.invocation_counter"]["data"]["next"]
    assert stored == counter.value
    values = [float(s) for s in states if s != STATE_UNAVAILABLE]
    assert values == sorted(values)
    assert "Traceback" not in caplog.text
