"""The sans-IO state machines, driven by hand: what they emit must be byte-exact, and
every out-of-place call or frame must be refused explicitly."""

from __future__ import annotations

import pytest

from libdlms.codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
)
from libdlms.codecs.axdr import Data, DataType, encode_data
from libdlms.codecs.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    decode_frame,
    encode_frame,
)
from libdlms.codecs.xdlms import (
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    AttributeDescriptor,
    Conformance,
    DataAccessResult,
    GetResponseNormal,
    GetResponseWithDatablock,
    InitiateResponse,
    decode_action_request,
    decode_get_request,
)
from libdlms.errors import (
    AssociationRejected,
    AuthenticationFailed,
    ConfigurationError,
    DecipheringRefused,
    InvocationCounterError,
    InvocationCounterRefused,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SecurityError,
    ServiceError,
)
from libdlms.obis import Obis
from libdlms.security import md5_response
from libdlms.session.association import (
    Associated,
    Association,
    AssociationSettings,
    AssociationState,
    GetCompleted,
)
from libdlms.session.link import (
    ApduReceived,
    HdlcLink,
    LinkClosed,
    LinkEstablished,
    LinkState,
)

CLIENT = HdlcAddress.client(16)
SERVER = HdlcAddress.server(1, 17)


def _from_server(frame_type: FrameType, **kwargs: object) -> bytes:
    return encode_frame(frame_type, CLIENT, SERVER, **kwargs)  # type: ignore[arg-type]


def _connected_link(max_info: int = 128) -> HdlcLink:
    link = HdlcLink(CLIENT, SERVER)
    link.connect()
    link.data_to_send()
    ua = HdlcParameters(max_info_tx=max_info, max_info_rx=max_info)
    events = link.receive_data(_from_server(FrameType.UA, information=ua.encode()))
    assert events == [LinkEstablished(link.parameters)]
    return link


def test_snrm_is_byte_exact() -> None:
    """The published SNRM from client 16 to server 1/17 with default parameters."""
    link = HdlcLink(CLIENT, SERVER)
    link.connect()
    assert link.data_to_send() == bytes.fromhex("7EA00802232193BD647E")
    assert link.state is LinkState.CONNECTING


def test_ua_parameters_are_obeyed() -> None:
    link = HdlcLink(CLIENT, SERVER, HdlcParameters(max_info_tx=512, max_info_rx=512))
    link.connect()
    snrm = decode_frame(link.data_to_send())
    assert HdlcParameters.decode(snrm.information) == HdlcParameters(512, 512)
    # The meter lowers our 512 to 62 (L+G), answering from its own side.
    answer = HdlcParameters(max_info_tx=62, max_info_rx=62)
    link.receive_data(_from_server(FrameType.UA, information=answer.encode()))
    assert link.parameters.max_info_tx == 62
    link.send_apdu(bytes(100))
    first = decode_frame(link.data_to_send())
    assert first.segmented
    assert len(first.information) == 62
    # The rest waits for the meter's RR acknowledging N(S)=0.
    assert link.data_to_send() == b""
    link.receive_data(_from_server(FrameType.RR, receive_sequence=1))
    second = decode_frame(link.data_to_send())
    assert not second.segmented
    assert second.send_sequence == 1
    assert first.information + second.information == b"\xe6\xe6\x00" + bytes(100)


def test_segmented_response_is_reassembled_with_rr() -> None:
    link = _connected_link()
    link.send_apdu(b"\xc0\x01")
    link.data_to_send()
    part1 = _from_server(
        FrameType.I, information=LLC_RESPONSE + b"\x01\x02", segmented=True, receive_sequence=1
    )
    assert link.receive_data(part1) == []
    rr = decode_frame(link.data_to_send())
    assert rr.frame_type is FrameType.RR
    assert rr.receive_sequence == 1
    assert link.receiving
    part2 = _from_server(FrameType.I, information=b"\x03", send_sequence=1, receive_sequence=1)
    assert link.receive_data(part2) == [ApduReceived(b"\x01\x02\x03")]
    assert not link.receiving


