"""xDLMS beyond GET: SET, ACTION, Data-Notification, Event-Notification,
General-Block-Transfer (codec and reassembly), Exception-Response, the APDU dispatcher,
the IEC 62056-47 wrapper, and the translator's reassembly of HDLC frames, wrapper PDUs
and GBT blocks.

The published vectors are decoded to their documented meaning and re-encoded byte for
byte; the other cases are built here from the standard's ASN.1 (IEC 62056-5-3)."""

from __future__ import annotations

from typing import Any

import pytest

from libdlms.codecs import xdlms
from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.hdlc import (
    LLC_RESPONSE,
    FrameType,
    HdlcAddress,
    encode_frame,
)
from libdlms.codecs.wrapper import (
    WrapperHeader,
    WrapperPdu,
    WrapperReader,
    encode_wrapper,
    looks_like_wrapper,
    split_wrapper,
)
from libdlms.codecs.xdlms import (
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
    AttributeDescriptor,
    DataAccessResult,
    DataBlockSA,
    DataNotification,
    EventNotificationRequest,
    ExceptionResponse,
    GeneralBlockTransfer,
    GetRequestWithList,
    MethodDescriptor,
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
    decode_apdu,
)
from libdlms.cosem.clock import CosemDateTime
from libdlms.cosem.interface_classes import CaptureObjectDefinition
from libdlms.cosem.selective_access import RangeDescriptor
from libdlms.errors import ConfigurationError, DecodeError, EncodeError
from libdlms.obis import Obis
from libdlms.session.gbt import GbtReceiver
from libdlms.translator import describe

from .vectors import load_vectors

VECTORS = {v["id"]: v for v in load_vectors()}

CLOCK = AttributeDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 2)
ENERGY = AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255), 2)
HLS_REPLY = MethodDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 1)
RESET = MethodDescriptor(9, Obis(0, 0, 10, 0, 0, 255), 1)


def _vector(vector_id: str) -> bytes:
    return bytes.fromhex(VECTORS[vector_id]["hex"])


def _round_trip(apdu: Any) -> bytes:
    """Encode, decode through the dispatcher, and check both ways."""
    raw: bytes = apdu.encode()
    assert decode_apdu(raw) == apdu
    assert type(apdu).decode(raw) == apdu
    return raw


# ---------------------------------------------------------------------------- vectors


def test_vector_set_request_normal_clock() -> None:
    raw = _vector("xdlms-set-req-clock")
    request = decode_apdu(raw)
    assert isinstance(request, SetRequestNormal)
    assert request.invoke_id_and_priority == 0xC1
    assert request.descriptor == CLOCK
    assert request.access_selection is None
    assert request.value.type is DataType.OCTET_STRING
    stamp = CosemDateTime.from_bytes(request.value.value)
    assert str(stamp) == "2021-01-24 14:48:57.80 dow=* deviation=-60min clock_status=0x00"
    assert request.encode() == raw
    assert SetRequestNormal(CLOCK, Data(DataType.OCTET_STRING, stamp.to_bytes())).encode() == raw


def test_vector_set_response_success() -> None:
    raw = _vector("xdlms-set-resp-success")
    response = decode_apdu(raw)
    assert response == SetResponseNormal(DataAccessResult.SUCCESS, 0xC1)
    assert response.encode() == raw


def test_vector_action_request_reply_to_hls() -> None:
    raw = _vector("xdlms-action-req-reply-to-hls")
    request = decode_apdu(raw)
    assert isinstance(request, ActionRequestNormal)
    assert request.invoke_id_and_priority == 0xC0
    assert request.descriptor == HLS_REPLY
    assert request.parameters is not None
    assert request.parameters.type is DataType.OCTET_STRING
    # SC 0x10 (authentication only) | IC (4 bytes) | GMAC tag (12 bytes). The vector's
    # meaning reads the IC as 0x0000001A; the bytes say 00 00 1A 90.
    f_stoc = request.parameters.value
    assert len(f_stoc) == 1 + 4 + 12
    assert f_stoc[0] == 0x10
    assert int.from_bytes(f_stoc[1:5], "big") == 0x1A90
    assert request.encode() == raw


