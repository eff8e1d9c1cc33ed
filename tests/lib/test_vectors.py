"""Every published vector is a test: decoding gives the documented meaning, encoding
our side reproduces the bytes exactly, and negative vectors are rejected."""

from __future__ import annotations

from typing import Any

import pytest

from libdlms.codecs import acse, xdlms
from libdlms.codecs.axdr import Data, DataType, decode_data, encode_data
from libdlms.codecs.hdlc import FrameReader, decode_frame, encode_frame
from libdlms.codecs.wrapper import WrapperHeader
from libdlms.cosem import interface_classes, selective_access
from libdlms.cosem.clock import CosemDateTime
from libdlms.obis import Obis
from libdlms.translator import describe_iec

from .vectors import load_vectors

VECTORS = load_vectors()


def _by_layer(*layers: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VECTORS if v["layer"] in layers]


def test_all_vectors_are_covered() -> None:
    security = {"ciphering", "hls", "keywrap"}  # tested in test_security.py
    known = {"hdlc", "axdr", "acse", "xdlms", "iec62056-21", "wrapper", *security}
    assert {v["layer"] for v in VECTORS} <= known
    assert len(VECTORS) == 97


@pytest.mark.parametrize("vector", _by_layer("hdlc"))
def test_hdlc_vector(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    checks = vector["checks"]
    frame = decode_frame(raw)
    assert frame.hcs_ok == checks["hcs_ok"]
    assert frame.fcs_ok == checks["fcs_ok"]
    assert frame.segmented == checks["segmented"]
    assert frame.control_name == checks["control_name"]
    assert frame.destination.raw.hex() == checks["dest"].lower()
    assert frame.source.raw.hex() == checks["src"].lower()
    reader = FrameReader()
    reader.feed(raw)
    if vector["negative"]:
        assert not frame.valid
        assert all(not f.valid for f in reader)
        return
    for side in ("dest", "src"):
        address = frame.destination if side == "dest" else frame.source
        assert address.upper == checks[f"{side}_upper"]
        assert address.lower == checks[f"{side}_lower"]
    assert frame.valid
    assert list(reader) == [frame]
    rebuilt = encode_frame(
        frame.frame_type,
        frame.destination,
        frame.source,
        information=frame.information,
        poll_final=frame.poll_final,
        segmented=frame.segmented,
        send_sequence=frame.send_sequence or 0,
        receive_sequence=frame.receive_sequence or 0,
    )
    assert rebuilt == raw


def _vector_form(data: Data) -> dict[str, Any]:
    """Our Data in the vectors' notation: ``{"<type>": value}``."""
    if data.type in (DataType.ARRAY, DataType.STRUCTURE):
        return {data.type.kebab: [_vector_form(item) for item in data.value]}
    if isinstance(data.value, bytes):
        return {data.type.kebab: data.value.hex()}
    if data.type is DataType.NULL_DATA:
        return {"null": None}  # the vectors' short name for null-data
    return {data.type.kebab: data.value}


def _assert_matches(ours: Data, expected: dict[str, Any]) -> None:
    kind = next(k for k in expected if not k.startswith("as_"))
    form = _vector_form(ours)
    assert set(form) == {kind}
    if kind in ("array", "structure"):
        assert len(ours.value) == len(expected[kind])
        for item, expected_item in zip(ours.value, expected[kind], strict=True):
            _assert_matches(item, expected_item)
        return
    assert form[kind] == expected[kind]
    if "as_date_time" in expected:
        assert str(CosemDateTime.from_bytes(ours.value)) == expected["as_date_time"]
    if "as_obis" in expected:
        assert Obis.from_bytes(ours.value) == Obis.parse(expected["as_obis"])


@pytest.mark.parametrize("vector", _by_layer("axdr"))
def test_axdr_vector(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    data = decode_data(raw)
    if vector.get("decoded"):
        _assert_matches(data, vector["decoded"])
    assert encode_data(data) == raw


_ACSE = {
    0x60: acse.Aarq,
    0x61: acse.Aare,
    0x62: acse.ReleaseRequest,
    0x63: acse.ReleaseResponse,
}


@pytest.mark.parametrize("vector", _by_layer("acse"))
def test_acse_vector(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    apdu = _ACSE[raw[0]].decode(raw)
    assert apdu.encode() == raw
    meaning = vector["meaning"]
    if isinstance(apdu, acse.Aare):
        expected = (
            acse.AssociationResult.ACCEPTED
            if "accepted" in meaning
            else acse.AssociationResult.REJECTED_PERMANENT
        )
        assert apdu.result is expected
        if apdu.user_information and apdu.user_information[0] == 0x08:
            xdlms.InitiateResponse.decode(apdu.user_information)
        if "authentication-required(14)" in meaning:
            assert apdu.diagnostic == acse.AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED
            assert apdu.mechanism is acse.Mechanism.HIGH_GMAC
            assert apdu.responding_authentication_value == b"P6wRJ21F"
    if isinstance(apdu, acse.Aarq):
        if "LLS" in meaning:
            assert apdu.mechanism is acse.Mechanism.LOW
        if apdu.user_information and apdu.user_information[0] == 0x01:
            xdlms.InitiateRequest.decode(apdu.user_information)


def _decode_xdlms(raw: bytes) -> Any:
    """Every plain xDLMS APDU through the one dispatcher (SET, ACTION and Data-Notification
    are checked field by field in test_xdlms.py as well)."""
    return xdlms.decode_apdu(raw)


@pytest.mark.parametrize("vector", _by_layer("xdlms"))
def test_xdlms_vector(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    if vector["id"] == "xdlms-range-descriptor-body-tz":
        # An access-selection body: selector 1 (range_descriptor) and its structure.
        descriptor = selective_access.RangeDescriptor.decode(raw)
        assert descriptor.restricting_object == interface_classes.CaptureObjectDefinition(
            8, Obis.parse("0-0:1.0.0*255"), 2, 0
        )
        assert CosemDateTime.from_bytes(descriptor.from_value.value).deviation == -120
        assert CosemDateTime.from_bytes(descriptor.to_value.value).deviation == -60
        assert descriptor.selected_values == ()
        assert descriptor.encode() == raw
        return
    apdu = _decode_xdlms(raw)
    assert apdu.encode() == raw
    decoded = vector.get("decoded")
    if isinstance(apdu, xdlms.GetResponseNormal) and decoded:
        assert isinstance(apdu.result, Data)
        _assert_matches(apdu.result, decoded)
    if vector["id"] == "xdlms-get-resp-normal-error":
        assert apdu.result is xdlms.DataAccessResult.HARDWARE_FAULT
    if vector["id"] == "xdlms-get-resp-block-last-error":
        assert apdu.last_block
        assert apdu.raw_data is xdlms.DataAccessResult.HARDWARE_FAULT
    if vector["id"] == "xdlms-get-resp-with-list":
        assert len(apdu.results) == 2
        assert apdu.results[0].value == b"ISK1030777764366"
        stamp = CosemDateTime.from_bytes(apdu.results[1].value)
        assert (stamp.year, stamp.hour, stamp.deviation) == (2021, 14, -60)
    if vector["id"] == "xdlms-get-req-next":
        assert apdu.block_number == 1


@pytest.mark.parametrize("vector", _by_layer("iec62056-21"))
def test_iec_vector(vector: dict[str, Any]) -> None:
    message = describe_iec(bytes.fromhex(vector["hex"]))["iec"]
    if vector["id"] == "iec-request":
        assert message == {"message": "request", "address": ""}
    else:
        assert message == {"message": "acknowledgement", "protocol": "2", "baud": "5", "mode": "2"}


@pytest.mark.parametrize("vector", _by_layer("wrapper"))
def test_wrapper_vector(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["hex"])
    header = WrapperHeader.decode(raw)
    assert (header.version, header.source_wport, header.destination_wport) == (1, 1, 1)
    assert header.length == 70
    assert header.encode() == raw
