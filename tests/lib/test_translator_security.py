"""The translator deciphers what it is given keys for: every published ciphered vector
decodes to its documented plaintext, a wrong key says tag_ok false, and without keys
the security header is still shown. The dedicated key of ded- APDUs is given, or learnt
from the AARQ earlier in the capture."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest

from libdlms.cli.app import main
from libdlms.codecs.acse import Aare, Aarq, ApplicationContext, AssociationResult, Mechanism
from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.hdlc import LLC_REQUEST, LLC_RESPONSE, FrameType, HdlcAddress, encode_frame
from libdlms.codecs.xdlms import (
    CLIENT_CONFORMANCE,
    AttributeDescriptor,
    GetRequestNormal,
    GetResponseNormal,
    InitiateRequest,
    InitiateResponse,
)
from libdlms.obis import Obis
from libdlms.security import CipheringKind, SecurityControl, SecurityKeys, cipher_apdu
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


# ---------------------------------------------------------------------------- dedicated key

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
DK = bytes.fromhex("202122232425262728292A2B2C2D2E2F")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000000001")
SERVER_TITLE = bytes.fromhex("4D4D4D0000BC614E")
ENERGY = AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255))
GET = GetRequestNormal(ENERGY).encode()
RESPONSE = GetResponseNormal(Data(DataType.DOUBLE_LONG_UNSIGNED, 1234)).encode()
KEYS = SecurityKeys(EK, AK, dedicated_key=DK)


def _cipher(plain: bytes, kind: CipheringKind, title: bytes, counter: int) -> bytes:
    control = SecurityControl.from_byte(0x30)
    return cipher_apdu(
        plain, kind=kind, control=control, system_title=title, invocation_counter=counter, keys=KEYS
    )


def _aarq() -> bytes:
    initiate = _cipher(InitiateRequest(dedicated_key=DK).encode(), "glo", CLIENT_TITLE, 1)
    return Aarq(
        ApplicationContext.LOGICAL_NAME_WITH_CIPHERING,
        Mechanism.HIGH_GMAC,
        CLIENT_TITLE,
        bytes(8),
        initiate,
    ).encode()


def _aare() -> bytes:
    initiate = _cipher(InitiateResponse(CLIENT_CONFORMANCE, 512).encode(), "glo", SERVER_TITLE, 2)
    return Aare(
        ApplicationContext.LOGICAL_NAME_WITH_CIPHERING,
        AssociationResult.ACCEPTED,
        1,
        14,
        SERVER_TITLE,
        Mechanism.HIGH_GMAC,
        bytes(16),
        initiate,
    ).encode()


def _capture(*apdus: tuple[bool, bytes]) -> bytes:
    """HDLC I frames, each ``(from_client, apdu)``."""
    client, server = HdlcAddress.client(16), HdlcAddress.server(1, 17)
    frames = b""
    for n, (from_client, apdu) in enumerate(apdus):
        destination, source = (server, client) if from_client else (client, server)
        llc = LLC_REQUEST if from_client else LLC_RESPONSE
        frames += encode_frame(
            FrameType.I, destination, source, information=llc + apdu, send_sequence=n % 8
        )
    return frames


def _decode(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["decode", *args])
    return status, json.loads(out.getvalue())


def test_the_dedicated_key_is_given_with_dk() -> None:
    ded_get = _cipher(GET, "ded", CLIENT_TITLE, 6)
    status, decoded = _decode(
        ded_get.hex(), "--ek", EK.hex(), "--ak", AK.hex(), "--dk", DK.hex(),
        "--system-title", CLIENT_TITLE.hex(),
    )  # fmt: skip
    assert status == 0
    assert decoded["apdu"]["tag"] == "ded-get-request"
    assert decoded["apdu"]["tag_ok"] is True
    assert decoded["apdu"]["plaintext"]["hex"] == GET.hex()
    library = describe(ded_get, keys=KEYS, system_title=CLIENT_TITLE)["apdu"]
    assert library["plaintext"]["hex"] == GET.hex()
    status, decoded = _decode(ded_get.hex(), "--dk", DK.hex())
    assert status == 2
    assert "--ek" in decoded["error"]


def test_the_dedicated_key_is_learnt_from_the_aarq_of_the_capture() -> None:
    """The AARQ's (deciphered) InitiateRequest carries the dedicated key, and the AARQ and
    AARE name each side's system title: the later ded- APDUs of the capture decipher with
    EK and AK alone."""
    capture = _capture(
        (True, _aarq()),
        (False, _aare()),
        (True, _cipher(GET, "ded", CLIENT_TITLE, 6)),
        (False, _cipher(RESPONSE, "ded", SERVER_TITLE, 10)),
    )
    status, decoded = _decode(capture.hex(), "--ek", EK.hex(), "--ak", AK.hex())
    assert status == 0
    aarq, aare, request, response = decoded["apdus"]
    assert aarq["user_information"]["plaintext"]["dedicated_key"] is True
    assert aare["user_information"]["tag_ok"] is True
    assert (request["tag"], request["tag_ok"]) == ("ded-get-request", True)
    assert request["plaintext"]["hex"] == GET.hex()
    assert (response["tag"], response["tag_ok"]) == ("ded-get-response", True)
    assert response["plaintext"]["data"]["value"] == 1234


def test_without_the_dedicated_key_a_ded_apdu_says_what_is_missing() -> None:
    ded_get = _cipher(GET, "ded", CLIENT_TITLE, 6)
    status, decoded = _decode(
        ded_get.hex(), "--ek", EK.hex(), "--ak", AK.hex(), "--system-title", CLIENT_TITLE.hex()
    )
    assert status == 0
    apdu = decoded["apdu"]
    assert (apdu["tag"], apdu["security_control"], apdu["invocation_counter"]) == (
        "ded-get-request",
        "0x30",
        6,
    )
    assert "dedicated key" in apdu["decipher_error"]
    assert "--dk" in apdu["decipher_error"]
    assert "AARQ" in apdu["decipher_error"]
    assert "plaintext" not in apdu
    # A capture whose AARQ carries no dedicated key teaches none.
    plain_aarq = Aarq(user_information=InitiateRequest().encode()).encode()
    _, decoded = _decode(
        _capture((True, plain_aarq), (True, ded_get)).hex(),
        "--ek", EK.hex(), "--ak", AK.hex(), "--system-title", CLIENT_TITLE.hex(),
    )  # fmt: skip
    assert "--dk" in decoded["apdus"][1]["decipher_error"]