def test_vector_action_response_with_data() -> None:
    raw = _vector("xdlms-action-resp-with-data")
    response = decode_apdu(raw)
    assert isinstance(response, ActionResponseNormal)
    assert response.result is ActionResult.SUCCESS
    assert isinstance(response.return_parameters, Data)
    f_ctos = response.return_parameters.value  # the server's IC: 00 00 1A FD
    assert (len(f_ctos), f_ctos[0], int.from_bytes(f_ctos[1:5], "big")) == (17, 0x10, 0x1AFD)
    assert response.encode() == raw


def test_vector_action_response_error() -> None:
    raw = _vector("xdlms-action-resp-error")
    response = decode_apdu(raw)
    assert response == ActionResponseNormal(
        ActionResult.SUCCESS, DataAccessResult.OTHER_REASON, 0xC0
    )
    assert response.encode() == raw


def test_vector_action_response_without_data() -> None:
    raw = _vector("xdlms-action-resp-nodata")
    response = decode_apdu(raw)
    assert response == ActionResponseNormal(ActionResult.SUCCESS, None, 0xC0)
    assert response.encode() == raw


def test_vector_data_notification_plain() -> None:
    raw = _vector("xdlms-data-notification-plain")
    notification = decode_apdu(raw)
    assert isinstance(notification, DataNotification)
    assert notification.long_invoke_id_and_priority == 0x1DB
    assert notification.invoke_id == 0x1DB
    assert not notification.confirmed
    assert not notification.high_priority
    assert notification.date_time is None
    assert notification.body == Data(
        DataType.OCTET_STRING,
        bytes.fromhex("125a8591360000000049000000110000000a5a8513d014800000000d0000000a0100"),
    )
    assert notification.encode() == raw


def test_vector_data_notification_in_long_ui_frame() -> None:
    """The E450-style push: UI frame of 579 bytes, LLC, Data-Notification of a structure
    per register (OBIS, value, scaler_unit) and the clock first."""
    decoded = describe(_vector("hdlc-ui-long-11bit-length-datanotification"))
    apdu = decoded["apdu"]
    assert apdu["tag"] == "data-notification"
    assert apdu["long_invoke_id"] == 0x40000000
    assert apdu["confirmed"] is True
    assert apdu["date_time"] is None
    body = apdu["body"]
    assert body["type"] == "array"
    assert len(body["value"]) == 27
    clock = body["value"][0]["value"]
    assert clock[0] == {"type": "octet-string", "value": "0000010000ff"}
    assert clock[1]["type"] == "octet-string"
    assert CosemDateTime.from_bytes(bytes.fromhex(clock[1]["value"])).year == 2019
    energy = body["value"][-4]["value"]
    assert energy[0]["value"] == "0100010800ff"
    assert energy[1] == {"type": "double-long-unsigned", "value": 0x00995986}
    assert energy[2]["value"] == [{"type": "integer", "value": 0}, {"type": "enum", "value": 30}]


def test_vector_wrapper_header() -> None:
    raw = _vector("wrapper-udp-header")
    header = WrapperHeader.decode(raw)
    assert header == WrapperHeader(source_wport=1, destination_wport=1, length=70)
    assert header.encode() == raw
    # The header alone is not a PDU: the 70 bytes it announces are missing.
    with pytest.raises(DecodeError, match="70"):
        WrapperPdu.decode(raw)
    assert not looks_like_wrapper(raw)
    apdu = bytes(70)
    assert encode_wrapper(1, 1, apdu) == raw + apdu
    assert WrapperPdu.decode(raw + apdu) == WrapperPdu(1, 1, apdu)


def test_vector_range_descriptor_body() -> None:
    raw = _vector("xdlms-range-descriptor-body-tz")
    descriptor = RangeDescriptor.decode(raw)
    assert descriptor.restricting_object == CaptureObjectDefinition(
        8, Obis(0, 0, 1, 0, 0, 255), 2, 0
    )
    start = CosemDateTime.from_bytes(descriptor.from_value.value)
    end = CosemDateTime.from_bytes(descriptor.to_value.value)
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2020, 1, 1, 0, 3)
    assert start.deviation == -120
    assert (end.day, end.deviation) == (6, -60)
    assert descriptor.selected_values == ()
    assert descriptor.encode() == raw


