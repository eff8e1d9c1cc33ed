"""The push meters' serial presets: packaged data that loads, checks itself, and says what
push-meters.md says (spot checks of the settings users get wrong most)."""

from __future__ import annotations

import pytest

from libdlms import ConfigurationError, PushPreset, load_push_presets, push_preset_named


def test_every_preset_loads_with_a_unique_id_and_a_label() -> None:
    presets = load_push_presets()
    assert len(presets) >= 15
    assert len({preset.id for preset in presets}) == len(presets)
    assert all(preset.label and len(preset.country) == 2 for preset in presets)


@pytest.mark.parametrize(
    ("preset_id", "baudrate", "parity", "framing", "keys"),
    [
        ("no_kamstrup", 2400, "N", "hdlc", "none"),
        ("no_aidon", 2400, "E", "hdlc", "none"),
        ("no_kaifa", 2400, "E", "hdlc", "none"),
        ("dk_kamstrup", 2400, "N", "hdlc", "ek_ak"),
        ("at_mbus", 2400, "N", "mbus", "ek"),
        ("at_wiener_netze", 9600, "N", "raw", "ek"),
        ("lu_creos", 115200, "N", "raw", "ek"),
        ("cz_raw", 9600, "N", "raw", "none"),
    ],
)
def test_settings_from_the_field(
    preset_id: str, baudrate: int, parity: str, framing: str, keys: str
) -> None:
    preset = push_preset_named(preset_id)
    assert (preset.baudrate, preset.parity, preset.framing, preset.keys) == (
        baudrate,
        parity,
        framing,
        keys,
    )


def test_an_unknown_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        push_preset_named("xx_nothing")


def test_a_preset_with_an_impossible_parity_is_refused() -> None:
    fields = {
        "id": "x",
        "country": "XX",
        "label": "x",
        "operators": "",
        "meters": "",
        "port": "",
        "baudrate": 2400,
        "byte_size": 8,
        "framing": "hdlc",
        "keys": "none",
    }
    with pytest.raises(ConfigurationError):
        PushPreset(parity="8N1", **fields)
    assert PushPreset(parity="E", **fields).parity == "E"
