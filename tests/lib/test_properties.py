"""Property tests (hypothesis): every A-XDR data type and every APDU and HDLC frame we
build survives encode -> decode unchanged, and mutated or truncated encodings make the
decoders raise only the library's own errors, each example within the deadline.

Profiles: ``default`` (about 200 examples per property, the suite's budget) and ``long``
(``HYPOTHESIS_PROFILE=long``, thousands per property). No example database is written.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libdlms.codecs import acse, xdlms
from libdlms.codecs.axdr import (
    BitString,
    Data,
    DataType,
    Reader,
    decode_data,
    encode_data,
    encode_length,
)
from libdlms.codecs.hdlc import (
    Frame,
    FrameReader,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    decode_frame,
    encode_frame,
)
from libdlms.codecs.wrapper import (
    WrapperPdu,
    WrapperReader,
    split_wrapper,
)
from libdlms.cosem import interface_classes, selective_access
from libdlms.cosem.clock import CosemDateTime
from libdlms.errors import DlmsError
from libdlms.obis import Obis
from libdlms.session.gbt import GbtReceiver
from libdlms.translator import describe

settings.register_profile(
    "default",
    max_examples=200,
    deadline=timedelta(milliseconds=500),
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=timedelta(seconds=2),
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# ---------------------------------------------------------------------------- A-XDR data

_INTEGER_RANGES: dict[DataType, tuple[int, int]] = {
    DataType.INTEGER: (-(1 << 7), (1 << 7) - 1),
    DataType.LONG: (-(1 << 15), (1 << 15) - 1),
    DataType.DOUBLE_LONG: (-(1 << 31), (1 << 31) - 1),
    DataType.LONG64: (-(1 << 63), (1 << 63) - 1),
    DataType.UNSIGNED: (0, (1 << 8) - 1),
    DataType.LONG_UNSIGNED: (0, (1 << 16) - 1),
    DataType.DOUBLE_LONG_UNSIGNED: (0, (1 << 32) - 1),
    DataType.LONG64_UNSIGNED: (0, (1 << 64) - 1),
    DataType.ENUM: (0, 255),
    DataType.BCD: (-(1 << 7), (1 << 7) - 1),
}


def _integer(kind: DataType) -> st.SearchStrategy[Data]:
    low, high = _INTEGER_RANGES[kind]
    return st.integers(low, high).map(lambda v: Data(kind, v))


@st.composite
def bit_strings(draw: st.DrawFn) -> Data:
    length = draw(st.integers(0, 300))
    data = draw(st.binary(min_size=(length + 7) // 8, max_size=(length + 7) // 8))
    return Data(DataType.BIT_STRING, BitString(data, length))


def _float_bits(kind: DataType) -> st.SearchStrategy[Data]:
    """Any bit pattern (NaNs with payloads, infinities, -0.0, subnormals) and plain floats."""
    fmt, size = (">f", 4) if kind is DataType.FLOAT32 else (">d", 8)
    raw = st.binary(min_size=size, max_size=size).map(lambda b: struct.unpack(fmt, b)[0])
    plain = st.floats(width=32 if size == 4 else 64, allow_nan=True, allow_infinity=True)
    return st.one_of(raw, plain).map(lambda v: Data(kind, v))


@st.composite
def cosem_date_times(draw: st.DrawFn) -> bytes:
    """12-byte date-times with real and "not specified" fields, and the 0x8000 deviation."""

    def field(low: int, high: int) -> int | None:
        return draw(st.one_of(st.none(), st.integers(low, high)))

    stamp = CosemDateTime(
        year=draw(st.one_of(st.none(), st.integers(0, 0xFFFE))),
        month=field(1, 14),  # 0xFD/0xFE (DST end/begin) are outside the plain range
        day=field(1, 31),
        day_of_week=field(1, 7),
        hour=field(0, 23),
        minute=field(0, 59),
        second=field(0, 59),
        hundredths=field(0, 99),
        deviation=draw(st.one_of(st.none(), st.integers(-720, 720))),
        clock_status=field(0, 0xFE),
    )
    raw = stamp.to_bytes()
    assert CosemDateTime.from_bytes(raw) == stamp
    return raw


def _scalar_data() -> st.SearchStrategy[Data]:
    return st.one_of(
        st.just(Data(DataType.NULL_DATA)),
        st.just(Data(DataType.DONT_CARE)),
        st.booleans().map(lambda v: Data(DataType.BOOLEAN, v)),
        bit_strings(),
        *(_integer(kind) for kind in _INTEGER_RANGES),
        _float_bits(DataType.FLOAT32),
        _float_bits(DataType.FLOAT64),
        st.binary(max_size=300).map(lambda v: Data(DataType.OCTET_STRING, v)),
        st.text(st.characters(max_codepoint=255), max_size=140).map(
            lambda v: Data(DataType.VISIBLE_STRING, v)
        ),
        st.text(st.characters(codec="utf-8"), max_size=60).map(
            lambda v: Data(DataType.UTF8_STRING, v)
        ),
        cosem_date_times().map(lambda v: Data(DataType.DATE_TIME, v)),
        st.binary(min_size=5, max_size=5).map(lambda v: Data(DataType.DATE, v)),
        st.binary(min_size=4, max_size=4).map(lambda v: Data(DataType.TIME, v)),
        cosem_date_times().map(lambda v: Data(DataType.OCTET_STRING, v)),
    )


def data_values(max_leaves: int = 25) -> st.SearchStrategy[Data]:
    return st.recursive(
        _scalar_data(),
        lambda children: st.one_of(
            st.lists(children, max_size=6).map(lambda v: Data(DataType.ARRAY, v)),
            st.lists(children, max_size=6).map(lambda v: Data(DataType.STRUCTURE, v)),
        ),
        max_leaves=max_leaves,
    )


def _same(a: Data, b: Data) -> bool:
    """Data equality with NaN equal to NaN (compared by their encoding)."""
    if isinstance(a.value, float) and math.isnan(a.value):
        return a.type is b.type and encode_data(a) == encode_data(b)
    if isinstance(a.value, list):
        return (
            a.type is b.type
            and isinstance(b.value, list)
            and len(a.value) == len(b.value)
            and all(_same(x, y) for x, y in zip(a.value, b.value, strict=True))
        )
    return a == b


@given(data_values())
def test_every_data_type_round_trips(value: Data) -> None:
    raw = encode_data(value)
    decoded = decode_data(raw)
    assert _same(decoded, value)
    assert encode_data(decoded) == raw
    decoded.to_json()  # the translator's view never fails


@given(st.integers(0, (1 << 32) - 1))
def test_lengths_round_trip_in_short_and_long_form(length: int) -> None:
    encoded = encode_length(length)
    assert (len(encoded) == 1) == (length < 0x80)
    assert Reader(encoded).count(min_item_size=0) == length
    if length:
        # A count that claims elements which are not there: refused, nothing allocated.
        with pytest.raises(DlmsError):
            decode_data(b"\x01" + encoded)


# Compact-array (type 19): built here, since the library only decodes it.

_COMPACT_SCALARS = [
    DataType.BOOLEAN,
    DataType.BIT_STRING,
    DataType.DOUBLE_LONG,
    DataType.DOUBLE_LONG_UNSIGNED,
    DataType.OCTET_STRING,
    DataType.VISIBLE_STRING,
    DataType.INTEGER,
    DataType.LONG,
    DataType.UNSIGNED,
    DataType.LONG_UNSIGNED,
    DataType.LONG64,
    DataType.ENUM,
    DataType.FLOAT32,
    DataType.FLOAT64,
    DataType.DATE_TIME,
    DataType.DATE,
    DataType.TIME,
]


def _description_bytes(description: Any) -> bytes:
    kind, members = description
    if kind is DataType.STRUCTURE:
        return bytes((kind, len(members))) + b"".join(_description_bytes(m) for m in members)
    if kind is DataType.ARRAY:
        count, element = members
        return bytes((kind,)) + count.to_bytes(2, "big") + _description_bytes(element)
    return bytes((kind,))


def _value_for(description: Any) -> st.SearchStrategy[Data]:
    kind, members = description
    if kind is DataType.STRUCTURE:
        return st.tuples(*(_value_for(m) for m in members)).map(
            lambda items: Data(DataType.STRUCTURE, list(items))
        )
    if kind is DataType.ARRAY:
        count, element = members
        return st.lists(_value_for(element), min_size=count, max_size=count).map(
            lambda items: Data(DataType.ARRAY, items)
        )
    return _scalar_of(kind)


def _scalar_of(kind: DataType) -> st.SearchStrategy[Data]:
    if kind in _INTEGER_RANGES:
        return _integer(kind)
    if kind in (DataType.FLOAT32, DataType.FLOAT64):
        return _float_bits(kind)
    if kind is DataType.BOOLEAN:
        return st.booleans().map(lambda v: Data(kind, v))
    if kind is DataType.BIT_STRING:
        return bit_strings()
    if kind is DataType.VISIBLE_STRING:
        return st.text(st.characters(max_codepoint=255), max_size=8).map(lambda v: Data(kind, v))
    size = {DataType.DATE_TIME: 12, DataType.DATE: 5, DataType.TIME: 4}.get(kind)
    if size is not None:
        return st.binary(min_size=size, max_size=size).map(lambda v: Data(kind, v))
    return st.binary(max_size=10).map(lambda v: Data(kind, v))


_DESCRIPTIONS = st.recursive(
    st.sampled_from(_COMPACT_SCALARS).map(lambda kind: (kind, ())),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(
            lambda members: (DataType.STRUCTURE, tuple(members))
        ),
        st.tuples(st.integers(1, 3), children).map(lambda ce: (DataType.ARRAY, ce)),
    ),
    max_leaves=6,
)


def _body(value: Data) -> bytes:
    """The encoding without the type tag (what a compact-array's contents hold)."""
    if value.type in (DataType.STRUCTURE, DataType.ARRAY):
        return b"".join(_body(item) for item in value.value)
    return encode_data(value)[1:]


@given(st.data())
def test_compact_array_decodes_what_its_description_says(data: st.DataObject) -> None:
    description = data.draw(_DESCRIPTIONS)
    elements = data.draw(st.lists(_value_for(description), max_size=5))
    contents = b"".join(_body(e) for e in elements)
    raw = (
        bytes((DataType.COMPACT_ARRAY,))
        + _description_bytes(description)
        + encode_length(len(contents))
        + contents
    )
    decoded = decode_data(raw)
    assert decoded.type is DataType.COMPACT_ARRAY
    assert len(decoded.value) == len(elements)
    for got, want in zip(decoded.value, elements, strict=True):
        assert _same(got, want)


# ---------------------------------------------------------------------------- APDUs

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
int8 = st.integers(-128, 127)
iip = u8
obis = st.tuples(u8, u8, u8, u8, u8, u8).map(lambda g: Obis(*g))
attributes = st.builds(xdlms.AttributeDescriptor, u16, obis, int8)
methods = st.builds(xdlms.MethodDescriptor, u16, obis, int8)
small_data = data_values(max_leaves=6)
selections = st.one_of(
    st.none(),
    st.builds(xdlms.AccessSelection, u8, small_data).map(lambda s: s.encode()),
)
access_results = st.one_of(st.sampled_from(list(xdlms.DataAccessResult)), u8)
get_data_results = st.one_of(small_data, access_results)
blocks = st.builds(xdlms.DataBlockSA, st.booleans(), u32, st.binary(max_size=200))


@st.composite
def with_selections(
    draw: st.DrawFn, descriptors: st.SearchStrategy[Any]
) -> tuple[tuple[Any, ...], tuple[bytes | None, ...]]:
    items = tuple(draw(st.lists(descriptors, max_size=5)))
    chosen = tuple(draw(selections) for _ in items)
    return items, chosen


def _get_requests() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(xdlms.GetRequestNormal, attributes, iip, selections),
        st.builds(xdlms.GetRequestNext, u32, iip),
        st.builds(
            lambda ds, i: xdlms.GetRequestWithList(ds[0], i, ds[1]),
            with_selections(attributes),
            iip,
        ),
    )


