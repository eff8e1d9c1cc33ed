"""Push payload decoding, one shape at a time, on bodies built here with the A-XDR encoder;
the format profiles as data; the rendering rules of the ``listen`` contract."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from libdlms.codecs.axdr import Data, DataType, decode_data, encode_data
from libdlms.cosem.clock import CosemDateTime
from libdlms.cosem.push import (
    FormatProfile,
    decode_payload,
    format_named,
    load_formats,
    match_format,
    read_push_body,
)
from libdlms.cosem.push.render import render, scaled
from libdlms.errors import ConfigurationError, DecodeError
from libdlms.obis import Obis

ROOT = Path(__file__).resolve().parents[2]
T = DataType


def octets(value: bytes) -> Data:
    return Data(T.OCTET_STRING, value)


def obis(code: str) -> Data:
    return octets(Obis.parse(code).to_bytes())


def u32(value: int) -> Data:
    return Data(T.DOUBLE_LONG_UNSIGNED, value)


def scaler_unit(scaler: int, unit: int) -> Data:
    return Data(T.STRUCTURE, [Data(T.INTEGER, scaler), Data(T.ENUM, unit)])


def structure(*members: Data) -> Data:
    return Data(T.STRUCTURE, list(members))


def array(*members: Data) -> Data:
    return Data(T.ARRAY, list(members))


def round_trip(body: Data) -> Data:
    """Through the bytes, as the receiver hands it over."""
    return read_push_body(encode_data(body))


STAMP = CosemDateTime.from_datetime(
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
).to_bytes()


# ---------------------------------------------------------------------------- shapes


def test_flat_obis_pairs_with_and_without_scaler_unit_and_absent_phases() -> None:
    body = structure(
        Data(T.VISIBLE_STRING, "LIST_V1"),
        obis("1.0.1.8.0.255"),
        u32(123456),
        scaler_unit(-1, 30),
        obis("1.0.32.7.0.255"),
        Data(T.LONG_UNSIGNED, 230),
        Data(T.NULL_DATA),
        Data(T.NULL_DATA),
        obis("1.0.31.7.0.255"),
        Data(T.LONG, -5),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.shape == "obis-pairs"
    assert decoded.profile is None
    first, energy, voltage, current = decoded.values
    assert (first.obis, first.value, first.position) == (None, "LIST_V1", 0)
    assert energy.obis == Obis.parse("1.0.1.8.0.255")
    assert (energy.value, energy.scaler, energy.unit, energy.unit_code) == (123456, -1, "Wh", 30)
    assert energy.scaled_value == Decimal("12345.6")
    assert (voltage.value, voltage.scaler, voltage.scaled_value) == (230, None, 230)
    assert (current.position, current.value) == (3, -5)
    assert decoded.tree == body.to_json()


def test_obis_value_structures() -> None:
    body = array(
        structure(obis("0.0.96.1.0.255"), octets(b"12345678")),
        structure(obis("0.0.1.0.0.255"), octets(STAMP)),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.shape == "obis-value"
    meter, clock = decoded.values
    assert meter.value == "12345678"
    assert clock.value == dt.datetime(
        2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert clock.to_json()["value"] == "2024-05-06T07:08:09+02:00"


def test_obis_value_scaler_unit_structures() -> None:
    body = array(
        structure(obis("1.0.32.7.0.255"), Data(T.LONG_UNSIGNED, 2293), scaler_unit(-1, 35))
    )
    (voltage,) = decode_payload(round_trip(body)).values
    assert voltage.scaled_value == Decimal("229.3")
    assert voltage.to_json() == {
        "obis": "1.0.32.7.0.255",
        "position": 0,
        "value": 2293,
        "scaler": -1,
        "unit": "V",
        "scaled_value": 229.3,
    }


def test_class_obis_attribute_value_with_the_scaler_from_attribute_3() -> None:
    long_unsigned = Data(T.LONG_UNSIGNED, 3)
    body = array(
        structure(long_unsigned, obis("1.0.1.8.0.255"), Data(T.INTEGER, 2), u32(4242)),
        structure(long_unsigned, obis("1.0.1.8.0.255"), Data(T.INTEGER, 3), scaler_unit(3, 30)),
        structure(
            Data(T.LONG_UNSIGNED, 1), obis("0.0.96.1.0.255"), Data(T.INTEGER, 2), octets(b"ABC")
        ),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.shape == "class-obis"
    energy, name = decoded.values  # the attribute-3 entry folded into its value
    assert (energy.scaler, energy.unit, energy.scaled_value) == (3, "Wh", Decimal("4.242E+6"))
    assert (name.position, name.value) == (1, "ABC")


def test_class_obis_value_scaler_unit() -> None:
    body = array(
        structure(Data(T.LONG_UNSIGNED, 3), obis("1.0.1.7.0.255"), u32(17), scaler_unit(0, 27))
    )
    (power,) = decode_payload(round_trip(body)).values
    assert (power.obis, power.value, power.unit) == (Obis.parse("1.0.1.7.0.255"), 17, "W")


def test_untyped_descriptors_are_read_as_descriptor_structures() -> None:
    """Czech meters: {class id, OBIS, attribute} as 9 bare bytes inside typed structures."""
    descriptor = bytes.fromhex("00030100010800FF02")
    raw = (
        bytes.fromhex("020216010102")
        + bytes.fromhex("0202")
        + descriptor
        + encode_data(u32(8))
        + bytes.fromhex("0202")
        + bytes.fromhex("00010000600E00FF02")
        + encode_data(octets(b"T3"))
    )
    with pytest.raises(DecodeError):
        decode_data(raw)  # no standard A-XDR reader accepts it
    body = read_push_body(raw)
    entries = body.value[1].value
    assert entries[0].value[0] == structure(
        Data(T.LONG_UNSIGNED, 3), obis("1.0.1.8.0.255"), Data(T.INTEGER, 2)
    )
    decoded = decode_payload(body)
    assert decoded.shape == "class-obis"
    assert [(v.obis and v.obis.dotted, v.value) for v in decoded.values] == [
        (None, 1),
        ("1.0.1.8.0.255", 8),
        ("0.0.96.14.0.255", "T3"),
    ]


def test_bytes_that_are_no_data_at_all_are_a_decode_error() -> None:
    for raw in (b"", b"\x02\x05\x06", b"\xfe\x00", bytes.fromhex("0202") + b"\x00" * 9):
        with pytest.raises(DecodeError):
            read_push_body(raw)


def test_an_unknown_shape_keeps_every_leaf_with_its_position() -> None:
    body = structure(
        Data(T.BOOLEAN, True),
        array(Data(T.UNSIGNED, 1), structure(Data(T.FLOAT32, 1.5), octets(b"\x01\x02"))),
        Data(T.ENUM, 7),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.shape == "positional"
    assert decoded.profile is None
    assert [(v.position, v.obis, v.value) for v in decoded.values] == [
        (0, None, True),
        (1, None, 1),
        (2, None, 1.5),
        (3, None, "0102"),
        (4, None, 7),
    ]


def test_a_body_that_is_one_value() -> None:
    decoded = decode_payload(round_trip(octets(b"\x00\xff")))
    assert [(v.position, v.value) for v in decoded.values] == [(0, "00ff")]


# ---------------------------------------------------------------------------- profiles


def _wiener_netze_body() -> Data:
    return structure(octets(STAMP), *(u32(value) for value in range(1000, 1008)))


def test_a_positional_list_is_named_by_its_profile() -> None:
    decoded = decode_payload(round_trip(_wiener_netze_body()))
    assert decoded.profile == "am550-wiener-netze"
    assert decoded.shape == "positional"
    clock, energy = decoded.values[:2]
    assert (clock.obis, clock.name) == (Obis.parse("0.0.1.0.0.255"), "meter_datetime")
    assert isinstance(clock.value, dt.datetime)
    assert (energy.obis, energy.unit, energy.scaled_value) == (
        Obis.parse("1.0.1.8.0.255"),
        "Wh",
        Decimal(1000),
    )


def test_a_profile_can_be_forced_and_an_unknown_name_is_a_configuration_error() -> None:
    body = round_trip(structure(*(u32(value) for value in range(9))))
    assert decode_payload(body).profile is None
    forced = decode_payload(body, profile="am550-wiener-netze")
    assert forced.profile == "am550-wiener-netze"
    assert forced.values[1].obis == Obis.parse("1.0.1.8.0.255")
    with pytest.raises(ConfigurationError, match="kaifa-no-list1"):
        decode_payload(body, profile="no-such-meter")


def test_a_profile_never_overrides_what_the_payload_carries() -> None:
    body = structure(
        Data(T.VISIBLE_STRING, "Kamstrup_V0001"),
        obis("1.1.31.7.0.255"),
        u32(57),
        scaler_unit(-1, 33),  # the payload's own scaler wins over the profile's -2
        obis("1.1.51.7.0.255"),
        u32(228),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.profile == "kamstrup-v0001"
    own, from_profile = decoded.values[1:]
    assert (own.scaler, own.scaled_value) == (-1, Decimal("5.7"))
    assert (from_profile.scaler, from_profile.unit, from_profile.name) == (-2, "A", "current_l2")


def test_kamstrup_ct_meters_are_recognised_by_their_type() -> None:
    def body(meter_type: str) -> Data:
        return structure(
            Data(T.VISIBLE_STRING, "Kamstrup_V0001"),
            obis("1.1.96.1.1.255"),
            Data(T.VISIBLE_STRING, meter_type),
            obis("1.1.31.7.0.255"),
            u32(1234),
        )

    assert match_format(round_trip(body("6851331BN243101040"))) == format_named("kamstrup-v0001-ct")
    assert match_format(round_trip(body("6841138BN245101090"))) == format_named("kamstrup-v0001")


def test_karnten_list_leads_with_its_push_setup_name() -> None:
    body = structure(
        obis("0.6.25.9.0.255"),
        octets(b"1121271600000"),
        octets(bytes.fromhex("0c053200")),
        octets(bytes.fromhex("07e5080100")),
        *(u32(value) for value in (33177130, 0, 8969789, 16598153, 3149, 0)),
        octets(b""),
        octets(b""),
    )
    decoded = decode_payload(round_trip(body))
    assert decoded.profile == "am550-kaernten-netz"
    assert decoded.values[0].value == "0006190900ff"
    assert (decoded.values[1].obis, decoded.values[1].value) == (
        Obis.parse("0.0.96.1.0.255"),
        "1121271600000",
    )
    assert decoded.values[8].name == "active_power_import"


def test_every_shipped_profile_loads_cites_a_source_and_has_a_unique_name() -> None:
    profiles = load_formats()
    names = [profile.name for profile in profiles]
    assert len(names) == len(set(names)) >= 11
    folder = ROOT / "libdlms" / "cosem" / "push" / "format_profiles"
    assert {path.stem for path in folder.glob("*.json")} == set(names)
    for profile in profiles:
        assert profile.sources, profile.name
        assert profile.match, profile.name
        assert profile.positions or profile.by_obis, profile.name
    # Most specific first: a profile with more conditions is tried before one with fewer.
    specificity = [profile.specificity for profile in profiles]
    assert specificity == sorted(specificity, reverse=True)


def test_a_profile_file_with_an_unknown_field_type_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        FormatProfile.from_json({"name": "x", "positions": [{"position": "first"}]})
    with pytest.raises(ConfigurationError):
        FormatProfile.from_json({"name": "x", "obis": {"not an obis": {}}})


def test_profiles_ship_with_the_library_and_the_integration() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["libdlms"]
    assert "cosem/push/format_profiles/*.json" in package_data
    spec = importlib.util.spec_from_file_location(
        "package_integration", ROOT / "scripts" / "package_integration.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = set(module.integration_files())
    for path in (ROOT / "libdlms" / "cosem" / "push" / "format_profiles").glob("*.json"):
        assert f"libdlms/cosem/push/format_profiles/{path.name}" in shipped
        json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (octets(b"181220000009"), "181220000009"),  # 12 printable bytes stay text
        (octets(b""), ""),
        (octets(bytes.fromhex("0100010800ff")), "0100010800ff"),
        (
            octets(STAMP[:11] + b"\x00"),
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        (octets(bytes.fromhex("07e40119060e000aff800000")), dt.datetime(2020, 1, 25, 14, 0, 10)),
        (octets(bytes.fromhex("07e40d19060e000aff800000")), "07e40d19060e000aff800000"),
        (
            Data(T.DATE_TIME, STAMP),
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        (Data(T.VISIBLE_STRING, "AIDON_V0001"), "AIDON_V0001"),
        (Data(T.NULL_DATA), None),
        (Data(T.BOOLEAN, False), False),
        (Data(T.FLOAT32, 0.5), 0.5),
    ],
)
def test_render(data: Data, expected: object) -> None:
    assert render(data) == expected


def test_scaling_is_exact() -> None:
    assert scaled(14571, -3) == Decimal("14.571")
    assert scaled(2.5, 1) == Decimal("25")
    assert scaled(7, None) == 7
    assert scaled("text", 1) is None
    assert scaled(True, 1) is None


# ---------------------------------------------------------------------------- robustness


def test_mutated_bodies_give_values_or_a_decode_error_only() -> None:
    """Every byte of real bodies flipped, truncated and extended: read_push_body raises
    nothing but DecodeError, and whatever it reads decode_payload decodes. The bodies are
    cut at a fixed offset, so some start mid-value: more junk, which is welcome here."""
    captures = json.loads((ROOT / "tests" / "captures" / "push-captures.json").read_text())
    bodies = [
        bytes.fromhex(apdu["plain_apdu_hex"])[18:]
        for vector in captures["vectors"]
        for apdu in vector["decoded"].get("apdus", [])
        if apdu.get("plain_apdu_hex", "").startswith("0F") and len(apdu["plain_apdu_hex"]) > 40
    ]
    assert len(bodies) >= 10
    rng = random.Random(14)
    decoded = 0
    for body in bodies:
        for _ in range(60):
            mutated = bytearray(body)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            cut = bytes(mutated[: rng.randint(0, len(mutated))]) if rng.random() < 0.3 else mutated
            try:
                data = read_push_body(bytes(cut))
            except DecodeError:
                continue
            result = decode_payload(data)
            json.dumps([value.to_json() for value in result.values])
            decoded += 1
    assert decoded > 0
