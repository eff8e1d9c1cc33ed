"""The server side of one HDLC connection and its association, sans-IO: bytes in, bytes
out. Built on the library's codecs, so the simulator and the client share framing but
not state machines (a bug in the client's state machine cannot hide itself here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from custom_components.dlms.libdlms.codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
    ReleaseResponse,
)
from custom_components.dlms.libdlms.codecs.axdr import encode_data
from custom_components.dlms.libdlms.codecs.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    Frame,
    FrameReader,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    encode_frame,
)
from custom_components.dlms.libdlms.codecs.xdlms import (
    CLIENT_CONFORMANCE,
    ConfirmedServiceError,
    Conformance,
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
    decode_get_request,
    encode_get_data_results,
)
from custom_components.dlms.libdlms.errors import DecodeError

from .meter import SimulatedMeter

_LOGGER = logging.getLogger(__name__)

SERVER_CONFORMANCE = CLIENT_CONFORMANCE | Conformance.SELECTIVE_ACCESS


@dataclass
class ServerSettings:
    logical_address: int = 1
    physical_address: int | None = 17
    address_size: int | None = None
    password: bytes | None = None
    max_info_length: int = 128
    max_pdu_size: int = 256
    with_list_cap: int | None = None  # refuse longer GET with-list requests
    mode_e: bool = False
    mode_e_baud_character: str = "5"


@dataclass
class Faults:
    """Faults to inject, shared by all sessions of one simulator."""

    drop_frames: int = 0  # drop this many of the next frames we would send


class ServerSession:
    def __init__(
        self, meter: SimulatedMeter, settings: ServerSettings, faults: Faults | None = None
    ) -> None:
        self.meter = meter
        self.settings = settings
        self.faults = faults or Faults()
        self.signed_on = not settings.mode_e
        self._sign_on_buffer = b""
        self._last_frame = b""
        self.address = HdlcAddress.server(
            settings.logical_address, settings.physical_address, settings.address_size
        )
        self.reader = FrameReader()
        self.connected = False
        self.associated = False
        self.client: HdlcAddress | None = None
        self.max_info_tx = settings.max_info_length
        self.client_max_pdu = 0xFFFF
        self.vs = 0
        self.vr = 0
        self._rx = bytearray()
        self._rx_first = True
        self._tx_segments: list[bytes] = []
        self._blocks: list[bytes] = []
        self._invoke = 0xC1

    # ------------------------------------------------------------------ input

    def receive_data(self, data: bytes) -> bytes:
        if not self.signed_on:
            return self._sign_on(data)
        self.reader.feed(data)
        out = bytearray()
        for frame in self.reader:
            if not frame.valid or frame.destination != self.address:
                continue
            answer = self._handle(frame)
            if answer and self.faults.drop_frames > 0:
                self.faults.drop_frames -= 1
                continue
            out += answer
        return bytes(out)

    def _sign_on(self, data: bytes) -> bytes:
        """IEC 62056-21 mode E at "300 Bd": request -> identification, ACK -> HDLC."""
        self._sign_on_buffer += data
        buffer = self._sign_on_buffer
        if buffer.startswith(b"/?") and buffer.endswith(b"!\r\n"):
            self._sign_on_buffer = b""
            baud = self.settings.mode_e_baud_character
            return f"/DLM{baud}\\2SIMULATOR\r\n".encode("ascii")
        if buffer[:1] == b"\x06" and len(buffer) >= 6:
            self._sign_on_buffer = b""
            # Protocol '2' (HDLC) and mode '2' (binary) switch to HDLC; anything else
            # would be a mode C readout, which this meter does not offer.
            self.signed_on = buffer[1:2] == b"2" and buffer[3:6] == b"2\r\n"
            return b""
        if b"\n" in buffer or len(buffer) > 64:
            self._sign_on_buffer = b""
        return b""

    def _handle(self, frame: Frame) -> bytes:
        kind = frame.frame_type
        if kind is FrameType.SNRM:
            self.client = frame.source
            proposed = HdlcParameters.decode(frame.information)
            # The client's receive limit bounds what we send; ours bounds what it sends.
            self.max_info_tx = min(proposed.max_info_rx, self.settings.max_info_length)
            answer = HdlcParameters(
                max_info_tx=self.max_info_tx,
                max_info_rx=min(proposed.max_info_tx, self.settings.max_info_length),
            )
            self.connected, self.associated = True, False
            self.vs = self.vr = 0
            self._rx.clear()
            self._rx_first = True
            self._tx_segments.clear()
            return self._frame(FrameType.UA, information=_full_parameters(answer))
        if kind is FrameType.DISC:
            was_connected = self.connected
            self.connected = self.associated = False
            self.signed_on = not self.settings.mode_e
            return self._frame(FrameType.UA if was_connected else FrameType.DM, source=frame.source)
        if not self.connected or frame.source != self.client:
            return self._frame(FrameType.DM, source=frame.source)
        if kind is FrameType.RR:
            if self._tx_segments and frame.receive_sequence == self.vs:
                return self._next_segment()
            return b""
        if kind is FrameType.I:
            return self._information(frame)
        return b""

    def _information(self, frame: Frame) -> bytes:
        if frame.send_sequence != self.vr:
            # The client sent it again: our answer was lost. Send the answer again.
            return self._last_frame
        self.vr = (self.vr + 1) % 8
        info = frame.information
        if self._rx_first:
            if info[:3] != LLC_REQUEST:
                return b""
            info = info[3:]
        self._rx += info
        if frame.segmented:
            self._rx_first = False
            return self._frame(FrameType.RR)
        apdu = bytes(self._rx)
        self._rx.clear()
        self._rx_first = True
        response = self._service(apdu)
        return self._send_apdu(response) if response else b""

    # ------------------------------------------------------------------ application

    def _service(self, apdu: bytes) -> bytes:
        tag = apdu[0] if apdu else 0
        try:
            if tag == 0x60:
                return self._associate(Aarq.decode(apdu))
            if tag == 0x62:
                self.associated = False
                return ReleaseResponse().encode()
            if tag == 0xC0:
                if not self.associated:
                    return ExceptionResponse(1, 2).encode()
                return self._get(apdu)
        except DecodeError as err:
            _LOGGER.debug("undecodable APDU %s: %s", apdu.hex(), err)
        return ExceptionResponse(2, 2).encode()

    def _associate(self, aarq: Aarq) -> bytes:
        def reject(diagnostic: int, user_information: bytes | None = None) -> bytes:
            return Aare(
                ApplicationContext.LOGICAL_NAME,
                AssociationResult.REJECTED_PERMANENT,
                1,
                diagnostic,
                user_information=user_information,
            ).encode()

        if aarq.application_context is not ApplicationContext.LOGICAL_NAME:
            return reject(AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        password = self.settings.password
        if password is not None:
            if aarq.mechanism is not Mechanism.LOW:
                return reject(AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED)
            if aarq.calling_authentication_value != password:
                return reject(AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE)
        elif aarq.mechanism not in (Mechanism.NONE, Mechanism.LOW):
            return reject(AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED)
        try:
            initiate = InitiateRequest.decode(aarq.user_information or b"")
        except DecodeError:
            return reject(
                AcseServiceUserDiagnostic.NO_REASON_GIVEN, ConfirmedServiceError(1, 6, 0).encode()
            )
        if initiate.dlms_version < 6:
            return reject(
                AcseServiceUserDiagnostic.NO_REASON_GIVEN, ConfirmedServiceError(1, 6, 1).encode()
            )
        self.client_max_pdu = initiate.client_max_receive_pdu_size or 0xFFFF
        self.associated = True
        response = InitiateResponse(
            conformance=initiate.conformance & SERVER_CONFORMANCE,
            server_max_receive_pdu_size=self.settings.max_pdu_size,
        )
        return Aare(
            ApplicationContext.LOGICAL_NAME,
            AssociationResult.ACCEPTED,
            1,
            AcseServiceUserDiagnostic.NULL,
            user_information=response.encode(),
        ).encode()

    def _get(self, apdu: bytes) -> bytes:
        request = decode_get_request(apdu)
        invoke = request.invoke_id_and_priority
        if isinstance(request, GetRequestNext):
            return self._next_block(request, invoke)
        results: tuple[GetDataResult, ...]
        if isinstance(request, GetRequestNormal):
            d = request.descriptor
            result = self.meter.get(d.class_id, d.instance, d.attribute)
            whole = GetResponseNormal(result, invoke).encode()
            raw = encode_data(result) if not isinstance(result, DataAccessResult | int) else b""
        else:
            assert isinstance(request, GetRequestWithList)
            cap = self.settings.with_list_cap
            if cap is not None and len(request.descriptors) > cap:
                return ExceptionResponse(2, 3).encode()  # service-unknown, other-reason
            results = tuple(
                self.meter.get(d.class_id, d.instance, d.attribute) for d in request.descriptors
            )
            whole = GetResponseWithList(results, invoke).encode()
            raw = encode_get_data_results(results)
        if len(whole) <= self._pdu_limit:
            return whole
        # Too long for one APDU: block transfer, raw data cut at arbitrary boundaries.
        size = self._pdu_limit - 16
        self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._invoke = invoke
        return self._block(1)

    def _next_block(self, request: GetRequestNext, invoke: int) -> bytes:
        number = request.block_number + 1
        if not self._blocks or number > len(self._blocks):
            return GetResponseWithDatablock(
                True, number, DataAccessResult.NO_LONG_GET_IN_PROGRESS, invoke
            ).encode()
        return self._block(number)

    def _block(self, number: int) -> bytes:
        last = number == len(self._blocks)
        response = GetResponseWithDatablock(last, number, self._blocks[number - 1], self._invoke)
        if last:
            self._blocks = []
        return response.encode()

    @property
    def _pdu_limit(self) -> int:
        return min(self.client_max_pdu, self.settings.max_pdu_size)

    # ------------------------------------------------------------------ output

    def _send_apdu(self, apdu: bytes) -> bytes:
        payload = LLC_RESPONSE + apdu
        size = self.max_info_tx
        self._tx_segments = [payload[i : i + size] for i in range(0, len(payload), size)]
        return self._next_segment()

    def _next_segment(self) -> bytes:
        segment = self._tx_segments.pop(0)
        frame = self._frame(
            FrameType.I, information=segment, segmented=bool(self._tx_segments), ns=self.vs
        )
        self.vs = (self.vs + 1) % 8
        self._last_frame = frame
        return frame

    def _frame(
        self,
        frame_type: FrameType,
        *,
        information: bytes = b"",
        segmented: bool = False,
        ns: int = 0,
        source: HdlcAddress | None = None,
    ) -> bytes:
        destination = source or self.client
        assert destination is not None
        return encode_frame(
            frame_type,
            destination,
            self.address,
            information=information,
            segmented=segmented,
            send_sequence=ns,
            receive_sequence=self.vr,
        )


def _full_parameters(parameters: HdlcParameters) -> bytes:
    """A UA lists every parameter, defaults included, as real meters do."""
    items = b""
    for ident, value, size in (
        (0x05, parameters.max_info_tx, 1 if parameters.max_info_tx <= 0xFF else 2),
        (0x06, parameters.max_info_rx, 1 if parameters.max_info_rx <= 0xFF else 2),
        (0x07, parameters.window_tx, 4),
        (0x08, parameters.window_rx, 4),
    ):
        items += bytes((ident, size)) + value.to_bytes(size, "big")
    return bytes((0x81, 0x80, len(items))) + items