def _get_responses() -> st.SearchStrategy[Any]:
    raw = st.one_of(st.binary(max_size=300), access_results)
    return st.one_of(
        st.builds(xdlms.GetResponseNormal, get_data_results, iip),
        st.builds(xdlms.GetResponseWithDatablock, st.booleans(), u32, raw, iip),
        st.builds(
            xdlms.GetResponseWithList,
            st.lists(get_data_results, max_size=5).map(tuple),
            iip,
        ),
    )


def _set_requests() -> st.SearchStrategy[Any]:
    values = st.lists(small_data, max_size=5).map(tuple)
    return st.one_of(
        st.builds(xdlms.SetRequestNormal, attributes, small_data, iip, selections),
        st.builds(xdlms.SetRequestWithFirstDatablock, attributes, blocks, iip, selections),
        st.builds(xdlms.SetRequestWithDatablock, blocks, iip),
        st.builds(
            lambda ds, v, i: xdlms.SetRequestWithList(ds[0], v, i, ds[1]),
            with_selections(attributes),
            values,
            iip,
        ),
        st.builds(
            lambda ds, b, i: xdlms.SetRequestWithListAndFirstDatablock(ds[0], b, i, ds[1]),
            with_selections(attributes),
            blocks,
            iip,
        ),
    )