def test_frames_that_are_not_for_us_are_dropped() -> None:
    link = _connected_link()
    link.send_apdu(b"\xc0\x01")
    sent = link.data_to_send()
    # An optical head echoes our own frame back: destination is the server.
    assert link.receive_data(sent) == []
    # Another meter on the bus answering another client.
    other = encode_frame(
        FrameType.I, HdlcAddress.client(1), SERVER, information=LLC_RESPONSE + b"\x01"
    )
    assert link.receive_data(other) == []
    # A frame with a broken FCS.
    good = bytearray(
        _from_server(FrameType.I, information=LLC_RESPONSE + b"\x09", receive_sequence=1)
    )
    good[-3] ^= 0xFF
    assert link.receive_data(bytes(good)) == []
    # Byte by byte, with garbage before it, the real answer still arrives.
    answer = b"\x00\x13" + _from_server(
        FrameType.I, information=LLC_RESPONSE + b"\x09", receive_sequence=1
    )
    events = []
    for i in range(len(answer)):
        events += link.receive_data(answer[i : i + 1])
    assert events == [ApduReceived(b"\x09")]


def test_dm_ends_the_link_and_illegal_calls_raise() -> None:
    link = HdlcLink(CLIENT, SERVER)
    with pytest.raises(LocalProtocolError):
        link.send_apdu(b"\x00")
    with pytest.raises(LocalProtocolError):
        link.disconnect()
    link.connect()
    with pytest.raises(LocalProtocolError):
        link.connect()
    assert link.receive_data(_from_server(FrameType.DM)) == [LinkClosed(by_peer=True)]
    assert link.state is LinkState.DISCONNECTED


def test_sequence_numbers_restart_on_every_snrm() -> None:
    link = _connected_link()
    link.send_apdu(b"\x01")
    assert decode_frame(link.data_to_send()).send_sequence == 0
    link.receive_data(
        _from_server(FrameType.I, information=LLC_RESPONSE + b"\x02", receive_sequence=1)
    )
    link.disconnect()
    link.receive_data(_from_server(FrameType.UA))
    link.connect()
    link.data_to_send()
    link.receive_data(_from_server(FrameType.UA))
    link.send_apdu(b"\x01")
    frame = decode_frame(link.data_to_send())
    assert (frame.send_sequence, frame.receive_sequence) == (0, 0)


def test_frmr_is_a_protocol_error() -> None:
    link = _connected_link()
    with pytest.raises(ProtocolError):
        link.receive_data(_from_server(FrameType.FRMR))


# ---------------------------------------------------------------------------- association


def test_aarq_matches_the_published_vectors() -> None:
    """Our AARQ, with the vectors' conformance and PDU size, is byte-exact."""
    conformance = Conformance(0x007E1F)
    plain = Association(
        AssociationSettings(client_max_receive_pdu_size=1200, conformance=conformance)
    )
    plain.associate()
    assert plain.data_to_send() == [
        bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
    ]
    lls = Association(
        AssociationSettings(
            mechanism=Mechanism.LOW,
            password=b"12345678",
            client_max_receive_pdu_size=1200,
            conformance=conformance,
        )
    )
    lls.associate()
    assert lls.data_to_send() == [
        bytes.fromhex(
            "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
            "BE10040E01000000065F1F0400007E1F04B0"
        )
    ]


def test_settings_never_show_the_password() -> None:
    settings = AssociationSettings(mechanism=Mechanism.LOW, password=b"secret-pw")
    assert "secret-pw" not in repr(settings)
    with pytest.raises(ConfigurationError):
        AssociationSettings(mechanism=Mechanism.LOW)
    with pytest.raises(ConfigurationError, match="not supported"):
        AssociationSettings(mechanism=Mechanism.HIGH)
    with pytest.raises(ConfigurationError, match="EK and AK"):
        AssociationSettings(mechanism=Mechanism.HIGH_GMAC)


def _associated() -> Association:
    association = Association()
    association.associate()
    association.data_to_send()
    aare = bytes.fromhex(
        "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F01F40007"
    )
    (event,) = association.receive_data(aare)
    assert isinstance(event, Associated)
    assert association.server_max_receive_pdu_size == 500
    return association


