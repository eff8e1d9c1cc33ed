"""Bytes to a JSON description: the ``dlms decode`` translator.

Anything that does not decode raises ``DecodeError``; the caller prints it as
``{"error": …}``. Ciphered APDUs are named and shown as hex; decrypting them comes with
the security layer.
"""

from __future__ import annotations

from typing import Any

from ..codecs.acse import Aare, Aarq, ReleaseRequest, ReleaseResponse
from ..codecs.axdr import Data, decode_data
from ..codecs.hdlc import FLAG, LLC_REQUEST, LLC_RESPONSE, FrameReader, FrameType
from ..codecs.xdlms import (
    ConfirmedServiceError,
    DataAccessResult,
    ExceptionResponse,
    GetDataResult,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    InitiateRequest,
    InitiateResponse,
    data_access_result_name,
    decode_get_request,
    decode_get_response,
)
from ..errors import DecodeError

APDU_NAMES: dict[int, str] = {
    0x01: "initiate-request",
    0x08: "initiate-response",
    0x0E: "confirmed-service-error",
    0x0F: "data-notification",
    0x21: "glo-initiate-request",
    0x28: "glo-initiate-response",
    0x60: "aarq",
    0x61: "aare",
    0x62: "rlrq",
    0x63: "rlre",
    0xC1: "set-request",
    0xC3: "action-request",
    0xC5: "set-response",
    0xC7: "action-response",
    0xC8: "glo-get-request",
    0xCC: "glo-get-response",
    0xD0: "ded-get-request",
    0xD4: "ded-get-response",
    0xD8: "exception-response",
    0xDB: "general-glo-ciphering",
    0xDC: "general-ded-ciphering",
    0xE0: "general-block-transfer",
}


def describe(raw: bytes, kind: str = "auto") -> dict[str, Any]:
    if not raw:
        raise DecodeError("no bytes to decode")
    if kind == "auto":
        if raw[0] == FLAG:
            kind = "hdlc"
        elif raw[:1] in (b"/", b"\x06"):
            kind = "iec"
        else:
            kind = "apdu"
    if kind == "hdlc":
        return describe_hdlc(raw)
    if kind == "data":
        return {"data": decode_data(raw).to_json()}
    if kind == "iec":
        return describe_iec(raw)
    return {"apdu": describe_apdu(raw)}


def describe_hdlc(raw: bytes) -> dict[str, Any]:
    reader = FrameReader()
    reader.feed(raw)
    frames = list(reader)
    if not frames:
        raise DecodeError("no complete HDLC frame found")
    result: dict[str, Any] = {"frames": [frame.to_json() for frame in frames]}
    payload = bytearray()
    for frame in frames:
        if frame.frame_type in (FrameType.I, FrameType.UI) and frame.information:
            info = frame.information
            if not payload and info[:3] in (LLC_REQUEST, LLC_RESPONSE):
                info = info[3:]
            payload += info
    if payload and all(frame.valid for frame in frames):
        result["apdu"] = describe_apdu(bytes(payload))
    return result


def describe_iec(raw: bytes) -> dict[str, Any]:
    text = raw.decode("ascii", errors="replace")
    if raw.startswith(b"/?") and raw.endswith(b"!\r\n"):
        return {"iec": {"message": "request", "address": text[2:-3]}}
    if raw[:1] == b"\x06" and len(raw) == 6 and raw.endswith(b"\r\n"):
        protocol, baud, mode = text[1], text[2], text[3]
        return {
            "iec": {"message": "acknowledgement", "protocol": protocol, "baud": baud, "mode": mode}
        }
    if raw.startswith(b"/") and raw.endswith(b"\r\n") and len(raw) >= 7:
        return {
            "iec": {
                "message": "identification",
                "manufacturer": text[1:4],
                "baud": text[4],
                "hdlc": text[5:7] == "\\2",
                "identification": text[7:-2] if text[5:7] == "\\2" else text[5:-2],
            }
        }
    raise DecodeError("not an IEC 62056-21 message")


def _result(result: GetDataResult) -> dict[str, Any]:
    if isinstance(result, Data):
        return {"data": result.to_json()}
    return {"data_access_result": data_access_result_name(result)}