def _set_responses() -> st.SearchStrategy[Any]:
    results = st.lists(access_results, max_size=8).map(tuple)
    return st.one_of(
        st.builds(xdlms.SetResponseNormal, access_results, iip),
        st.builds(xdlms.SetResponseDatablock, u32, iip),
        st.builds(xdlms.SetResponseLastDatablock, access_results, u32, iip),
        st.builds(xdlms.SetResponseLastDatablockWithList, results, u32, iip),
        st.builds(xdlms.SetResponseWithList, results, iip),
    )


def _action_requests() -> st.SearchStrategy[Any]:
    method_list = st.lists(methods, max_size=5).map(tuple)
    return st.one_of(
        st.builds(xdlms.ActionRequestNormal, methods, st.none() | small_data, iip),
        st.builds(xdlms.ActionRequestNextPblock, u32, iip),
        st.builds(
            xdlms.ActionRequestWithList,
            method_list,
            st.lists(small_data, max_size=5).map(tuple),
            iip,
        ),
        st.builds(xdlms.ActionRequestWithFirstPblock, methods, blocks, iip),
        st.builds(xdlms.ActionRequestWithListAndFirstPblock, method_list, blocks, iip),
        st.builds(xdlms.ActionRequestWithPblock, blocks, iip),
    )