def test_vector_get_request_with_range_descriptor() -> None:
    raw = _vector("xdlms-get-req-range-descriptor")
    request = decode_apdu(raw)
    assert isinstance(request, xdlms.GetRequestNormal)
    assert request.access_selection is not None
    descriptor = RangeDescriptor.decode(request.access_selection)
    assert descriptor.restricting_object.class_id == 8
    assert CosemDateTime.from_bytes(descriptor.from_value.value).clock_status == 0x80


# ---------------------------------------------------------------------------- SET


def test_set_requests_round_trip() -> None:
    value = Data(DataType.DOUBLE_LONG_UNSIGNED, 42)
    selection = RangeDescriptor(
        CaptureObjectDefinition(8, Obis(0, 0, 1, 0, 0, 255), 2),
        Data(DataType.OCTET_STRING, bytes(12)),
        Data(DataType.OCTET_STRING, bytes(12)),
    ).encode()
    block = DataBlockSA(False, 1, bytes(range(200)))
    assert _round_trip(SetRequestNormal(ENERGY, value, 0x81, selection))[:13] == bytes.fromhex(
        "c1018100030100010800ff0201"
    )
    first = _round_trip(SetRequestWithFirstDatablock(CLOCK, block))
    # last-block 00, block number 00000001, raw data with a long-form length 81 C8.
    assert first.endswith(bytes.fromhex("000000000181c8") + bytes(range(200)))
    assert _round_trip(SetRequestWithDatablock(DataBlockSA(True, 2, b"\x01"))) == bytes.fromhex(
        "c103c101000000020101"
    )
    with_list = SetRequestWithList((CLOCK, ENERGY), (Data(DataType.NULL_DATA), value))
    assert _round_trip(with_list) == bytes.fromhex(
        "c104c10200080000010000ff020000030100010800ff02000200060000002a"
    )
    _round_trip(SetRequestWithList((CLOCK, ENERGY), (value, value), 0xC2, (None, selection)))
    _round_trip(SetRequestWithListAndFirstDatablock((CLOCK, ENERGY), block))


def test_with_list_selections_are_normalised() -> None:
    plain = SetRequestWithList((CLOCK,), (Data(DataType.NULL_DATA),))
    assert SetRequestWithList((CLOCK,), (Data(DataType.NULL_DATA),), 0xC1, (None,)) == plain
    assert plain.access_selections == ()
    with pytest.raises(EncodeError):
        GetRequestWithList((CLOCK, ENERGY), 0xC1, (b"\x01\x00",))


def test_get_request_with_list_and_selective_access() -> None:
    selection = AccessSelection(2, Data(DataType.STRUCTURE, [])).encode()
    request = GetRequestWithList((CLOCK, ENERGY), 0xC1, (selection, None))
    raw = _round_trip(request)
    # CLOCK with selection (01) selector 2, empty structure; ENERGY without (00).
    assert raw[3:] == bytes.fromhex("02 0008 0000010000ff 02 01 02 0200 0003 0100010800ff 02 00")
    described = describe(raw)["apdu"]
    assert described["access_selections"][0]["access_selector"] == 2
    assert described["access_selections"][1] is None


def test_set_responses_round_trip() -> None:
    assert _round_trip(SetResponseNormal(DataAccessResult.READ_WRITE_DENIED)) == bytes.fromhex(
        "c501c103"
    )
    assert _round_trip(SetResponseDatablock(7)) == bytes.fromhex("c502c100000007")
    assert _round_trip(SetResponseLastDatablock(0, 8)) == bytes.fromhex("c503c10000000008")
    assert _round_trip(
        SetResponseLastDatablockWithList((0, DataAccessResult.TYPE_UNMATCHED), 9)
    ) == bytes.fromhex("c504c102000c00000009")
    assert _round_trip(SetResponseWithList((0, 1, 200))) == bytes.fromhex("c505c1030001c8")
    # A data-access-result outside the enum survives as an int.
    assert decode_apdu(bytes.fromhex("c501c1c8")) == SetResponseNormal(200)


# ---------------------------------------------------------------------------- ACTION


