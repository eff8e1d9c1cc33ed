"""Polled-meter presets and FLAG ids, as data: every row of the facts' table, sane values,
and the addresses detection knocks at after the usual ones."""

from __future__ import annotations

import pytest

from libdlms import (
    ConfigurationError,
    manufacturer_for_flag,
    manufacturer_name,
    meter_preset_named,
)
from libdlms.client.meter_presets import MeterPreset, load_meter_presets, preset_addresses


def test_every_polled_meter_of_the_facts_is_a_preset() -> None:
    presets = load_meter_presets()
    assert [p.manufacturer for p in presets] == [
        "Iskraemeco",
        "Landis+Gyr",
        "Landis+Gyr",
        "Energomera",
        "Milur",
        "Nartis",
        "Incotex",
        "Mikroelektronika",
        "Apator",
    ]
    e450 = meter_preset_named("landis_gyr_e450")
    assert (e450.client_address, e450.address_size, e450.server_physical) == (1, 1, None)
    assert e450.password_hint == "12345678"
    assert e450.label == "Landis+Gyr E450 (reported)"
    spodes = [p for p in presets if p.client_address == 32]
    assert {p.manufacturer for p in spodes} == {"Energomera", "Milur", "Nartis", "Incotex"}
    for preset in presets:
        if preset.flag_id is not None:
            assert manufacturer_for_flag(preset.flag_id) == preset.manufacturer, preset.id


def test_detection_knocks_at_the_fixed_addresses_only() -> None:
    assert preset_addresses() == [(17, None), (None, 1), (17, 2), (2836, 4)]


def test_a_preset_that_cannot_be_is_refused() -> None:
    good = meter_preset_named("nartis_i100")
    fields = {name: getattr(good, name) for name in good.__dataclass_fields__}
    with pytest.raises(ConfigurationError):
        MeterPreset(**{**fields, "address_size": 3})
    with pytest.raises(ConfigurationError):
        MeterPreset(**{**fields, "address_size": 1})  # a 1-byte address has no physical part
    with pytest.raises(ConfigurationError):
        meter_preset_named("nope")


def test_flag_ids_name_manufacturers_and_unknown_ids_stay_themselves() -> None:
    assert manufacturer_for_flag("isk") == "Iskraemeco"
    assert manufacturer_for_flag("KFM") == "Kaifa"
    assert manufacturer_for_flag("ADN") == "Aidon"
    assert manufacturer_for_flag("DLM") is None
    assert manufacturer_name("DLM") == "DLM"  # the simulator's id: not in the list
    assert manufacturer_name("LGZ") == "Landis+Gyr"
    assert manufacturer_name("1A2") is None
    assert manufacturer_name(None) is None
