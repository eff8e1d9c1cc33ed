"""The objects step: after the connection test, the values to read are chosen from what the
meter's object list really has, named from the OBIS catalogue (the names its sensors get, in
Home Assistant's language); codes can still be typed."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType

from custom_components.dlms.libdlms import Obis as IntegrationObis
from custom_components.dlms.obis_catalogue import (
    CATALOGUE,
    async_object_labels,
    offered_objects,
)
from libdlms import Obis
from simulator import MeterSimulator

from .flow import fill, start_poll_flow
from .test_translations import EN


async def objects_form(hass: HomeAssistant, simulator: MeterSimulator) -> FlowResult:
    result = await start_poll_flow(hass)
    result = await fill(hass, result["flow_id"], {"port": simulator.url})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "objects"
    assert result["errors"] == {}
    return result


def select_config(result: FlowResult) -> tuple[list[dict[str, Any]], Any]:
    schema = result["data_schema"]
    assert schema is not None
    (key,) = schema.schema
    assert str(key) == "obis_codes"
    config = schema.schema[key].config
    return list(config["options"]), key.default()


async def test_offers_what_the_meter_has(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """The simulator's registers and its serial number, catalogue names, catalogue order;
    the defaults it has are preselected. Objects it lacks (reactive energy, L2 voltage)
    and objects that are no values (clock, load profile, association, frame counter,
    logical device name) are not offered."""
    result = await objects_form(hass, simulator)
    options, default = select_config(result)
    assert options == [
        {"value": "1.0.1.8.0.255", "label": "1-0:1.8.0*255 Active energy import"},
        {"value": "1.0.2.8.0.255", "label": "1-0:2.8.0*255 Active energy export"},
        {"value": "1.0.1.7.0.255", "label": "1-0:1.7.0*255 Active power import"},
        {"value": "1.0.2.7.0.255", "label": "1-0:2.7.0*255 Active power export"},
        {"value": "1.0.32.7.0.255", "label": "1-0:32.7.0*255 Voltage L1"},
        {"value": "1.0.31.7.0.255", "label": "1-0:31.7.0*255 Current L1"},
        {"value": "1.0.14.7.0.255", "label": "1-0:14.7.0*255 Frequency"},
        {"value": "0.0.96.1.0.255", "label": "0-0:96.1.0*255 Serial number"},
    ]
    values = {option["value"] for option in options}
    assert "1.0.3.8.0.255" not in values
    assert "1.0.52.7.0.255" not in values
    assert default == ["1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.1.7.0.255", "1.0.32.7.0.255"]


async def test_choice_stored_with_class_ids(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """Offered objects and a typed one (the logical device name, not offered) are stored
    with the class ids from the object list."""
    result = await objects_form(hass, simulator)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"obis_codes": ["1.0.14.7.0.255", "0.0.96.1.0.255", "0-0:42.0.0*255", "1.0.1.8.0.255"]},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["objects"] == [
        {"obis": "1.0.14.7.0.255", "class_id": 3},
        {"obis": "0.0.96.1.0.255", "class_id": 1},
        {"obis": "0.0.42.0.0.255", "class_id": 1},
        {"obis": "1.0.1.8.0.255", "class_id": 3},
    ]
    assert result["result"].state is ConfigEntryState.LOADED


async def test_typed_codes_are_checked(hass: HomeAssistant, simulator: MeterSimulator) -> None:
    """A code that does not parse, a code the meter lacks and an empty choice are shown on
    the field; the flow goes on from there without another connection test."""
    result = await objects_form(hass, simulator)
    flow_id = result["flow_id"]
    for codes, error, obis in (
        (["1.0.1.8.0.255", "1.8.0"], "invalid_obis", "1.8.0"),
        (["1.0.1.8.0.255", "1.0.52.7.0.255"], "object_not_found", "1-0:52.7.0*255"),
        ([], "no_obis_codes", None),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, {"obis_codes": codes})
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "objects"
        assert result["errors"] == {"obis_codes": error}
        if obis is not None:
            assert result["description_placeholders"]["obis"] == obis
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"obis_codes": ["1.0.31.7.0.255"]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["objects"] == [{"obis": "1.0.31.7.0.255", "class_id": 3}]


def test_offered_objects_from_an_object_list() -> None:
    """Registers (3/4/5) are all offered, catalogue ones first, the others by code with the
    code as their name; Data objects only when the catalogue names them."""
    classes = {
        IntegrationObis.parse("1.0.99.1.0.255"): 7,  # profile generic
        IntegrationObis.parse("1.0.15.8.0.255"): 3,  # not in the catalogue
        IntegrationObis.parse("1.0.1.6.0.255"): 4 + 1,  # demand register
        IntegrationObis.parse("0.0.96.1.0.255"): 1,
        IntegrationObis.parse("0.0.96.99.0.255"): 1,  # an unnamed Data object
        IntegrationObis.parse("1.0.2.8.1.255"): 4,
        IntegrationObis.parse("1.0.1.8.1.255"): 3,
    }
    offered = offered_objects(classes, [])
    assert [obis.dotted for obis in offered] == [
        "1.0.1.8.1.255",
        "1.0.2.8.1.255",
        "1.0.1.6.0.255",
        "0.0.96.1.0.255",
        "1.0.15.8.0.255",
    ]
    # A code chosen earlier (typed on the first step) stays offered.
    assert (
        offered_objects(classes, [IntegrationObis.parse("0.0.96.99.0.255")])[-1].dotted
        == "0.0.96.99.0.255"
    )


def test_without_an_object_list_the_catalogue_is_offered() -> None:
    """The options flow when the meter cannot be asked: the catalogue, then the codes
    chosen now."""
    chosen = [IntegrationObis.parse("1.0.15.8.0.255"), IntegrationObis.parse("1.0.1.8.0.255")]
    assert offered_objects({}, chosen) == [*CATALOGUE, chosen[0]]


async def test_labels_are_the_sensor_names(hass: HomeAssistant) -> None:
    """Every catalogue code is labelled with its sensor's name (one set of translations for
    both); a code the catalogue does not know by its code alone."""
    names = EN["entity"]["sensor"]
    unknown = IntegrationObis.parse("1.0.15.8.0.255")
    labels = await async_object_labels(hass, [*CATALOGUE, unknown])
    assert labels.pop(unknown) == "1-0:15.8.0*255"
    assert labels == {
        obis: f"{obis.reduced} {names[known.translation_key]['name']}"
        for obis, known in CATALOGUE.items()
    }
    assert labels[IntegrationObis.parse("1.0.1.8.2.255")] == (
        "1-0:1.8.2*255 Active energy import tariff 2"
    )


async def test_labels_in_a_language_without_translations(hass: HomeAssistant) -> None:
    """Home Assistant in a language the integration has no translations for: English."""
    await hass.config.async_update(language="de")
    labels = await async_object_labels(hass, [IntegrationObis.parse("1.0.14.7.0.255")])
    assert list(labels.values()) == ["1-0:14.7.0*255 Frequency"]


async def test_defaults_the_meter_lacks_are_left_out(
    hass: HomeAssistant, simulator: MeterSimulator
) -> None:
    """An import-only meter (no 2.8.0): the first step's defaults pass, the objects step
    preselects the defaults the meter has, and its defaults create the entry."""
    del simulator.meter.objects[Obis.parse("1.0.2.8.0.255")]
    result = await objects_form(hass, simulator)
    options, default = select_config(result)
    assert "1.0.2.8.0.255" not in {option["value"] for option in options}
    assert default == ["1.0.1.8.0.255", "1.0.1.7.0.255", "1.0.32.7.0.255"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [obj["obis"] for obj in result["data"]["objects"]] == default