def test_rejections_are_told_apart() -> None:
    association = Association()
    association.associate()
    with pytest.raises(AssociationRejected, match="application-context-name-not-supported") as err:
        association.receive_data(
            bytes.fromhex(
                "6129A109060760857405080101A203020101A305A103020102BE10040E0800065F1F040000501F01F40007"
            )
        )
    assert not isinstance(err.value, AuthenticationFailed)
    association = Association()
    association.associate()
    wrong_password = Aare(
        ApplicationContext.LOGICAL_NAME, AssociationResult.REJECTED_PERMANENT, 1, 13
    ).encode()
    with pytest.raises(AuthenticationFailed):
        association.receive_data(wrong_password)
    association = Association()
    association.associate()
    with pytest.raises(AssociationRejected, match="dlms-version-too-low"):
        association.receive_data(
            bytes.fromhex("611FA109060760857405080101A203020101A305A103020101BE0604040E010601")
        )


def test_get_with_block_transfer_keeps_the_invoke_id() -> None:
    association = _associated()
    descriptor = AttributeDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 2)
    association.get([descriptor])
    (request_apdu,) = association.data_to_send()
    request = decode_get_request(request_apdu)
    iip = request.invoke_id_and_priority
    whole = encode_data(Data(DataType.OCTET_STRING, bytes(range(200))))
    blocks = [whole[:70], whole[70:140], whole[140:]]
    for number, chunk in enumerate(blocks[:-1], start=1):
        apdu = GetResponseWithDatablock(False, number, chunk, iip).encode()
        assert association.receive_data(apdu) == []
        (follow_apdu,) = association.data_to_send()
        follow = decode_get_request(follow_apdu)
        assert follow.invoke_id_and_priority == iip
        assert follow.block_number == number  # type: ignore[union-attr]
    events = association.receive_data(GetResponseWithDatablock(True, 3, blocks[-1], iip).encode())
    assert events == [GetCompleted((Data(DataType.OCTET_STRING, bytes(range(200))),))]
    assert association.state is AssociationState.ASSOCIATED


def test_an_answer_that_breaks_the_protocol_ends_in_error() -> None:
    """An out-of-order block is the meter's breach: the association is in ERROR, refuses
    everything but abort, and queues nothing more."""
    association = _associated()
    association.get([AttributeDescriptor(1, Obis(0, 0, 96, 1, 0, 255), 2)])
    association.data_to_send()
    with pytest.raises(RemoteProtocolError, match="expected data block 1"):
        association.receive_data(GetResponseWithDatablock(False, 2, b"\x00").encode())
    assert association.state is AssociationState.ERROR
    assert association.data_to_send() == []
    with pytest.raises(LocalProtocolError):
        association.get([AttributeDescriptor(1, Obis(0, 0, 96, 1, 0, 255), 2)])
    with pytest.raises(LocalProtocolError):
        association.receive_data(GetResponseNormal(Data(DataType.NULL_DATA, None)).encode())
    association.abort()
    assert association.state is AssociationState.RELEASED


def test_data_access_errors_and_exception_response() -> None:
    association = _associated()
    association.get([AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255), 2)])
    events = association.receive_data(
        GetResponseNormal(DataAccessResult.READ_WRITE_DENIED).encode()
    )
    assert events == [GetCompleted((DataAccessResult.READ_WRITE_DENIED,))]
    association.get([AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255), 2)])
    with pytest.raises(ServiceError, match="service-not-allowed") as refused:
        association.receive_data(bytes.fromhex("D80102"))
    assert (refused.value.state_error, refused.value.service_error) == (1, 2)
    assert association.state is AssociationState.ASSOCIATED
    with pytest.raises(LocalProtocolError):
        association.associate()


def test_with_list_needs_the_meters_conformance() -> None:
    association = _associated()  # the meter granted 0x00501F: no multiple-references
    descriptors = [AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255), 2)] * 2
    with pytest.raises(LocalProtocolError, match="with-list"):
        association.get(descriptors)
    # A refused command changes nothing.
    assert association.state is AssociationState.ASSOCIATED
    assert association.data_to_send() == []