def describe_apdu(apdu: bytes) -> dict[str, Any]:
    if not apdu:
        raise DecodeError("empty APDU")
    tag = apdu[0]
    out: dict[str, Any] = {"tag": APDU_NAMES.get(tag, f"unknown-0x{tag:02x}"), "hex": apdu.hex()}
    if tag == 0x60:
        aarq = Aarq.decode(apdu)
        out |= {
            "application_context": aarq.application_context.name.lower(),
            "mechanism": aarq.mechanism.name.lower(),
            "calling_ap_title": aarq.calling_ap_title.hex() if aarq.calling_ap_title else None,
            "authentication_value_length": len(aarq.calling_authentication_value)
            if aarq.calling_authentication_value
            else None,
        }
        if aarq.user_information:
            out["user_information"] = describe_apdu(aarq.user_information)
    elif tag == 0x61:
        aare = Aare.decode(apdu)
        out |= {
            "application_context": aare.application_context.name.lower(),
            "result": aare.result.kebab,
            "diagnostic_source": "acse-service-user"
            if aare.diagnostic_source == 1
            else "acse-service-provider",
            "diagnostic": aare.diagnostic,
            "mechanism": aare.mechanism.name.lower() if aare.mechanism is not None else None,
            "responding_ap_title": aare.responding_ap_title.hex()
            if aare.responding_ap_title
            else None,
        }
        if aare.user_information:
            out["user_information"] = describe_apdu(aare.user_information)
    elif tag in (0x62, 0x63):
        release = ReleaseRequest.decode(apdu) if tag == 0x62 else ReleaseResponse.decode(apdu)
        out["reason"] = release.reason
        if release.user_information:
            out["user_information"] = describe_apdu(release.user_information)
    elif tag == 0x01:
        request = InitiateRequest.decode(apdu)
        out |= {
            "dlms_version": request.dlms_version,
            "conformance": f"{int(request.conformance):06x}",
            "client_max_receive_pdu_size": request.client_max_receive_pdu_size,
            "dedicated_key": request.dedicated_key is not None,
        }
    elif tag == 0x08:
        response = InitiateResponse.decode(apdu)
        out |= {
            "dlms_version": response.dlms_version,
            "conformance": f"{int(response.conformance):06x}",
            "server_max_receive_pdu_size": response.server_max_receive_pdu_size,
            "vaa_name": response.vaa_name,
        }
    elif tag == 0xC0:
        out |= _describe_get_request(apdu)
    elif tag == 0xC4:
        out |= _describe_get_response(apdu)
    elif tag == 0xD8:
        out["error"] = str(ExceptionResponse.decode(apdu))
    elif tag == 0x0E:
        out["error"] = str(ConfirmedServiceError.decode(apdu))
    return out


def _describe_get_request(apdu: bytes) -> dict[str, Any]:
    request = decode_get_request(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": request.invoke_id_and_priority}
    if isinstance(request, GetRequestNormal):
        out |= {"tag": "get-request-normal", "attribute": str(request.descriptor)}
        if request.access_selection is not None:
            out["access_selection"] = request.access_selection.hex()
    elif isinstance(request, GetRequestNext):
        out |= {"tag": "get-request-next", "block_number": request.block_number}
    elif isinstance(request, GetRequestWithList):
        out |= {
            "tag": "get-request-with-list",
            "attributes": [str(d) for d in request.descriptors],
        }
    return out


def _describe_get_response(apdu: bytes) -> dict[str, Any]:
    response = decode_get_response(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": response.invoke_id_and_priority}
    if isinstance(response, GetResponseNormal):
        out |= {"tag": "get-response-normal", **_result(response.result)}
    elif isinstance(response, GetResponseWithList):
        out |= {"tag": "get-response-with-list", "results": [_result(r) for r in response.results]}
    elif isinstance(response, GetResponseWithDatablock):
        out |= {
            "tag": "get-response-with-datablock",
            "last_block": response.last_block,
            "block_number": response.block_number,
        }
        if isinstance(response.raw_data, bytes):
            out["raw_data"] = response.raw_data.hex()
        else:
            out["data_access_result"] = data_access_result_name(
                DataAccessResult.parse(int(response.raw_data))
            )
    return out
