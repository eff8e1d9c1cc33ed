"""The dlms.read_attribute action against the simulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import BitString
from custom_components.dlms.services import json_value
from simulator import MeterSimulator

from ..conftest import SimulatorFactory
from .conftest import SERIAL, make_entry
from .test_security import GMAC_SERVER, secured_entry_data


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def read(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "read_attribute",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )


async def test_read_values(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    entry = make_entry(simulator.url)
    await setup(hass, entry)

    response = await read(hass, entry, class_id=1, obis="0-0:96.1.0*255")
    assert response == {
        "class_id": 1,
        "obis": "0-0:96.1.0*255",
        "attribute": 2,
        "type": response["type"],
        "value": SERIAL.encode().hex(),
        "text": SERIAL,
    }
    energy = await read(hass, entry, class_id=3, obis="1.0.1.8.0.255")
    assert energy["value"] == simulator.meter.import_wh
    scaler_unit = await read(hass, entry, class_id=3, obis="1.0.32.7.0.255", attribute=3)
    assert scaler_unit["type"] == "structure"
    assert scaler_unit["value"][0] == -1


async def test_read_errors(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    entry = make_entry(simulator.url)
    await setup(hass, entry)

    with pytest.raises(ServiceValidationError) as err:
        await read(hass, entry, class_id=3, obis="1.8.0.1")
    assert err.value.translation_key == "invalid_obis"
    with pytest.raises(HomeAssistantError) as err:
        await read(hass, entry, class_id=3, obis="1.0.99.99.0.255")
    assert err.value.translation_key == "attribute_not_readable"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "read_attribute",
            {"config_entry_id": "nope", "class_id": 3, "obis": "1.0.1.8.0.255"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "entry_not_found"

    await simulator.stop()
    with pytest.raises(HomeAssistantError) as err:
        await read(hass, entry, class_id=3, obis="1.0.1.8.0.255")
    assert err.value.translation_key == "read_attribute_failed"
    assert err.value.translation_placeholders["reason"] == "cannot_connect"

    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await read(hass, entry, class_id=3, obis="1.0.1.8.0.255")
    assert err.value.translation_key == "entry_not_loaded"


async def test_read_on_a_secured_meter_keeps_the_counter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data())
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    before = coordinator.counter.value
    energy = await read(hass, entry, class_id=3, obis="1.0.1.8.0.255")
    assert energy["value"] == simulator.meter.import_wh
    assert coordinator.counter.value > before
    await coordinator.async_refresh()
    assert coordinator.last_update_success


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"\x01\xff", "01ff"),
        ([1, (b"\x00", -3)], [1, ["00", -3]]),
        ({1: Decimal("1.5")}, {"1": 1.5}),
        (datetime(2026, 3, 29, 2, 30, tzinfo=UTC), "2026-03-29T02:30:00+00:00"),
        (date(2026, 3, 29), "2026-03-29"),
        (time(23, 59), "23:59:00"),
        (None, None),
        (True, True),
        (BitString(b"\xa0", 3), "101"),
    ],
)
def test_json_value(value: object, expected: object) -> None:
    """Every decoded COSEM value becomes plain JSON (what the action's response holds)."""
    assert json_value(value) == expected