def test_action_requests_round_trip() -> None:
    assert _round_trip(ActionRequestNormal(RESET)) == bytes.fromhex(
        "c3 01 c1 0009 00000a0000ff 01 00"
    )
    with_parameters = ActionRequestNormal(RESET, Data(DataType.INTEGER, 0), 0x42)
    assert _round_trip(with_parameters) == bytes.fromhex("c3 01 42 0009 00000a0000ff 01 01 0f00")
    assert _round_trip(ActionRequestNextPblock(3)) == bytes.fromhex("c302c100000003")
    with_list = ActionRequestWithList(
        (RESET, HLS_REPLY), (Data(DataType.INTEGER, 0), Data(DataType.OCTET_STRING, b"\x01"))
    )
    assert _round_trip(with_list) == bytes.fromhex(
        "c3 03 c1 02 0009 00000a0000ff 01 000f 0000280000ff 01 02 0f00 090101"
    )
    block = DataBlockSA(False, 1, b"\x09\x81\x90" + bytes(60))
    _round_trip(ActionRequestWithFirstPblock(HLS_REPLY, block))
    _round_trip(ActionRequestWithListAndFirstPblock((RESET, HLS_REPLY), block))
    _round_trip(ActionRequestWithPblock(DataBlockSA(True, 2, bytes(80))))
    # Method ids are Integer8 in the ASN.1: the dispatcher keeps the sign.
    negative = decode_apdu(bytes.fromhex("c3 01 c1 0009 00000a0000ff 80 00"))
    assert isinstance(negative, ActionRequestNormal)
    assert negative.descriptor.method == -128


def test_action_responses_round_trip() -> None:
    no_data = ActionResponseWithOptionalData(ActionResult.SUCCESS)
    with_data = ActionResponseWithOptionalData(
        ActionResult.SUCCESS, Data(DataType.LONG_UNSIGNED, 5)
    )
    refused = ActionResponseWithOptionalData(ActionResult.READ_WRITE_DENIED)
    error_data = ActionResponseWithOptionalData(0, DataAccessResult.OBJECT_UNAVAILABLE)
    assert _round_trip(ActionResponseNormal(3)) == bytes.fromhex("c701c10300")
    assert _round_trip(
        ActionResponseWithList((no_data, with_data, refused, error_data))
    ) == bytes.fromhex("c7 03 c1 04 00 00 00 01 00 1200 05 03 00 00 01 01 0b")
    _round_trip(ActionResponseWithPblock(DataBlockSA(False, 1, b"\x01\x02")))
    assert _round_trip(ActionResponseNextPblock(1)) == bytes.fromhex("c704c100000001")
    assert ActionResult.parse(99) == 99


def test_action_response_with_unknown_optional_data_choice_is_rejected() -> None:
    with pytest.raises(DecodeError, match="Get-Data-Result choice 2"):
        decode_apdu(bytes.fromhex("c701c1000102"))


# ---------------------------------------------------------------------------- notifications


def test_data_notification_with_date_time() -> None:
    stamp = CosemDateTime(2024, 3, 31, 7, 2, 0, 0, 0, -120, 0x80).to_bytes()
    notification = DataNotification(
        0xC0000001, stamp, Data(DataType.STRUCTURE, [Data(DataType.LONG64_UNSIGNED, 1)])
    )
    raw = _round_trip(notification)
    assert raw[:6] == bytes.fromhex("0fc00000010c")
    assert notification.high_priority
    assert notification.confirmed
    assert not notification.self_descriptive
    assert not notification.break_on_error
    described = describe(raw)["apdu"]
    assert described["date_time_text"].startswith("2024-03-31 02:00:00.00")
    with pytest.raises(EncodeError):
        DataNotification(1, b"", Data(DataType.NULL_DATA)).encode()


def test_data_notification_lying_lengths() -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex("0f000000010c07e8"))  # date-time cut short
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex("0f000000010009050102"))  # body cut short
    with pytest.raises(DecodeError, match="trailing"):
        decode_apdu(bytes.fromhex("0f00000001000f0100"))


