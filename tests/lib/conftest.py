"""Fixtures for the library's own tests: a real simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulator import MeterSimulator


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[MeterSimulator]:
    async with MeterSimulator() as sim:
        yield sim