action_results = st.one_of(st.sampled_from(list(xdlms.ActionResult)), u8)
optional_data = st.builds(
    xdlms.ActionResponseWithOptionalData, action_results, st.none() | get_data_results
)


def _action_responses() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(xdlms.ActionResponseNormal, action_results, st.none() | get_data_results, iip),
        st.builds(xdlms.ActionResponseWithPblock, blocks, iip),
        st.builds(
            xdlms.ActionResponseWithList, st.lists(optional_data, max_size=5).map(tuple), iip
        ),
        st.builds(xdlms.ActionResponseNextPblock, u32, iip),
    )


def _other_xdlms() -> st.SearchStrategy[Any]:
    conformance = st.integers(0, (1 << 24) - 1).map(xdlms.Conformance)
    return st.one_of(
        st.builds(
            xdlms.InitiateRequest,
            conformance,
            u16,
            st.none() | st.binary(max_size=40),
            st.booleans(),
            st.none() | u8,
            u8,
        ),
        st.builds(xdlms.InitiateResponse, conformance, u16, u16, st.none() | u8, u8),
        st.builds(xdlms.ConfirmedServiceError, u8, u8, u8),
        st.builds(xdlms.ExceptionResponse, u8, st.integers(0, 255).filter(lambda v: v != 6)),
        st.builds(xdlms.ExceptionResponse, u8, st.just(6), st.none() | u32),
        st.builds(
            xdlms.DataNotification,
            u32,
            st.none() | cosem_date_times() | st.binary(min_size=1, max_size=20),
            small_data,
        ),
        st.builds(
            xdlms.EventNotificationRequest,
            attributes,
            small_data,
            st.none() | st.binary(max_size=20),
        ),
        st.builds(
            xdlms.GeneralBlockTransfer,
            st.booleans(),
            st.booleans(),
            st.integers(0, 63),
            u16,
            u16,
            st.binary(max_size=300),
        ),
    )