def test_event_notification_request() -> None:
    event = EventNotificationRequest(ENERGY, Data(DataType.DOUBLE_LONG_UNSIGNED, 7))
    assert _round_trip(event) == bytes.fromhex("c20000030100010800ff020600000007")
    stamped = EventNotificationRequest(CLOCK, Data(DataType.NULL_DATA), bytes(12))
    assert _round_trip(stamped)[:3] == bytes.fromhex("c2010c")
    assert describe(stamped.encode())["apdu"]["tag"] == "event-notification-request"


# ---------------------------------------------------------------------------- errors


def test_exception_response_variants() -> None:
    assert _round_trip(ExceptionResponse(1, 2)) == bytes.fromhex("d80102")
    counter = ExceptionResponse(1, 6, 0x1234)
    assert _round_trip(counter) == bytes.fromhex("d8010600001234")
    assert "invocation-counter-error" in str(counter)
    assert "4660" in str(counter)
    # Older meters send invocation-counter-error without the counter.
    assert decode_apdu(bytes.fromhex("d80106")) == ExceptionResponse(1, 6)
    for bad in ("d8010600", "d801060000123456", "d8010201"):
        with pytest.raises(DecodeError):
            decode_apdu(bytes.fromhex(bad))
    with pytest.raises(EncodeError):
        ExceptionResponse(1, 2, 5).encode()
    described = describe(bytes.fromhex("d8010600001234"))["apdu"]
    assert described["state_error"] == "service-not-allowed"
    assert described["service_error"] == "invocation-counter-error"
    assert described["invocation_counter"] == 0x1234


def test_decode_apdu_refuses_what_it_cannot_decode() -> None:
    with pytest.raises(DecodeError, match="empty"):
        decode_apdu(b"")
    with pytest.raises(DecodeError, match="unknown APDU tag 0xFF"):
        decode_apdu(b"\xff\x00")
    with pytest.raises(DecodeError, match="glo-get-response"):
        decode_apdu(bytes.fromhex("cc0130000000"))
    with pytest.raises(DecodeError, match="general-glo-ciphering"):
        decode_apdu(bytes.fromhex("db08"))
    with pytest.raises(DecodeError, match="read-request"):
        decode_apdu(bytes.fromhex("0501020000"))
    with pytest.raises(DecodeError, match=r"SET\.request choice 9"):
        decode_apdu(bytes.fromhex("c109c1"))
    with pytest.raises(DecodeError, match="not a SetResponseNormal"):
        SetResponseNormal.decode(bytes.fromhex("c502c100000007"))


def test_encoders_refuse_out_of_range_fields() -> None:
    for apdu in (
        SetResponseDatablock(1 << 32),
        ActionRequestNormal(MethodDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 128)),
        SetRequestNormal(AttributeDescriptor(1 << 16, CLOCK.instance, 2), Data(DataType.NULL_DATA)),
        SetResponseNormal(256),
        GeneralBlockTransfer(True, False, 64, 1, 0),
        GeneralBlockTransfer(True, False, 1, 1 << 16, 0),
        SetResponseNormal(DataAccessResult.SUCCESS, -1),
    ):
        with pytest.raises(EncodeError):
            apdu.encode()


# ---------------------------------------------------------------------------- GBT


def test_general_block_transfer_codec() -> None:
    block = GeneralBlockTransfer(
        last_block=True,
        streaming=False,
        window=5,
        block_number=1,
        block_number_ack=0,
        block_data=bytes.fromhex("c401c1000600000001"),
    )
    raw = _round_trip(block)
    assert raw == bytes.fromhex("e0850001000009c401c1000600000001")
    assert block.block_control == 0x85
    streaming = GeneralBlockTransfer(False, True, 63, 0xFFFF, 0xFFFE, bytes(300))
    assert _round_trip(streaming)[:9] == bytes.fromhex("e0 7f ffff fffe 82012c")
    parsed = decode_apdu(bytes.fromhex("e0c10002000100"))
    assert parsed == GeneralBlockTransfer(True, True, 1, 2, 1, b"")


def _blocks(apdu: bytes, size: int, window: int = 1) -> list[GeneralBlockTransfer]:
    chunks = [apdu[i : i + size] for i in range(0, len(apdu), size)]
    return [
        GeneralBlockTransfer(
            last_block=n == len(chunks),
            streaming=n != len(chunks) and n % window != 0,
            window=window,
            block_number=n,
            block_number_ack=0,
            block_data=chunk,
        )
        for n, chunk in enumerate(chunks, start=1)
    ]


