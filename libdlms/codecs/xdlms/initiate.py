"""The xDLMS InitiateRequest and InitiateResponse, carried in the AARQ and AARE
user-information: the DLMS version, the conformance block (the services each side
offers) and the largest APDU each side receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag
from typing import Any, Final

from ...errors import DecodeError
from ..axdr import Reader
from ._fields import _octet_string, _uint
from .tags import INITIATE_REQUEST_TAG, INITIATE_RESPONSE_TAG

DLMS_VERSION: Final = 6
VAA_NAME_LN: Final = 0x0007


class Conformance(IntFlag):
    """The 24-bit conformance block; bit 0 of the standard is the most significant."""

    GENERAL_PROTECTION = 1 << 22
    GENERAL_BLOCK_TRANSFER = 1 << 21
    READ = 1 << 20
    WRITE = 1 << 19
    UNCONFIRMED_WRITE = 1 << 18
    DELTA_VALUE_ENCODING = 1 << 17
    ATTRIBUTE0_SUPPORTED_WITH_SET = 1 << 15
    PRIORITY_MGMT_SUPPORTED = 1 << 14
    ATTRIBUTE0_SUPPORTED_WITH_GET = 1 << 13
    BLOCK_TRANSFER_WITH_GET_OR_READ = 1 << 12
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = 1 << 11
    BLOCK_TRANSFER_WITH_ACTION = 1 << 10
    MULTIPLE_REFERENCES = 1 << 9
    INFORMATION_REPORT = 1 << 8
    DATA_NOTIFICATION = 1 << 7
    ACCESS = 1 << 6
    PARAMETERIZED_ACCESS = 1 << 5
    GET = 1 << 4
    SET = 1 << 3
    SELECTIVE_ACCESS = 1 << 2
    EVENT_NOTIFICATION = 1 << 1
    ACTION = 1 << 0


# Exactly what this client implements: GET normal/next/with-list, with selective access.
CLIENT_CONFORMANCE: Final = (
    Conformance.GET
    | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.SELECTIVE_ACCESS
)
# What a client that writes proposes besides: SET and ACTION, with their block transfers.
WRITE_CONFORMANCE: Final = (
    CLIENT_CONFORMANCE
    | Conformance.SET
    | Conformance.ACTION
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
)


def _encode_conformance(conformance: Conformance) -> bytes:
    return b"\x5f\x1f\x04\x00" + _uint(int(conformance), 3, "conformance")


def _read_conformance(reader: Reader) -> Conformance:
    if reader.take(2) != b"\x5f\x1f":
        raise DecodeError("missing conformance block tag 5F1F")
    if reader.byte() != 4:
        raise DecodeError("conformance block length must be 4")
    reader.byte()  # unused bits
    return Conformance(int.from_bytes(reader.take(3), "big"))


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    conformance: Conformance = CLIENT_CONFORMANCE
    client_max_receive_pdu_size: int = 0xFFFF
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    proposed_quality_of_service: int | None = None
    dlms_version: int = DLMS_VERSION

    def encode(self) -> bytes:
        out = bytes((INITIATE_REQUEST_TAG,))
        if self.dedicated_key is None:
            out += b"\x00"
        else:
            out += b"\x01" + _octet_string(self.dedicated_key)
        # response-allowed has DEFAULT TRUE: encoded as absent when true.
        out += b"\x00" if self.response_allowed else b"\x01\x00"
        if self.proposed_quality_of_service is None:
            out += b"\x00"
        else:
            out += b"\x01" + _uint(self.proposed_quality_of_service, 1, "quality of service")
        out += _uint(self.dlms_version, 1, "DLMS version")
        out += _encode_conformance(self.conformance)
        out += _uint(self.client_max_receive_pdu_size, 2, "client max receive PDU size")
        return out

    def to_json(self) -> dict[str, Any]:
        """The dedicated key is key material: shown as present or not, never as bytes."""
        return {
            "dlms_version": self.dlms_version,
            "conformance": f"{int(self.conformance):06x}",
            "client_max_receive_pdu_size": self.client_max_receive_pdu_size,
            "dedicated_key": self.dedicated_key is not None,
        }

    @classmethod
    def decode(cls, data: bytes) -> InitiateRequest:
        reader = Reader(data)
        if reader.byte() != INITIATE_REQUEST_TAG:
            raise DecodeError("not an InitiateRequest")
        dedicated_key = reader.take(reader.length()) if reader.byte() else None
        response_allowed = bool(reader.byte()) if reader.byte() else True
        qos = reader.byte() if reader.byte() else None
        version = reader.byte()
        conformance = _read_conformance(reader)
        max_pdu = reader.u16()
        reader.expect_end()
        return cls(conformance, max_pdu, dedicated_key, response_allowed, qos, version)


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    conformance: Conformance
    server_max_receive_pdu_size: int
    vaa_name: int = VAA_NAME_LN
    negotiated_quality_of_service: int | None = None
    dlms_version: int = DLMS_VERSION

    def encode(self) -> bytes:
        out = bytes((INITIATE_RESPONSE_TAG,))
        if self.negotiated_quality_of_service is None:
            out += b"\x00"
        else:
            out += b"\x01" + _uint(self.negotiated_quality_of_service, 1, "quality of service")
        out += _uint(self.dlms_version, 1, "DLMS version")
        out += _encode_conformance(self.conformance)
        out += _uint(self.server_max_receive_pdu_size, 2, "server max receive PDU size")
        out += _uint(self.vaa_name, 2, "VAA name")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "dlms_version": self.dlms_version,
            "conformance": f"{int(self.conformance):06x}",
            "server_max_receive_pdu_size": self.server_max_receive_pdu_size,
            "vaa_name": self.vaa_name,
        }

    @classmethod
    def decode(cls, data: bytes) -> InitiateResponse:
        reader = Reader(data)
        if reader.byte() != INITIATE_RESPONSE_TAG:
            raise DecodeError("not an InitiateResponse")
        qos = reader.byte() if reader.byte() else None
        version = reader.byte()
        conformance = _read_conformance(reader)
        max_pdu = reader.u16()
        vaa = reader.u16()
        reader.expect_end()
        return cls(conformance, max_pdu, vaa, qos, version)
