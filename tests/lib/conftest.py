"""Fixtures for the library's own tests."""

from __future__ import annotations

import pytest

from simulator import MeterSimulator


@pytest.fixture
def simulator() -> MeterSimulator:
    """A meter without authentication, reached in memory (``LoopbackTransport``): it
    listens on no socket. Tests that need the TCP server start their own."""
    return MeterSimulator()
