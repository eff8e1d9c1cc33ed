"""The translator deciphers what it is given keys for: every published ciphered vector
decodes to its documented plaintext, a wrong key says tag_ok false, and without keys
the security header is still shown."""

from __future__ import annotations

from typing import Any

import pytest

from libdlms.security import SecurityKeys
from libdlms.translator import describe

from .vectors import load_vectors

CIPHERED = [v for v in load_vectors() if v["layer"] == "ciphering"]


def _params() -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in CIPHERED]


@pytest.mark.parametrize("vector", _params())
def test_ciphered_vector_is_deciphered(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    keys = SecurityKeys.from_hex(vector["keys"]["EK"], vector["keys"]["AK"])
    title = bytes.fromhex(vector["keys"]["system_title"])
    apdu = describe(raw, keys=keys, system_title=title)["apdu"]
    checks = vector["checks"]
    assert apdu["security_control"] == checks["security_control"].lower()
    assert apdu["invocation_counter"] == checks["invocation_counter"]
    assert apdu["tag_ok"] == checks["tag_ok"]
    assert apdu["plaintext"]["hex"] == vector["plaintext"].lower()

    header_only = describe(raw)["apdu"]
    assert "plaintext" not in header_only
    assert header_only["invocation_counter"] == checks["invocation_counter"]

    if checks["authenticated"]:
        wrong = SecurityKeys.from_hex("00" * 16, vector["keys"]["AK"])
        assert describe(raw, keys=wrong, system_title=title)["apdu"]["tag_ok"] is False


def test_aare_supplies_the_server_system_title() -> None:
    """A ciphered RLRE/AARE-borne InitiateResponse needs the server's title: given."""
    rlre = bytes.fromhex(
        "6328800100BE230421281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893"
    )
    keys = SecurityKeys.from_hex(
        "000102030405060708090A0B0C0D0E0F", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
    )
    inner = describe(rlre, keys=keys, system_title=bytes.fromhex("4D4D4D0000BC614E"))["apdu"]
    plaintext = inner["user_information"]["plaintext"]
    assert plaintext["tag"] == "initiate-response"
    assert plaintext["server_max_receive_pdu_size"] == 1024
    missing = describe(rlre, keys=keys)["apdu"]["user_information"]
    assert "system title" in missing["decipher_error"]


def test_keys_that_cannot_serve_are_a_decipher_error_not_a_failed_decode() -> None:
    """A key missing or of the wrong length, or a system title of the wrong length, is said
    on the APDU it concerns; the rest of the capture is still described."""
    vector = next(v for v in CIPHERED if v["id"] == "ciph-gb-glo-get-auth-enc")
    raw = bytes.fromhex(vector["hex"])
    title = bytes.fromhex(vector["keys"]["system_title"])
    ek, ak = vector["keys"]["EK"], vector["keys"]["AK"]
    cases = [
        (SecurityKeys.from_hex(ek), title, "authentication key"),
        (SecurityKeys.from_hex(ek[:-2], ak), title, "15 bytes"),
        (SecurityKeys.from_hex(ek, ak), title[:2], "8 bytes"),
    ]
    for keys, system_title, message in cases:
        apdu = describe(raw, keys=keys, system_title=system_title)["apdu"]
        assert message in apdu["decipher_error"]
        assert apdu["invocation_counter"] == vector["checks"]["invocation_counter"]
        assert "plaintext" not in apdu