def test_noise_that_looks_like_a_frame_start_does_not_hold_up_the_real_frame() -> None:
    """``7E A0 FF`` claims a 255-byte frame; the complete, checked frame after it wins
    at once instead of waiting for 255 bytes that will never come."""
    link = _connected_link()
    link.send_apdu(b"\x01")
    link.data_to_send()
    answer = _from_server(FrameType.I, information=LLC_RESPONSE + b"\x42", receive_sequence=1)
    assert link.receive_data(b"\x7e\xa0\xff\x00\x01" + answer) == [ApduReceived(b"\x42")]
    assert link.discarded_bytes == 5


def test_vendor_bytes_before_the_llc_are_tolerated() -> None:
    """Natris RF modules put FF 01 0A before the LLC header; the APDU is still found."""
    link = _connected_link()
    link.send_apdu(b"\x01")
    link.data_to_send()
    answer = _from_server(
        FrameType.I, information=b"\xff\x01\x0a" + LLC_RESPONSE + b"\x42", receive_sequence=1
    )
    assert link.receive_data(answer) == [ApduReceived(b"\x42")]
    link.send_apdu(b"\x01")
    link.data_to_send()
    no_llc = _from_server(FrameType.I, information=bytes(12), send_sequence=1, receive_sequence=2)
    with pytest.raises(ProtocolError, match="missing LLC"):
        link.receive_data(no_llc)


# ---------------------------------------------------------------------------- one style


def test_a_link_the_meter_breaks_is_in_error_and_can_still_say_goodbye() -> None:
    """FRMR: the link raises, stays in ERROR (frames are ignored, data cannot be sent) and
    still sends the DISC that leaves the line clean."""
    link = _connected_link()
    with pytest.raises(RemoteProtocolError, match="FRMR"):
        link.receive_data(_from_server(FrameType.FRMR))
    assert link.state is LinkState.ERROR
    assert link.receive_data(_from_server(FrameType.UA)) == []
    with pytest.raises(LocalProtocolError):
        link.send_apdu(b"\x01")
    link.disconnect()
    assert decode_frame(link.data_to_send()).frame_type is FrameType.DISC
    assert link.receive_data(_from_server(FrameType.UA)) == [LinkClosed(by_peer=False)]
    assert link.state is LinkState.DISCONNECTED


def test_hls_runs_through_the_same_queue_with_an_injected_challenge() -> None:
    """HLS-MD5 with a fixed challenge: the AARQ is the same every time; the AARE queues
    pass 3 (reply_to_HLS_authentication) without an event; the meter's f(CtoS) completes."""
    secret, ctos, stoc = b"Secret12", b"K56iVagY", b"P6wRJ21F"
    settings = AssociationSettings(mechanism=Mechanism.HIGH_MD5, password=secret)
    association = Association(settings, challenge=lambda length: ctos[:length])
    association.associate()
    (aarq,) = association.data_to_send()
    assert Aarq.decode(aarq).calling_authentication_value == ctos
    again = Association(settings, challenge=lambda length: ctos[:length])
    again.associate()
    assert again.data_to_send() == [aarq]
    initiate = InitiateResponse(Conformance(0x00501F), 500).encode()
    aare = Aare(
        ApplicationContext.LOGICAL_NAME,
        AssociationResult.ACCEPTED,
        1,
        AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED,
        mechanism=Mechanism.HIGH_MD5,
        responding_authentication_value=stoc,
        user_information=initiate,
    ).encode()
    assert association.receive_data(aare) == []
    assert association.state is AssociationState.AWAITING_HLS_RESPONSE
    (pass3,) = association.data_to_send()
    request = decode_action_request(pass3)
    assert isinstance(request, ActionRequestNormal)
    assert request.parameters == Data(DataType.OCTET_STRING, md5_response(stoc, secret))
    f_ctos = Data(DataType.OCTET_STRING, md5_response(ctos, secret))
    answer = ActionResponseNormal(ActionResult.SUCCESS, f_ctos).encode()
    (event,) = association.receive_data(answer)
    assert isinstance(event, Associated)
    assert association.state is AssociationState.ASSOCIATED