mechanisms = st.sampled_from(list(acse.Mechanism))
contexts = st.sampled_from(list(acse.ApplicationContext))
octets = st.binary(max_size=160)


@st.composite
def aarqs(draw: st.DrawFn) -> acse.Aarq:
    mechanism = draw(mechanisms)
    authenticated = mechanism is not acse.Mechanism.NONE
    return acse.Aarq(
        application_context=draw(contexts),
        mechanism=mechanism,
        calling_ap_title=draw(st.none() | octets),
        calling_authentication_value=draw(st.none() | octets) if authenticated else None,
        user_information=draw(st.none() | octets),
    )


@st.composite
def aares(draw: st.DrawFn) -> acse.Aare:
    mechanism = draw(st.none() | mechanisms.filter(lambda m: m is not acse.Mechanism.NONE))
    return acse.Aare(
        application_context=draw(contexts),
        result=draw(st.sampled_from(list(acse.AssociationResult))),
        diagnostic_source=draw(st.sampled_from([1, 2])),
        diagnostic=draw(u8),
        responding_ap_title=draw(st.none() | octets),
        mechanism=mechanism,
        responding_authentication_value=draw(st.none() | octets) if mechanism else None,
        user_information=draw(st.none() | octets),
    )


def _acse() -> st.SearchStrategy[Any]:
    return st.one_of(
        aarqs(),
        aares(),
        st.builds(acse.ReleaseRequest, st.none() | u8, st.none() | octets),
        st.builds(acse.ReleaseResponse, st.none() | u8, st.none() | octets),
    )


APDU_FAMILIES: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "get-request": _get_requests,
    "get-response": _get_responses,
    "set-request": _set_requests,
    "set-response": _set_responses,
    "action-request": _action_requests,
    "action-response": _action_responses,
    "other-xdlms": _other_xdlms,
    "acse": _acse,
}


def _same_apdu(a: Any, b: Any) -> bool:
    """Equality, except that NaN data compare by their encoding."""
    return bool(a == b or a.encode() == b.encode())


@pytest.mark.parametrize("family", list(APDU_FAMILIES))
def test_apdus_round_trip(family: str) -> None:
    @given(APDU_FAMILIES[family]())
    def check(apdu: Any) -> None:
        raw = apdu.encode()
        decoded = xdlms.decode_apdu(raw)
        assert type(decoded) is type(apdu)
        assert _same_apdu(decoded, apdu)
        assert decoded.encode() == raw
        # The translator also decodes what an APDU carries (the user-information of an
        # AARQ, the content of a complete GBT transfer): random bytes here may not decode.
        nested = isinstance(apdu, xdlms.GeneralBlockTransfer) or getattr(
            apdu, "user_information", None
        )
        try:
            described = describe(raw, "apdu")
        except DlmsError:
            assert nested
        else:
            assert nested or described["apdu"]["hex"] == raw.hex()

    check()


capture_objects = st.builds(interface_classes.CaptureObjectDefinition, u16, obis, int8, u16)
date_time_values = st.binary(min_size=12, max_size=12).map(lambda v: Data(DataType.OCTET_STRING, v))


@given(
    attributes,
    st.builds(xdlms.AccessSelection, u8, small_data),
    st.builds(
        selective_access.RangeDescriptor,
        capture_objects,
        date_time_values,
        date_time_values,
        st.lists(capture_objects, max_size=3).map(tuple),
    ),
)
def test_selective_access_round_trips(
    descriptor: xdlms.AttributeDescriptor,
    selection: xdlms.AccessSelection,
    by_range: selective_access.RangeDescriptor,
) -> None:
    raw = selection.encode()
    assert _same_apdu(xdlms.AccessSelection.decode(raw), selection)
    body = by_range.encode()
    assert selective_access.RangeDescriptor.decode(body) == by_range
    request = xdlms.GetRequestNormal(descriptor, 0xC1, body)
    assert xdlms.GetRequestNormal.decode(request.encode()) == request