GET_RESPONSE = xdlms.GetResponseNormal(
    Data(DataType.ARRAY, [Data(DataType.DOUBLE_LONG_UNSIGNED, n) for n in range(40)])
).encode()


def test_gbt_receiver_in_order_with_window_acks() -> None:
    receiver = GbtReceiver(window=3)
    blocks = _blocks(GET_RESPONSE, 20, window=3)
    acks = []
    for block in blocks[:-1]:
        assert receiver.receive(block) is None
        if receiver.ack_due:
            acks.append(receiver.ack())
    assert receiver.receive(blocks[-1]) == GET_RESPONSE
    assert receiver.complete
    assert not receiver.ack_due
    # One acknowledgement per window of 3, each acknowledging the window's last block.
    assert [a.block_number_ack for a in acks] == list(range(3, len(blocks), 3))
    assert [a.block_number for a in acks] == list(range(1, len(acks) + 1))
    assert all(a.window == 3 and a.block_data == b"" and a.last_block for a in acks)
    with pytest.raises(DecodeError, match="complete"):
        receiver.receive(blocks[0])


def test_gbt_receiver_out_of_order_duplicates_and_gaps() -> None:
    blocks = _blocks(GET_RESPONSE, 30)
    receiver = GbtReceiver()
    order = [blocks[1], blocks[0], blocks[0], *blocks[3:]]
    for block in order:
        assert receiver.receive(block) is None
    assert receiver.missing == (3,)
    assert receiver.highest_in_sequence == 2
    assert receiver.ack_due  # the last block arrived with a gap before it
    assert receiver.ack().block_number_ack == 2  # ask again from block 3
    assert receiver.receive(blocks[2]) == GET_RESPONSE


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([GeneralBlockTransfer(True, False, 1, 0, 0, b"x")], "block number 0"),
        (
            [
                GeneralBlockTransfer(False, False, 1, 1, 0, b"a"),
                GeneralBlockTransfer(False, False, 1, 1, 0, b"b"),
            ],
            "different data",
        ),
        (
            [
                GeneralBlockTransfer(True, False, 1, 2, 0, b"a"),
                GeneralBlockTransfer(False, False, 1, 3, 0, b"b"),
            ],
            "after the last block",
        ),
        (
            [
                GeneralBlockTransfer(False, False, 1, 5, 0, b"a"),
                GeneralBlockTransfer(True, False, 1, 4, 0, b"b"),
            ],
            "below block 5",
        ),
        ([GeneralBlockTransfer(False, False, 1, 1, 0, bytes(11))], "exceeds 10 bytes"),
    ],
)
def test_gbt_receiver_refuses_inconsistent_blocks(
    blocks: list[GeneralBlockTransfer], message: str
) -> None:
    receiver = GbtReceiver(max_size=10)
    for block in blocks[:-1]:
        receiver.receive(block)
    with pytest.raises(DecodeError, match=message):
        receiver.receive(blocks[-1])


def test_gbt_receiver_window_bounds() -> None:
    with pytest.raises(ConfigurationError, match="window"):
        GbtReceiver(window=0)


# ---------------------------------------------------------------------------- translator


SERVER = HdlcAddress.server(1, 17)
CLIENT = HdlcAddress.client(16)
PUSH_CLIENT = HdlcAddress.client(32)


def test_translator_reassembles_gbt_blocks_from_apdus_and_wrapper() -> None:
    blocks = _blocks(GET_RESPONSE, 64)
    wrapped = b"".join(encode_wrapper(1, 16, block.encode()) for block in blocks)
    assert looks_like_wrapper(wrapped)
    decoded = describe(wrapped)
    assert decoded["wrapper"][0] == {
        "version": 1,
        "source_wport": 1,
        "destination_wport": 16,
        "length": len(blocks[0].encode()),
    }
    assert len(decoded["blocks"]) == len(blocks)
    assert decoded["blocks"][-1]["last_block"] is True
    assert decoded["apdu"]["tag"] == "get-response-normal"
    assert len(decoded["apdu"]["data"]["value"]) == 40
    # One complete block given as an APDU is reassembled too.
    single = GeneralBlockTransfer(True, False, 1, 1, 0, GET_RESPONSE).encode()
    assert describe(single)["apdu"]["tag"] == "get-response-normal"
    # An incomplete transfer keeps its blocks as they are.
    partial = describe(blocks[1].encode())
    assert partial["apdu"]["tag"] == "general-block-transfer"
    assert partial["apdu"]["block_number"] == 2
    assert "blocks" not in partial


