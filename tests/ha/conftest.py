"""Fixtures for the Home Assistant tests: custom integrations enabled, Home Assistant's
blocking-call guard switched on, config entries for the simulator.

Two copies of the library live in these tests, as in real life: the integration's own,
``custom_components.dlms.libdlms`` (vendored, exactly as users get it), and the meter's, the
top-level ``libdlms`` the simulator runs on. Objects handed to the integration come from the
first (``from custom_components.dlms.libdlms import Obis``), objects handed to the simulator
from the second (``from libdlms import Mechanism``); their classes are not interchangeable."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant import block_async_io
from homeassistant.const import CONF_PASSWORD, CONF_PORT
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.dlms.const import (
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_CLIENT_ADDRESS,
    CONF_OBJECTS,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    DOMAIN,
)
from simulator import MeterSimulator

# The pytest plugin does not do this: make time.sleep and friends in the event loop raise.
block_async_io.enable()

SERIAL = "12345678"

# Every value the simulator has, as the config flow stores it.
ALL_OBJECTS = [
    {"obis": "1.0.1.8.0.255", "class_id": 3},
    {"obis": "1.0.2.8.0.255", "class_id": 3},
    {"obis": "1.0.1.7.0.255", "class_id": 3},
    {"obis": "1.0.2.7.0.255", "class_id": 3},
    {"obis": "1.0.32.7.0.255", "class_id": 3},
    {"obis": "1.0.31.7.0.255", "class_id": 3},
    {"obis": "1.0.14.7.0.255", "class_id": 3},
]


def entry_data(port: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_PORT: port,
        CONF_CLIENT_ADDRESS: 16,
        CONF_SERVER_LOGICAL_ADDRESS: 1,
        CONF_SERVER_PHYSICAL_ADDRESS: 17,
        CONF_ADDRESS_SIZE: "auto",
        CONF_AUTHENTICATION: "none",
        CONF_OBJECTS: ALL_OBJECTS,
    }
    data.update(changes)
    if data[CONF_AUTHENTICATION] != "lls":
        data.pop(CONF_PASSWORD, None)
    return data


def make_entry(port: str, *, unique_id: str = SERIAL, **changes: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Meter {unique_id}",
        unique_id=unique_id,
        data=entry_data(port, **changes),
        version=1,
        minor_version=1,
    )


@pytest.fixture
def config_entry(simulator: MeterSimulator) -> MockConfigEntry:
    """An entry for the simulator, reading every object it has."""
    return make_entry(simulator.url)


@pytest.fixture(autouse=True)
def short_answer_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator answers in milliseconds: a meter that does not answer is found out
    in one second per try instead of five, which keeps the suite fast."""
    monkeypatch.setattr("custom_components.dlms.client_factory.RESPONSE_TIMEOUT", 1.0)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The plugin's own `snapshot` (Home Assistant's serializer, files in `snapshots/`) is
    shadowed by syrupy's fixture of the same name, which pytest registers later: without
    this, snapshots would go to `__snapshots__/` in plain Amber format."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Enable custom integrations in every test that sets up Home Assistant. A test using
    ``recorder_mock`` gets it set up first, as the recorder requires."""
    if "hass" not in request.fixturenames:
        return
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")