# ---------------------------------------------------------------------------- GBT


@given(
    st.binary(min_size=1, max_size=2000),
    st.integers(1, 300),
    st.integers(1, 63),
    st.randoms(use_true_random=False),
)
def test_gbt_reassembles_any_order_of_blocks(apdu: bytes, size: int, window: int, rng: Any) -> None:
    chunks = [apdu[i : i + size] for i in range(0, len(apdu), size)]
    sent = [
        xdlms.GeneralBlockTransfer(
            n == len(chunks), n % window != 0 and n != len(chunks), window, n, 0, chunk
        )
        for n, chunk in enumerate(chunks, start=1)
    ]
    stream = b"".join(block.encode() for block in sent)
    assert [xdlms.GeneralBlockTransfer.decode(b) for b in xdlms.split_blocks(stream)] == sent
    order = sent + rng.sample(sent, k=min(3, len(sent)))  # with some duplicates
    rng.shuffle(order)
    receiver = GbtReceiver(window=window)
    results = [receiver.receive(block) for block in order if not receiver.complete]
    assert results[-1] == apdu
    assert results.count(None) == len(results) - 1


# ---------------------------------------------------------------------------- HDLC


@st.composite
def addresses(draw: st.DrawFn) -> HdlcAddress:
    size = draw(st.sampled_from([1, 2, 4]))
    if size == 1:
        if draw(st.booleans()):
            return HdlcAddress.client(draw(st.integers(0, 0x7F)))
        return HdlcAddress.server(draw(st.integers(0, 0x7F)), size=1)
    limit = 0x7F if size == 2 else 0x3FFF
    upper, lower = draw(st.integers(0, limit)), draw(st.integers(0, limit))
    address = HdlcAddress.server(upper, lower, size=size)
    assert (address.upper, address.lower, len(address.raw)) == (upper, lower, size)
    return address


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    frame_type = draw(st.sampled_from(list(FrameType)))
    carries_info = frame_type in (FrameType.I, FrameType.UI, FrameType.SNRM, FrameType.UA)
    information = draw(st.binary(max_size=400)) if carries_info else b""
    numbered = frame_type in (FrameType.I, FrameType.RR, FrameType.RNR)
    send = draw(st.integers(0, 7)) if frame_type is FrameType.I else None
    receive = draw(st.integers(0, 7)) if numbered else None
    return Frame(
        frame_type=frame_type,
        destination=draw(addresses()),
        source=draw(addresses()),
        poll_final=draw(st.booleans()),
        segmented=draw(st.booleans()),
        send_sequence=send,
        receive_sequence=receive,
        information=information,
        hcs_ok=True if information else None,
        fcs_ok=True,
    )


def _encode(frame: Frame) -> bytes:
    return encode_frame(
        frame.frame_type,
        frame.destination,
        frame.source,
        information=frame.information,
        poll_final=frame.poll_final,
        segmented=frame.segmented,
        send_sequence=frame.send_sequence or 0,
        receive_sequence=frame.receive_sequence or 0,
    )


@given(st.lists(frames(), min_size=1, max_size=4), st.booleans())
def test_hdlc_frames_round_trip_and_stream(sequence: list[Frame], share_flags: bool) -> None:
    encoded = [_encode(frame) for frame in sequence]
    for frame, raw in zip(sequence, encoded, strict=True):
        assert decode_frame(raw) == frame
    # One stream, with or without shared flags between frames, fed in two pieces.
    stream = b"".join(raw[:-1] if share_flags else raw for raw in encoded[:-1]) + encoded[-1]
    reader = FrameReader()
    cut = len(stream) // 2
    reader.feed(stream[:cut])
    received = list(reader)
    reader.feed(stream[cut:])
    received += list(reader)
    assert received == sequence
    assert reader.discarded == 0