@pytest.mark.parametrize(
    ("answer", "kind", "state_error", "service_error", "counter"),
    [
        ("D80105", DecipheringRefused, 1, 5, None),
        ("D8010600000457", InvocationCounterRefused, 1, 6, 0x457),
        ("D80203", ServiceError, 2, 3, None),
    ],
)
def test_service_errors_carry_the_standards_codes(
    answer: str,
    kind: type[ServiceError],
    state_error: int,
    service_error: int,
    counter: int | None,
) -> None:
    """The caller tells a refused deciphering and a refused counter by type, with the
    codes on the error; the association stays usable after a refused GET."""
    association = _associated()
    association.get([AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255), 2)])
    association.data_to_send()
    with pytest.raises(kind) as refused:
        association.receive_data(bytes.fromhex(answer))
    assert type(refused.value) is kind
    assert refused.value.state_error == state_error
    assert refused.value.service_error == service_error
    assert refused.value.invocation_counter == counter
    assert isinstance(refused.value, SecurityError) == (kind is not ServiceError)
    assert isinstance(refused.value, InvocationCounterError) == (kind is InvocationCounterRefused)
    assert association.state is AssociationState.ASSOCIATED


# ---------------------------------------------------------------------------- SNRM/UA parameters


def _link_after_ua(information: bytes, proposed: HdlcParameters | None = None) -> HdlcLink:
    link = HdlcLink(CLIENT, SERVER, proposed)
    link.connect()
    link.data_to_send()
    (event,) = link.receive_data(_from_server(FrameType.UA, information=information))
    assert isinstance(event, LinkEstablished)
    return link


def _sent_information_sizes(link: HdlcLink, apdu: bytes) -> list[int]:
    """The information field sizes of the I-frames carrying ``apdu`` (window of one: each
    segment after the first goes out when the meter's RR acknowledges the one before)."""
    link.send_apdu(apdu)
    sizes = []
    while data := link.data_to_send():
        frame = decode_frame(data)
        sizes.append(len(frame.information))
        if not frame.segmented:
            break
        acknowledged = ((frame.send_sequence or 0) + 1) % 8
        link.receive_data(_from_server(FrameType.RR, receive_sequence=acknowledged))
    return sizes


def test_a_ua_whose_group_length_is_wrong_is_read_for_what_it_carries() -> None:
    """Found against an independent implementation: group length 0, the parameters after
    it. They are the meter's limits (64 bytes each way), not "no parameters" (128)."""
    ua = bytes.fromhex("818000050140060140070101080101")
    link = _link_after_ua(ua)
    assert (link.parameters.max_info_tx, link.parameters.max_info_rx) == (64, 64)
    assert max(_sent_information_sizes(link, bytes(150))) <= 64


def test_a_ua_that_does_not_parse_leaves_our_own_proposal() -> None:
    proposed = HdlcParameters(max_info_tx=96, max_info_rx=96)
    link = _link_after_ua(bytes.fromhex("8180070509"), proposed)  # an item longer than 4
    assert (link.parameters.max_info_tx, link.parameters.max_info_rx) == (96, 96)
    assert max(_sent_information_sizes(link, bytes(150))) <= 96


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (HdlcParameters(max_info_tx=512, max_info_rx=512).encode(), 100),  # meter takes more
        (HdlcParameters(max_info_tx=60, max_info_rx=60).encode(), 60),  # meter takes less
        (b"", 100),  # no parameters: the defaults (128), above our 100
    ],
)
def test_we_never_send_more_than_we_proposed_or_the_meter_takes(ua: bytes, expected: int) -> None:
    proposed = HdlcParameters(max_info_tx=100, max_info_rx=100)
    link = _link_after_ua(ua, proposed)
    assert link.parameters.max_info_tx == expected
    sizes = _sent_information_sizes(link, bytes(300))
    assert max(sizes) == expected
    assert sum(sizes) == 300 + len(LLC_REQUEST)
