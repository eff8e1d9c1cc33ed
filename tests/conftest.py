"""Shared fixtures: custom integrations enabled for every Home Assistant test, Home
Assistant's blocking-call guard switched on, and the meter simulator on the test loop."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import pytest
from homeassistant import block_async_io

from simulator import MeterSimulator, SimulatedMeter
from simulator.session import ServerSettings

# The pytest plugin does not do this: make time.sleep and friends in the event loop raise.
block_async_io.enable()

START_TIME = 1_750_000_000.0


class ManualClock:
    """The simulated meter's clock, moved by the test (energy grows only when it moves)."""

    def __init__(self, now: float = START_TIME) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Enable custom integrations in every test that sets up Home Assistant (library
    tests do not get a Home Assistant instance). A test using ``recorder_mock`` gets it set
    up first, as the recorder requires."""
    if "hass" not in request.fixturenames:
        return
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def meter_clock() -> ManualClock:
    return ManualClock()


type SimulatorFactory = Callable[..., Awaitable[MeterSimulator]]


@pytest.fixture
async def simulator_factory(
    socket_enabled: None, meter_clock: ManualClock
) -> AsyncGenerator[SimulatorFactory]:
    """Start simulators on 127.0.0.1 (free ports); all are stopped after the test."""
    started: list[MeterSimulator] = []

    async def start(
        *,
        password: bytes | None = None,
        settings: ServerSettings | None = None,
        **meter: object,
    ) -> MeterSimulator:
        sim = MeterSimulator(
            SimulatedMeter(clock=meter_clock, **meter),  # type: ignore[arg-type]
            host="127.0.0.1",
            port=0,
            password=password,
            settings=settings,
        )
        await sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def simulator(simulator_factory: SimulatorFactory) -> MeterSimulator:
    """A meter without authentication (serial number 12345678)."""
    return await simulator_factory()