@given(
    st.integers(1, 0xFFFF),
    st.integers(1, 0xFFFF),
    st.integers(1, 0xFFFF_FFFF),
    st.integers(1, 0xFFFF_FFFF),
)
def test_hdlc_parameters_round_trip(tx: int, rx: int, wtx: int, wrx: int) -> None:
    parameters = HdlcParameters(tx, rx, wtx, wrx)
    assert HdlcParameters.decode(parameters.encode()) == parameters


@given(st.lists(st.tuples(u16, u16, st.binary(max_size=300)), min_size=1, max_size=4))
def test_wrapper_round_trips(pdus: list[tuple[int, int, bytes]]) -> None:
    expected = [WrapperPdu(*pdu) for pdu in pdus]
    stream = b"".join(pdu.encode() for pdu in expected)
    assert split_wrapper(stream) == expected
    reader = WrapperReader()
    for i in range(0, len(stream), 7):
        reader.feed(stream[i : i + 7])
    reader_pdus = list(reader)
    assert reader_pdus == expected


# ---------------------------------------------------------------------------- garbage


def _reader(data: bytes) -> None:
    reader = FrameReader()
    reader.feed(data)
    list(reader)


def _wrapper_stream(data: bytes) -> None:
    reader = WrapperReader()
    reader.feed(data)
    list(reader)


def _gbt(data: bytes) -> None:
    receiver = GbtReceiver()
    for block in xdlms.split_blocks(data):
        receiver.receive(xdlms.GeneralBlockTransfer.decode(block))


def _describe_all(data: bytes) -> None:
    for kind in ("auto", "hdlc", "wrapper", "apdu", "data", "iec"):
        with contextlib.suppress(DlmsError):
            describe(data, kind)


DECODERS: dict[str, Callable[[bytes], Any]] = {
    "frame": decode_frame,
    "frame-reader": _reader,
    "hdlc-parameters": HdlcParameters.decode,
    "data": decode_data,
    "apdu": xdlms.decode_apdu,
    "get-data-results": xdlms.decode_get_data_results,
    "access-selection": xdlms.AccessSelection.decode,
    "range-descriptor": selective_access.RangeDescriptor.decode,
    "wrapper": split_wrapper,
    "wrapper-stream": _wrapper_stream,
    "gbt": _gbt,
    "date-time": lambda data: CosemDateTime.from_bytes(data).to_datetime(),
    "describe": _describe_all,
}


@st.composite
def valid_encodings(draw: st.DrawFn) -> bytes:
    """Something a decoder accepts, to mutate: an APDU, a Data, a frame or a wrapper PDU."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        family = draw(st.sampled_from(list(APDU_FAMILIES)))
        raw: bytes = draw(APDU_FAMILIES[family]()).encode()
        return raw
    if choice == 1:
        return encode_data(draw(data_values(max_leaves=10)))
    if choice == 2:
        return _encode(draw(frames()))
    return WrapperPdu(1, 16, draw(_get_responses()).encode()).encode()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(valid_encodings()))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["cut", "flip", "insert", "delete", "length"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "cut":
            del data[position:]
        elif action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete" and data:
            del data[position]
        elif action == "length" and data:
            # A length or count byte made to lie: long forms with huge values.
            data[position : position + 1] = draw(
                st.sampled_from([b"\x84\xff\xff\xff\xff", b"\x83\x7f\xff\xff", b"\x7f", b"\x80"])
            )
    return bytes(data)


@settings(suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(), st.binary(max_size=64)))
def test_mutated_input_raises_only_library_errors(data: bytes) -> None:
    """Every decoder on every input (generating the inputs costs more than decoding)."""
    for name, decoder in DECODERS.items():
        try:
            decoder(data)
        except DlmsError:
            pass
        except Exception as err:  # pragma: no cover - the failure report
            pytest.fail(f"{name}({data.hex()}) raised {err!r}")


def test_date_time_with_an_impossible_deviation_is_a_decode_error() -> None:
    stamp = CosemDateTime.from_bytes(bytes.fromhex("07e801010100000000060000"))
    with pytest.raises(DlmsError):
        stamp.to_datetime()
