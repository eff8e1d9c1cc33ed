"""Bytes to a JSON description: the ``dlms decode`` translator.

Anything that does not decode raises ``DecodeError``; the caller prints it as
``{"error": …}``. Ciphered APDUs show their security header, and with keys their
plaintext.

Reassembly comes before decoding, because segment and block boundaries fall inside data
elements:

- HDLC: the information fields of I and UI frames are joined per direction (destination
  and source address). An APDU starts with the LLC (``E6 E6 00``/``E6 E7 00``), which is
  removed, and goes on while frames carry the segmentation bit. A UI frame without the
  segmentation bit whose successor in the same direction carries no LLC is continued by
  it (GBT pushed in UI frames, the LLC in the first frame only: L+G E450). When the
  capture ends on a segmented frame, that APDU is shown as hex with ``"incomplete": true``.
- Wrapper (IEC 62056-47): each PDU carries one APDU; ``wrapper`` lists the headers.
- General-Block-Transfer: consecutive GBT APDUs in one direction are collected by block
  number and, once every block up to the last one is there, replaced by the APDU they
  carry. ``blocks`` then lists the GBT APDUs; an incomplete transfer keeps its blocks as
  APDUs of their own. Several blocks back to back in one payload are cut apart first.

The result has ``apdu`` when the bytes amount to one APDU, ``apdus`` (a list, in order)
when they amount to several.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from ..codecs.acse import Aare, Aarq, ReleaseRequest, ReleaseResponse
from ..codecs.axdr import Data, decode_data
from ..codecs.hdlc import FLAG, LLC_REQUEST, LLC_RESPONSE, Frame, FrameReader, FrameType
from ..codecs.wrapper import looks_like_wrapper, split_wrapper
from ..codecs.xdlms import (
    ACTION_REQUEST_TAG,
    ACTION_RESPONSE_TAG,
    APDU_TAG_NAMES,
    CONFIRMED_SERVICE_ERROR_TAG,
    DATA_NOTIFICATION_TAG,
    EVENT_NOTIFICATION_REQUEST_TAG,
    EXCEPTION_RESPONSE_TAG,
    GENERAL_BLOCK_TRANSFER_TAG,
    GET_REQUEST_TAG,
    GET_RESPONSE_TAG,
    INITIATE_REQUEST_TAG,
    INITIATE_RESPONSE_TAG,
    SET_REQUEST_TAG,
    SET_RESPONSE_TAG,
    AccessResult,
    AccessSelection,
    ActionRequestNextPblock,
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithList,
    ActionRequestWithListAndFirstPblock,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithOptionalData,
    ActionResponseWithPblock,
    ActionResult,
    ConfirmedServiceError,
    DataAccessResult,
    DataBlockSA,
    DataNotification,
    EventNotificationRequest,
    ExceptionResponse,
    GeneralBlockTransfer,
    GetDataResult,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    InitiateRequest,
    InitiateResponse,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetRequestWithListAndFirstDatablock,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseLastDatablockWithList,
    SetResponseNormal,
    SetResponseWithList,
    action_result_name,
    data_access_result_name,
    decode_action_request,
    decode_action_response,
    decode_get_request,
    decode_get_response,
    decode_set_request,
    decode_set_response,
    split_blocks,
)
from ..cosem.clock import CosemDateTime
from ..errors import ConfigurationError, DecipheringError, DecodeError, SecurityError
from ..security import SecurityKeys, decipher_apdu, is_ciphered, parse_ciphered_apdu
from ..session.gbt import GbtReceiver

APDU_NAMES: dict[int, str] = dict(APDU_TAG_NAMES)

_LLCS = (LLC_REQUEST, LLC_RESPONSE)
_WRAPPER_VERSION_BYTES = b"\x00\x01"


@dataclass(frozen=True, slots=True)
class _Deciphering:
    keys: SecurityKeys | None = None
    system_title: bytes | None = None


# The keys for ciphered APDUs met anywhere while describing (also nested ones, such as
# the glo-initiateRequest inside an AARQ).
_DECIPHERING: ContextVar[_Deciphering] = ContextVar("dlms_describe_deciphering")


def describe(
    raw: bytes,
    kind: str = "auto",
    *,
    keys: SecurityKeys | None = None,
    system_title: bytes | None = None,
) -> dict[str, Any]:
    """``kind``: ``auto``, ``hdlc``, ``wrapper``, ``apdu``, ``data`` or ``iec``. ``auto``
    takes 0x7E for HDLC, a version-1 wrapper header whose lengths match the bytes exactly
    for the wrapper, ``/`` or ACK for IEC 62056-21, and anything else as an APDU.

    With ``keys``, ciphered APDUs are deciphered; ``system_title`` is the sender's, for
    service-specific ciphering (general-ciphering APDUs carry their own, and an AARQ or
    AARE supplies the calling or responding AP title to the APDU inside it)."""
    token = _DECIPHERING.set(_Deciphering(keys, system_title))
    try:
        return _describe(raw, kind)
    finally:
        _DECIPHERING.reset(token)


def _describe(raw: bytes, kind: str) -> dict[str, Any]:
    if not raw:
        raise DecodeError("no bytes to decode")
    if kind == "auto":
        if raw[0] == FLAG:
            kind = "hdlc"
        elif raw[:2] == _WRAPPER_VERSION_BYTES and looks_like_wrapper(raw):
            kind = "wrapper"
        elif raw[:1] in (b"/", b"\x06") and _is_iec(raw):
            kind = "iec"
        else:
            kind = "apdu"
    if kind == "hdlc":
        return describe_hdlc(raw)
    if kind == "wrapper":
        return describe_wrapper(raw)
    if kind == "data":
        return {"data": decode_data(raw).to_json()}
    if kind == "iec":
        return describe_iec(raw)
    if raw[0] not in APDU_NAMES:
        raise DecodeError(f"unknown APDU tag 0x{raw[0]:02X}")
    return describe_apdus([(None, raw)])


# ---------------------------------------------------------------------------- HDLC


@dataclass
class _Assembly:
    key: Hashable
    payload: bytearray = field(default_factory=bytearray)
    segmented: bool = False  # the last frame had the segmentation bit
    ui: bool = False  # the last frame was a UI frame


def hdlc_apdus(frames: list[Frame]) -> list[tuple[Hashable, bytes, bool]]:
    """The APDUs the I and UI frames carry, LLC removed, each with its direction and
    whether it is complete (False when the capture ends on a segmented frame)."""
    assemblies: list[_Assembly] = []
    current: dict[Hashable, _Assembly] = {}
    for frame in frames:
        if frame.frame_type not in (FrameType.I, FrameType.UI) or not frame.information:
            continue
        key = (frame.destination.raw, frame.source.raw)
        info = frame.information
        ui = frame.frame_type is FrameType.UI
        assembly = current.get(key)
        # A segmented frame is always continued; an unsegmented UI frame only by a UI
        # frame without an LLC; an unsegmented I frame ends its APDU.
        if assembly is None or not (
            assembly.segmented or (assembly.ui and ui and info[:3] not in _LLCS)
        ):
            if info[:3] in _LLCS:
                info = info[3:]
            assembly = _Assembly(key)
            assemblies.append(assembly)
            current[key] = assembly
        assembly.payload += info
        assembly.segmented = frame.segmented
        assembly.ui = ui
    return [(a.key, bytes(a.payload), not a.segmented) for a in assemblies if a.payload]


def describe_hdlc(raw: bytes) -> dict[str, Any]:
    reader = FrameReader()
    reader.feed(raw)
    frames = list(reader)
    if not frames:
        raise DecodeError("no complete HDLC frame found")
    result: dict[str, Any] = {"frames": [frame.to_json() for frame in frames]}
    if all(frame.valid for frame in frames):
        units = hdlc_apdus(frames)
        incomplete = {i for i, (_, _, complete) in enumerate(units) if not complete}
        result |= describe_apdus([(key, apdu) for key, apdu, _ in units], incomplete)
    return result


# ---------------------------------------------------------------------------- wrapper


def describe_wrapper(raw: bytes) -> dict[str, Any]:
    pdus = split_wrapper(raw)
    result: dict[str, Any] = {"wrapper": [pdu.header.to_json() for pdu in pdus]}
    result |= describe_apdus(
        [((pdu.source_wport, pdu.destination_wport), pdu.apdu) for pdu in pdus if pdu.apdu]
    )
    return result


# ---------------------------------------------------------------------------- GBT


def _split_gbt_runs(
    apdus: list[tuple[Hashable, bytes]], incomplete: Collection[int]
) -> list[tuple[Hashable, bytes, bool]]:
    """A payload of several GBT APDUs back to back becomes one entry per block."""
    out: list[tuple[Hashable, bytes, bool]] = []
    for index, (key, apdu) in enumerate(apdus):
        if index in incomplete:
            out.append((key, apdu, False))
            continue
        if apdu[:1] == bytes((GENERAL_BLOCK_TRANSFER_TAG,)):
            try:
                out.extend((key, block, True) for block in split_blocks(apdu))
            except DecodeError:
                pass  # not a clean run: decoded as one APDU, which reports the problem
            else:
                continue
        out.append((key, apdu, True))
    return out


def _incomplete(apdu: bytes) -> dict[str, Any]:
    """The start of an APDU whose last segment is not in the capture: not decoded."""
    name = APDU_NAMES.get(apdu[0], f"unknown-0x{apdu[0]:02x}")
    return {"tag": name, "hex": apdu.hex(), "incomplete": True}


def describe_apdus(
    apdus: list[tuple[Hashable, bytes]], incomplete: Collection[int] = ()
) -> dict[str, Any]:
    """Describe APDUs in order, with GBT transfers reassembled per direction. The APDUs
    at the ``incomplete`` indexes are shown as hex only."""
    items: list[dict[str, Any] | None] = []
    blocks: list[dict[str, Any]] = []
    runs: dict[Hashable, tuple[GbtReceiver, list[tuple[int, bytes]]]] = {}

    def flush(key: Hashable) -> None:
        """An incomplete transfer: its blocks stay APDUs of their own."""
        _, pending = runs.pop(key)
        for index, block in pending:
            items[index] = describe_apdu(block)

    for key, apdu, complete in _split_gbt_runs(apdus, incomplete):
        if not complete or apdu[:1] != bytes((GENERAL_BLOCK_TRANSFER_TAG,)):
            if key in runs:
                flush(key)
            items.append(describe_apdu(apdu) if complete else _incomplete(apdu))
            continue
        block = GeneralBlockTransfer.decode(apdu)
        if key not in runs:
            runs[key] = (GbtReceiver(), [])
        receiver, pending = runs[key]
        items.append(None)
        pending.append((len(items) - 1, apdu))
        try:
            joined = receiver.receive(block)
        except DecodeError:
            flush(key)
            continue
        if joined is not None:
            if not joined:  # nothing was carried: keep the blocks as they are
                flush(key)
                continue
            runs.pop(key)
            blocks.extend(describe_apdu(b) for _, b in pending)
            items[pending[0][0]] = describe_apdu(joined)
    for key in list(runs):
        flush(key)
    described = [item for item in items if item is not None]
    result: dict[str, Any] = {}
    if blocks:
        result["blocks"] = blocks
    if len(described) == 1:
        result["apdu"] = described[0]
    elif described:
        result["apdus"] = described
    return result


# ---------------------------------------------------------------------------- IEC 62056-21


def _is_iec(raw: bytes) -> bool:
    try:
        describe_iec(raw)
    except DecodeError:
        return False
    return True


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


# ---------------------------------------------------------------------------- one APDU


def _result(result: GetDataResult) -> dict[str, Any]:
    if isinstance(result, Data):
        return {"data": result.to_json()}
    return {"data_access_result": data_access_result_name(result)}


def _access_result(result: AccessResult) -> str:
    return data_access_result_name(DataAccessResult.parse(int(result)))


def _selection(raw: bytes | None) -> dict[str, Any]:
    """The selective access of a descriptor: raw hex and its selector and parameters."""
    if raw is None:
        return {}
    selection = AccessSelection.decode(raw)
    return {
        "access_selection": raw.hex(),
        "access_selector": selection.selector,
        "access_parameters": selection.parameters.to_json(),
    }


def _selections(raws: tuple[bytes | None, ...]) -> dict[str, Any]:
    if not raws:
        return {}
    return {"access_selections": [_selection(raw) or None for raw in raws]}


def _block(block: DataBlockSA) -> dict[str, Any]:
    return {
        "last_block": block.last_block,
        "block_number": block.block_number,
        "raw_data": block.raw_data.hex(),
    }


def _action_response(response: ActionResponseWithOptionalData) -> dict[str, Any]:
    parameters = response.return_parameters
    return {
        "result": action_result_name(ActionResult.parse(int(response.result))),
        "return_parameters": None if parameters is None else _result(parameters),
    }


def _date_time(raw: bytes | None, key: str) -> dict[str, Any]:
    """An optional date-time octet string as hex, and as text when it is 12 bytes."""
    out: dict[str, Any] = {key: None if raw is None else raw.hex()}
    if raw is not None and len(raw) == 12:
        out[f"{key}_text"] = str(CosemDateTime.from_bytes(raw))
    return out


@contextmanager
def _sender(system_title: bytes | None) -> Iterator[None]:
    """Use the system title an enclosing APDU names, unless the user gave one."""
    current = _DECIPHERING.get(_Deciphering())
    if system_title is None or current.system_title is not None:
        yield
        return
    token = _DECIPHERING.set(replace(current, system_title=system_title))
    try:
        yield
    finally:
        _DECIPHERING.reset(token)


def _describe_ciphered(apdu: bytes) -> dict[str, Any]:
    """Security header always; with keys also ``tag_ok`` and the ``plaintext`` APDU."""
    parsed = parse_ciphered_apdu(apdu)
    out: dict[str, Any] = {
        "tag": parsed.name,
        "security_control": f"0x{parsed.control.to_byte():02x}",
        "invocation_counter": parsed.invocation_counter,
    }
    if parsed.system_title is not None:
        out["system_title"] = parsed.system_title.hex()
    settings = _DECIPHERING.get(_Deciphering())
    if settings.keys is None:
        return out
    try:
        deciphered = decipher_apdu(parsed, keys=settings.keys, system_title=settings.system_title)
    except DecipheringError:
        out["tag_ok"] = False
        return out
    except (SecurityError, ConfigurationError) as err:  # keys or title that cannot serve
        out["decipher_error"] = str(err)
        return out
    out["tag_ok"] = deciphered.tag_ok
    out["plaintext"] = describe_apdu(deciphered.plaintext)
    return out


def describe_apdu(apdu: bytes) -> dict[str, Any]:
    """One APDU, without reassembly."""
    if not apdu:
        raise DecodeError("empty APDU")
    tag = apdu[0]
    out: dict[str, Any] = {"tag": APDU_NAMES.get(tag, f"unknown-0x{tag:02x}"), "hex": apdu.hex()}
    if is_ciphered(tag):
        return out | _describe_ciphered(apdu)
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
            with _sender(aarq.calling_ap_title):
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
            with _sender(aare.responding_ap_title):
                out["user_information"] = describe_apdu(aare.user_information)
    elif tag in (0x62, 0x63):
        release = ReleaseRequest.decode(apdu) if tag == 0x62 else ReleaseResponse.decode(apdu)
        out["reason"] = release.reason
        if release.user_information:
            out["user_information"] = describe_apdu(release.user_information)
    elif tag == INITIATE_REQUEST_TAG:
        request = InitiateRequest.decode(apdu)
        out |= {
            "dlms_version": request.dlms_version,
            "conformance": f"{int(request.conformance):06x}",
            "client_max_receive_pdu_size": request.client_max_receive_pdu_size,
            "dedicated_key": request.dedicated_key is not None,
        }
    elif tag == INITIATE_RESPONSE_TAG:
        response = InitiateResponse.decode(apdu)
        out |= {
            "dlms_version": response.dlms_version,
            "conformance": f"{int(response.conformance):06x}",
            "server_max_receive_pdu_size": response.server_max_receive_pdu_size,
            "vaa_name": response.vaa_name,
        }
    elif tag == GET_REQUEST_TAG:
        out |= _describe_get_request(apdu)
    elif tag == GET_RESPONSE_TAG:
        out |= _describe_get_response(apdu)
    elif tag == SET_REQUEST_TAG:
        out |= _describe_set_request(apdu)
    elif tag == SET_RESPONSE_TAG:
        out |= _describe_set_response(apdu)
    elif tag == ACTION_REQUEST_TAG:
        out |= _describe_action_request(apdu)
    elif tag == ACTION_RESPONSE_TAG:
        out |= _describe_action_response(apdu)
    elif tag == DATA_NOTIFICATION_TAG:
        notification = DataNotification.decode(apdu)
        out |= {
            "long_invoke_id": notification.long_invoke_id_and_priority,
            "invoke_id": notification.invoke_id,
            "confirmed": notification.confirmed,
            "high_priority": notification.high_priority,
            **_date_time(notification.date_time, "date_time"),
            "body": notification.body.to_json(),
        }
    elif tag == EVENT_NOTIFICATION_REQUEST_TAG:
        event = EventNotificationRequest.decode(apdu)
        out |= {
            **_date_time(event.time, "time"),
            "attribute": str(event.descriptor),
            "value": event.value.to_json(),
        }
    elif tag == GENERAL_BLOCK_TRANSFER_TAG:
        block = GeneralBlockTransfer.decode(apdu)
        out |= {
            "last_block": block.last_block,
            "streaming": block.streaming,
            "window": block.window,
            "block_number": block.block_number,
            "block_number_ack": block.block_number_ack,
            "block_data": block.block_data.hex(),
        }
    elif tag == EXCEPTION_RESPONSE_TAG:
        exception = ExceptionResponse.decode(apdu)
        out |= {
            "state_error": exception.state_error_name,
            "service_error": exception.service_error_name,
            "invocation_counter": exception.invocation_counter,
            "error": str(exception),
        }
    elif tag == CONFIRMED_SERVICE_ERROR_TAG:
        out["error"] = str(ConfirmedServiceError.decode(apdu))
    return out


def _describe_get_request(apdu: bytes) -> dict[str, Any]:
    request = decode_get_request(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": request.invoke_id_and_priority}
    if isinstance(request, GetRequestNormal):
        out |= {"tag": "get-request-normal", "attribute": str(request.descriptor)}
        out |= _selection(request.access_selection)
    elif isinstance(request, GetRequestNext):
        out |= {"tag": "get-request-next", "block_number": request.block_number}
    elif isinstance(request, GetRequestWithList):
        out |= {
            "tag": "get-request-with-list",
            "attributes": [str(d) for d in request.descriptors],
        }
        out |= _selections(request.access_selections)
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
            out["data_access_result"] = _access_result(response.raw_data)
    return out


def _describe_set_request(apdu: bytes) -> dict[str, Any]:
    request = decode_set_request(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": request.invoke_id_and_priority}
    if isinstance(request, SetRequestNormal):
        out |= {"tag": "set-request-normal", "attribute": str(request.descriptor)}
        out |= _selection(request.access_selection)
        out["value"] = request.value.to_json()
    elif isinstance(request, SetRequestWithFirstDatablock):
        out |= {"tag": "set-request-with-first-datablock", "attribute": str(request.descriptor)}
        out |= _selection(request.access_selection)
        out |= _block(request.datablock)
    elif isinstance(request, SetRequestWithDatablock):
        out |= {"tag": "set-request-with-datablock", **_block(request.datablock)}
    elif isinstance(request, SetRequestWithList):
        out |= {
            "tag": "set-request-with-list",
            "attributes": [str(d) for d in request.descriptors],
            **_selections(request.access_selections),
            "values": [v.to_json() for v in request.values],
        }
    elif isinstance(request, SetRequestWithListAndFirstDatablock):
        out |= {
            "tag": "set-request-with-list-and-first-datablock",
            "attributes": [str(d) for d in request.descriptors],
            **_selections(request.access_selections),
            **_block(request.datablock),
        }
    return out


def _describe_set_response(apdu: bytes) -> dict[str, Any]:
    response = decode_set_response(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": response.invoke_id_and_priority}
    if isinstance(response, SetResponseNormal):
        out |= {"tag": "set-response-normal", "result": _access_result(response.result)}
    elif isinstance(response, SetResponseDatablock):
        out |= {"tag": "set-response-datablock", "block_number": response.block_number}
    elif isinstance(response, SetResponseLastDatablock):
        out |= {
            "tag": "set-response-last-datablock",
            "result": _access_result(response.result),
            "block_number": response.block_number,
        }
    elif isinstance(response, SetResponseLastDatablockWithList):
        out |= {
            "tag": "set-response-last-datablock-with-list",
            "results": [_access_result(r) for r in response.results],
            "block_number": response.block_number,
        }
    elif isinstance(response, SetResponseWithList):
        out |= {
            "tag": "set-response-with-list",
            "results": [_access_result(r) for r in response.results],
        }
    return out


def _describe_action_request(apdu: bytes) -> dict[str, Any]:
    request = decode_action_request(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": request.invoke_id_and_priority}
    if isinstance(request, ActionRequestNormal):
        out |= {
            "tag": "action-request-normal",
            "method": str(request.descriptor),
            "parameters": None if request.parameters is None else request.parameters.to_json(),
        }
    elif isinstance(request, ActionRequestNextPblock):
        out |= {"tag": "action-request-next-pblock", "block_number": request.block_number}
    elif isinstance(request, ActionRequestWithList):
        out |= {
            "tag": "action-request-with-list",
            "methods": [str(d) for d in request.descriptors],
            "parameters": [p.to_json() for p in request.parameters],
        }
    elif isinstance(request, ActionRequestWithFirstPblock):
        out |= {
            "tag": "action-request-with-first-pblock",
            "method": str(request.descriptor),
            **_block(request.pblock),
        }
    elif isinstance(request, ActionRequestWithListAndFirstPblock):
        out |= {
            "tag": "action-request-with-list-and-first-pblock",
            "methods": [str(d) for d in request.descriptors],
            **_block(request.pblock),
        }
    elif isinstance(request, ActionRequestWithPblock):
        out |= {"tag": "action-request-with-pblock", **_block(request.pblock)}
    return out


def _describe_action_response(apdu: bytes) -> dict[str, Any]:
    response = decode_action_response(apdu)
    out: dict[str, Any] = {"invoke_id_and_priority": response.invoke_id_and_priority}
    if isinstance(response, ActionResponseNormal):
        single = ActionResponseWithOptionalData(response.result, response.return_parameters)
        out |= {"tag": "action-response-normal", **_action_response(single)}
    elif isinstance(response, ActionResponseWithPblock):
        out |= {"tag": "action-response-with-pblock", **_block(response.pblock)}
    elif isinstance(response, ActionResponseWithList):
        out |= {
            "tag": "action-response-with-list",
            "responses": [_action_response(r) for r in response.responses],
        }
    elif isinstance(response, ActionResponseNextPblock):
        out |= {"tag": "action-response-next-pblock", "block_number": response.block_number}
    return out
