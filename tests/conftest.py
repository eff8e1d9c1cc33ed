"""Shared fixtures: the meter simulator on the test loop, with a clock the test moves.

Nothing here imports Home Assistant: the library's tests run on a plain Python too. There,
sockets are not blocked, so ``socket_enabled`` (pytest-socket's fixture, which the Home
Assistant harness brings and which allows 127.0.0.1) is a fixture that does nothing."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeAlias

import pytest

from simulator import MeterSimulator, SimulatedMeter
from simulator.session import ServerSettings

START_TIME = 1_750_000_000.0


class ManualClock:
    """The simulated meter's clock, moved by the test (energy grows only when it moves)."""

    def __init__(self, now: float = START_TIME) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


if importlib.util.find_spec("pytest_socket") is None:

    @pytest.fixture
    def socket_enabled() -> None:
        """Without pytest-socket nothing blocks sockets."""


@pytest.fixture
def meter_clock() -> ManualClock:
    return ManualClock()


SimulatorFactory: TypeAlias = Callable[..., Awaitable[MeterSimulator]]


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
        **meter: Any,
    ) -> MeterSimulator:
        sim = MeterSimulator(
            SimulatedMeter(clock=meter_clock, **meter),
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