def test_translator_gbt_over_ui_frames_with_llc_in_the_first_frame_only() -> None:
    """A push carried by GBT in UI frames without the segmentation bit (L+G E450): the LLC
    is in the first frame only, and the frame boundaries fall inside the blocks."""
    notification = DataNotification(
        0x40000001,
        None,
        Data(DataType.ARRAY, [Data(DataType.OCTET_STRING, bytes(20)) for _ in range(10)]),
    ).encode()
    stream = LLC_RESPONSE + b"".join(b.encode() for b in _blocks(notification, 100, window=2))
    pieces = [stream[i : i + 90] for i in range(0, len(stream), 90)]
    frames = b"".join(
        encode_frame(FrameType.UI, PUSH_CLIENT, SERVER, information=piece) for piece in pieces
    )
    decoded = describe(frames)
    assert [f["type"] for f in decoded["frames"]] == ["UI"] * len(pieces)
    assert len(decoded["blocks"]) == 3
    assert decoded["apdu"]["tag"] == "data-notification"
    assert decoded["apdu"]["invoke_id"] == 1
    assert len(decoded["apdu"]["body"]["value"]) == 10


def test_translator_joins_segmented_i_frames_per_direction() -> None:
    """A segmented response, with the client's RR frames in between, then a second
    exchange: two APDUs, in order."""
    response = LLC_RESPONSE + GET_RESPONSE
    segments = [response[i : i + 50] for i in range(0, len(response), 50)]
    capture = b""
    for n, segment in enumerate(segments):
        last = n == len(segments) - 1
        capture += encode_frame(
            FrameType.I,
            CLIENT,
            SERVER,
            information=segment,
            segmented=not last,
            send_sequence=n % 8,
        )
        if not last:
            capture += encode_frame(FrameType.RR, SERVER, CLIENT, receive_sequence=(n + 1) % 8)
    request = b"\xe6\xe6\x00" + SetRequestNormal(CLOCK, Data(DataType.NULL_DATA)).encode()
    capture += encode_frame(FrameType.I, SERVER, CLIENT, information=request)
    reply = LLC_RESPONSE + SetResponseNormal(DataAccessResult.SUCCESS).encode()
    capture += encode_frame(FrameType.I, CLIENT, SERVER, information=reply)
    decoded = describe(capture)
    assert [a["tag"] for a in decoded["apdus"]] == [
        "get-response-normal",
        "set-request-normal",
        "set-response-normal",
    ]
    assert len(decoded["apdus"][0]["data"]["value"]) == 40
    assert decoded["apdus"][2]["result"] == "success"


