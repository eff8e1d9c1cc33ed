"""The flows' input checks on their own, without Home Assistant running: what each form
posts becomes the entry's data, or one ``FlowInputError`` that names the field, the error and
its placeholders, and never the secret."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.dlms.entry_data import (
    FlowInputError,
    addressing_data_from_input,
    configured_objects,
    connection_data_from_input,
    objects_data,
    parse_obis,
    parse_obis_codes,
    reauth_updates,
    reconfigure_data_from_input,
    security_data_from_input,
)
from custom_components.dlms.libdlms import Obis

EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
CONNECTION = {"port": " socket://127.0.0.1:4059 ", "baudrate": "9600", "mode_e": False}
ADDRESSES = {
    "client_address": 16,
    "server_logical_address": 1,
    "server_physical_address": 17,
    "address_size": "auto",
}
GMAC = {
    "authentication": "hls_gmac",
    "security_policy": "authenticated-encryption",
    "security_suite": "0",
    "encryption_key": EK,
    "authentication_key": AK,
    "system_title": "4D4D4D0000000001",
}


def error(call: Any, *args: Any) -> tuple[str, str, dict[str, str]]:
    with pytest.raises(FlowInputError) as raised:
        call(*args)
    return raised.value.field, raised.value.key, raised.value.placeholders


def test_connection() -> None:
    assert connection_data_from_input(CONNECTION) == {
        "port": "socket://127.0.0.1:4059",
        "baudrate": 9600,
        "mode_e": False,
    }


def test_addressing_presets_and_typed_addresses() -> None:
    connection = connection_data_from_input(CONNECTION)
    typed = {**ADDRESSES, "client_address_preset": "custom", "client_address": 5}
    assert addressing_data_from_input(typed, connection) == {**ADDRESSES, "client_address": 5}
    preset = {**ADDRESSES, "client_address_preset": "1", "meter_preset": "iskraemeco_am550"}
    assert addressing_data_from_input(preset, connection)["client_address"] == 1


def test_addresses_that_do_not_fit_the_address_size() -> None:
    connection = connection_data_from_input(CONNECTION)
    too_big = {**ADDRESSES, "server_logical_address": 300, "address_size": "1"}
    assert error(addressing_data_from_input, too_big, connection) == ("base", "invalid_address", {})
    changed = {**CONNECTION, **too_big}
    assert error(reconfigure_data_from_input, changed, ADDRESSES) == ("base", "invalid_address", {})


def test_reconfigure_takes_the_connection_and_the_addresses_only() -> None:
    user_input = {**CONNECTION, **ADDRESSES, "client_address": 1, "password": "no"}
    updates = reconfigure_data_from_input(user_input, ADDRESSES)
    assert updates == {**ADDRESSES, **connection_data_from_input(CONNECTION), "client_address": 1}


def test_security_settings_stored() -> None:
    data = security_data_from_input(GMAC)
    assert data == {
        "authentication": "hls_gmac",
        "security_policy": "authenticated-encryption",
        "security_suite": 0,
        "system_title": "4d4d4d0000000001",
        "encryption_key": EK.lower(),
        "authentication_key": AK.lower(),
        "invocation_counter_source": "persisted",
    }
    assert security_data_from_input({"authentication": "none"}) == {"authentication": "none"}


@pytest.mark.parametrize(
    ("changes", "field", "key", "placeholders"),
    [
        (
            {"encryption_key": EK + EK},
            "encryption_key",
            "key_length",
            {"suite": "0", "expected": "16", "digits": "32"},
        ),
        (
            {"security_suite": "2"},
            "encryption_key",
            "key_length",
            {"suite": "2", "expected": "32", "digits": "64"},
        ),
        (
            {"authentication_key": AK[:-2]},
            "authentication_key",
            "key_length",
            {"suite": "0", "expected": "16", "digits": "32"},
        ),
        ({"encryption_key": "00 zz"}, "encryption_key", "invalid_hex", {}),
        ({"encryption_key": ""}, "encryption_key", "key_required", {}),
        ({"system_title": "4D4D"}, "system_title", "system_title_length", {}),
        (
            {"invocation_counter_source": "meter", "invocation_counter_obis": "43.1"},
            "invocation_counter_obis",
            "invalid_obis",
            {"obis": "43.1"},
        ),
        ({"authentication": "lls", "security_policy": "none"}, "password", "password_required", {}),
    ],
)
def test_security_input_errors(
    changes: dict[str, str], field: str, key: str, placeholders: dict[str, str]
) -> None:
    assert error(security_data_from_input, GMAC | changes) == (field, key, placeholders)


def test_an_authentication_key_needs_an_encryption_key() -> None:
    """Authentication-only HLS-SHA256 needs no keys, but an AK without an EK is useless."""
    only_ak = {
        "authentication": "hls_sha256",
        "password": "secret",
        "security_policy": "none",
        "authentication_key": AK,
    }
    assert error(security_data_from_input, only_ak) == ("encryption_key", "key_required", {})


def test_secrets_kept_from_the_previous_form() -> None:
    """The form shown again after a failed connection test: empty secrets keep what was
    typed before."""
    previous = security_data_from_input(GMAC)
    again = {**GMAC, "encryption_key": "", "authentication_key": " "}
    assert security_data_from_input(again, previous) == previous


def test_no_secret_in_an_error() -> None:
    with pytest.raises(FlowInputError) as raised:
        security_data_from_input(GMAC | {"encryption_key": EK + "00"})
    assert EK.lower() not in str(raised.value).lower()
    assert EK not in str(raised.value.placeholders)


def test_reauth_updates() -> None:
    entry = {"security_suite": 0, "security_policy": "encryption", "encryption_key": "00" * 16}
    updates = reauth_updates(entry, {"encryption_key": EK, "invocation_counter_source": "meter"})
    assert updates == {
        "encryption_key": EK.lower(),
        "invocation_counter_source": "meter",
        "invocation_counter_obis": "0.0.43.1.0.255",
    }
    assert error(reauth_updates, {**entry, "security_suite": 2}, {"encryption_key": EK}) == (
        "encryption_key",
        "key_length",
        {"suite": "2", "expected": "32", "digits": "64"},
    )


def test_obis_codes() -> None:
    codes = parse_obis_codes(["1-0:1.8.0*255", "1.0.1.8.0.255", "1.0.2.8.0.255"])
    assert [obis.dotted for obis in codes] == ["1.0.1.8.0.255", "1.0.2.8.0.255"]
    assert error(parse_obis_codes, ["1.0.1.8.0.255", "1.8"]) == (
        "obis_codes",
        "invalid_obis",
        {"obis": "1.8"},
    )
    assert error(parse_obis_codes, []) == ("obis_codes", "no_obis_codes", {})
    assert error(parse_obis, "load_profile", "99.1") == (
        "load_profile",
        "invalid_obis",
        {"obis": "99.1"},
    )


def test_objects_come_with_their_class_ids() -> None:
    classes = {Obis.parse("1.0.1.8.0.255"): 3, Obis.parse("0.0.96.1.0.255"): 1}
    codes = [Obis.parse("0.0.96.1.0.255"), Obis.parse("1.0.1.8.0.255")]
    objects = objects_data(codes, classes)
    assert objects == [
        {"obis": "0.0.96.1.0.255", "class_id": 1},
        {"obis": "1.0.1.8.0.255", "class_id": 3},
    ]
    missing = [*codes, Obis.parse("1.0.52.7.0.255"), Obis.parse("1.0.3.8.0.255")]
    assert error(objects_data, missing, classes) == (
        "obis_codes",
        "object_not_found",
        {"obis": "1-0:52.7.0*255, 1-0:3.8.0*255"},
    )
    # What an entry reads: the options' choice over the config flow's.
    assert configured_objects({"objects": objects}, {}) == {
        Obis.parse("0.0.96.1.0.255"): 1,
        Obis.parse("1.0.1.8.0.255"): 3,
    }
    assert configured_objects({"objects": objects}, {"objects": objects[1:]}) == {
        Obis.parse("1.0.1.8.0.255"): 3
    }