def test_translator_describes_every_new_apdu() -> None:
    block = DataBlockSA(True, 1, b"\x00")
    cases: list[tuple[Any, str]] = [
        (SetRequestNormal(CLOCK, Data(DataType.NULL_DATA)), "set-request-normal"),
        (SetRequestWithFirstDatablock(CLOCK, block), "set-request-with-first-datablock"),
        (SetRequestWithDatablock(block), "set-request-with-datablock"),
        (SetRequestWithList((CLOCK,), (Data(DataType.NULL_DATA),)), "set-request-with-list"),
        (
            SetRequestWithListAndFirstDatablock((CLOCK,), block),
            "set-request-with-list-and-first-datablock",
        ),
        (SetResponseNormal(0), "set-response-normal"),
        (SetResponseDatablock(1), "set-response-datablock"),
        (SetResponseLastDatablock(0, 1), "set-response-last-datablock"),
        (SetResponseLastDatablockWithList((0,), 1), "set-response-last-datablock-with-list"),
        (SetResponseWithList((0,)), "set-response-with-list"),
        (ActionRequestNormal(RESET), "action-request-normal"),
        (ActionRequestNextPblock(1), "action-request-next-pblock"),
        (ActionRequestWithList((RESET,), (Data(DataType.NULL_DATA),)), "action-request-with-list"),
        (ActionRequestWithFirstPblock(RESET, block), "action-request-with-first-pblock"),
        (
            ActionRequestWithListAndFirstPblock((RESET,), block),
            "action-request-with-list-and-first-pblock",
        ),
        (ActionRequestWithPblock(block), "action-request-with-pblock"),
        (ActionResponseNormal(0), "action-response-normal"),
        (ActionResponseWithPblock(block), "action-response-with-pblock"),
        (
            ActionResponseWithList((ActionResponseWithOptionalData(0),)),
            "action-response-with-list",
        ),
        (ActionResponseNextPblock(1), "action-response-next-pblock"),
        (DataNotification(1, None, Data(DataType.NULL_DATA)), "data-notification"),
        (ExceptionResponse(2, 1), "exception-response"),
    ]
    for apdu, tag in cases:
        described = describe(apdu.encode(), "apdu")["apdu"]
        assert described["tag"] == tag
        assert described["hex"] == apdu.encode().hex()
    # Protected APDUs without keys: named, with their security header, no plaintext.
    assert describe(bytes.fromhex("cc053000000007"))["apdu"] == {
        "tag": "glo-get-response",
        "hex": "cc053000000007",
        "security_control": "0x30",
        "invocation_counter": 7,
    }
    with pytest.raises(DecodeError):
        describe(bytes.fromhex("cc0130000000"))  # the length says 1, five bytes follow


def test_translator_wrapper_detection_needs_matching_lengths() -> None:
    pdu = encode_wrapper(16, 1, SetResponseNormal(0).encode())
    assert describe(pdu)["wrapper"][0]["source_wport"] == 16
    # A length that does not match: not taken as a wrapper in auto mode.
    with pytest.raises(DecodeError):
        describe(pdu + b"\x00")
    with pytest.raises(DecodeError, match="wrapper length"):
        describe(pdu[:-1], "wrapper")


def test_wrapper_stream_reader() -> None:
    first = encode_wrapper(16, 1, b"\xc0\x01\xc1")
    second = encode_wrapper(16, 1, b"\x62\x00")
    reader = WrapperReader()
    reader.feed(first + second[:5])
    assert list(reader) == [WrapperPdu(16, 1, b"\xc0\x01\xc1")]
    assert reader.pending == 5
    reader.feed(second[5:])
    assert list(reader) == [WrapperPdu(16, 1, b"\x62\x00")]
    assert split_wrapper(first + second) == [
        WrapperPdu(16, 1, b"\xc0\x01\xc1"),
        WrapperPdu(16, 1, b"\x62\x00"),
    ]
    reader.feed(b"\x00\x02" + bytes(6))
    with pytest.raises(DecodeError, match="version 2"):
        list(reader)
    small = WrapperReader(max_apdu_length=10)
    small.feed(encode_wrapper(1, 1, bytes(11)))
    with pytest.raises(DecodeError, match="exceeds"):
        small.next_pdu()
    with pytest.raises(EncodeError):
        encode_wrapper(1 << 16, 1, b"")


def test_translator_leaves_an_unfinished_segmented_apdu_undecoded() -> None:
    """The capture ends on a frame with the segmentation bit: the APDU is shown, marked
    incomplete, and not decoded (its end, and maybe its start, are not there)."""
    raw = _vector("hdlc-iframe-segmented-length-0x7E")
    decoded = describe(raw)
    assert decoded["frames"][0]["segmented"] is True
    assert decoded["apdu"]["incomplete"] is True
    assert decoded["apdu"]["hex"] == decoded["frames"][0]["information"]


def test_translator_auto_mode_takes_iec_only_when_it_is_iec() -> None:
    assert describe(b"\x06250\r\n")["iec"]["message"] == "acknowledgement"
    # 06 is also the A-XDR tag of double-long-unsigned and the SN write-request tag.
    assert describe(bytes.fromhex("0600001391"))["apdu"]["tag"] == "write-request"
    assert describe(bytes.fromhex("0600001391"), "data")["data"]["value"] == 5009
