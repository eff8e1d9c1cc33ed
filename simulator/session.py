"""The server side of one HDLC connection and its association, sans-IO: bytes in, bytes
out. Built on the library's codecs, so the simulator and the client share framing but
not state machines (a bug in the client's state machine cannot hide itself here)."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from libdlms.codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
    ReleaseResponse,
)
from libdlms.codecs.axdr import Data, DataType, encode_data
from libdlms.codecs.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    Frame,
    FrameReader,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    encode_frame,
)
from libdlms.codecs.xdlms import (
    CLIENT_CONFORMANCE,
    AccessSelection,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    AttributeDescriptor,
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
    MethodDescriptor,
    decode_action_request,
    decode_get_request,
    encode_get_data_results,
)
from libdlms.cosem.interface_classes import ASSOCIATION_LN, InterfaceClass
from libdlms.errors import DecodeError, SecurityError
from libdlms.security import (
    InvocationCounter,
    InvocationCounterGuard,
    SecurityControl,
    SecurityKeys,
    SecurityPolicy,
    cipher_apdu,
    decipher_apdu,
    ecdsa,
    gmac_response,
    is_ciphered,
    md5_response,
    new_challenge,
    sha1_response,
    sha256_response,
    verify_gmac_response,
)

from .meter import SimulatedMeter

_LOGGER = logging.getLogger(__name__)

PUBLIC_CLIENT = 16
REPLY_TO_HLS = MethodDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 1)
SERVER_CONFORMANCE = CLIENT_CONFORMANCE | Conformance.SELECTIVE_ACCESS


@dataclass
class ServerSettings:
    logical_address: int = 1
    physical_address: int | None = 17
    address_size: int | None = None
    password: bytes | None = None
    max_info_length: int = 128
    max_pdu_size: int = 256
    window: int = 1
    inactivity_timeout: float | None = None  # seconds of silence after which the link drops
    server_signing_key: ec.EllipticCurvePrivateKey | None = None  # HLS-ECDSA
    client_public_key: ec.EllipticCurvePublicKey | None = None
    with_list_cap: int | None = None  # refuse longer GET with-list requests
    mechanism: Mechanism = Mechanism.NONE  # required; with only a password: LLS
    security_policy: SecurityPolicy = SecurityPolicy.NONE
    security_suite: int = 0
    keys: SecurityKeys | None = None
    system_title: bytes = b"DLMSIM01"
    mode_e: bool = False
    mode_e_baud_character: str = "5"


@dataclass
class Faults:
    """Faults to inject, shared by all sessions of one simulator."""

    drop_frames: int = 0  # drop this many of the next frames we would send
    corrupt_frames: int = 0  # flip a bit in this many of the next frames (bad FCS)
    echo: bool = False  # send back what was received, as an optical head does
    garbage: bytes = b""  # line noise sent before every answer
    delay: float = 0.0  # seconds of meter turnaround before each answer
    refuse: bool = False  # answer SNRM with DM (the meter will not connect)
    reject_association: bool = False  # answer every AARQ with a rejected AARE (meter busy)


@dataclass
class SecurityState:
    """The meter's invocation counters outlive associations and connections, as a real
    meter's do: its own (sending) counter, and the last one accepted from each client."""

    counter: InvocationCounter = field(default_factory=InvocationCounter)
    guard: InvocationCounterGuard = field(default_factory=InvocationCounterGuard)

    def last_client_counter(self) -> int:
        return max(self.guard.snapshot().values(), default=0)


class ServerSession:
    def __init__(
        self,
        meter: SimulatedMeter,
        settings: ServerSettings,
        faults: Faults | None = None,
        security: SecurityState | None = None,
    ) -> None:
        self.meter = meter
        self.settings = settings
        self.faults = faults or Faults()
        security = security or SecurityState()
        self.counter = security.counter
        self.guard = security.guard
        self.signed_on = not settings.mode_e
        self._sign_on_buffer = b""
        self._last_frame = b""
        self.hls_pending = False
        self._last_heard = 0.0
        self.client_system_title: bytes | None = None
        self._ctos = b""
        self._stoc = b""
        self.address = HdlcAddress.server(
            settings.logical_address, settings.physical_address, settings.address_size
        )
        self.reader = FrameReader()
        self.connected = False
        self.associated = False
        self.client: HdlcAddress | None = None
        self.max_info_tx = settings.max_info_length
        self.window_tx = 1
        self.client_max_pdu = 0xFFFF
        self.vs = 0
        self.vr = 0
        self._rx = bytearray()
        self._rx_first = True
        self._tx_segments: list[bytes] = []
        self._window: list[tuple[int, bytes]] = []  # the I-frames sent last, with N(S)
        self._blocks: list[bytes] = []
        self._invoke = 0xC1

    # ------------------------------------------------------------------ input

    def receive_data(self, data: bytes, now: float | None = None) -> bytes:
        """Bytes from the client in, bytes to send back out. ``now`` (monotonic seconds)
        drives the inactivity timeout: after that much silence the link is gone, as on a
        real meter, and the client's next I-frame is answered with DM."""
        if now is not None:
            timeout = self.settings.inactivity_timeout
            if timeout is not None and self.connected and now - self._last_heard > timeout:
                self.reboot()
            self._last_heard = now
        if not self.signed_on:
            return self._sign_on(data)
        self.reader.feed(data)
        out = bytearray()
        faults = self.faults
        for frame in self.reader:
            if not frame.valid or frame.destination != self.address:
                continue
            answer = self._handle(frame)
            if answer and faults.drop_frames > 0:
                faults.drop_frames -= 1
                continue
            if answer and faults.corrupt_frames > 0:
                faults.corrupt_frames -= 1
                answer = (
                    answer[: len(answer) // 2]
                    + bytes((answer[len(answer) // 2] ^ 0x10,))
                    + answer[len(answer) // 2 + 1 :]
                )
            out += answer
        return bytes(out)

    def reboot(self) -> None:
        """Forget link and association, as a meter does when it restarts or times out."""
        self.connected = self.associated = self.hls_pending = False
        self.signed_on = not self.settings.mode_e
        self._tx_segments.clear()
        self._rx.clear()
        self._rx_first = True

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
            if self.faults.refuse:
                return self._frame(FrameType.DM, source=frame.source)
            self.client = frame.source
            proposed = HdlcParameters.decode(frame.information)
            # The client's receive limit bounds what we send; ours bounds what it sends.
            self.max_info_tx = min(proposed.max_info_rx, self.settings.max_info_length)
            self.window_tx = min(proposed.window_rx, self.settings.window)
            answer = HdlcParameters(
                max_info_tx=self.max_info_tx,
                max_info_rx=min(proposed.max_info_tx, self.settings.max_info_length),
                window_tx=self.window_tx,
                window_rx=min(proposed.window_tx, self.settings.window),
            )
            self.connected, self.associated = True, False
            self.vs = self.vr = 0
            self._rx.clear()
            self._rx_first = True
            self._tx_segments.clear()
            self._window.clear()
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
            # N(R) inside the window we sent last: the client lost or discarded frames
            # from there on, so they go again (go-back-N, IEC 62056-46).
            for position, (ns, _) in enumerate(self._window):
                if ns == frame.receive_sequence:
                    return b"".join(sent for _, sent in self._window[position:])
            return b""
        if kind is FrameType.I:
            return self._information(frame)
        return b""

    def _information(self, frame: Frame) -> bytes:
        if frame.send_sequence != self.vr:
            # The client sent it again: our answer was lost. Send the answer again (an
            # I-frame window, or the RR that acknowledged a segment of the request).
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
            if not frame.poll_final:
                return b""
            self._last_frame = self._frame(FrameType.RR)
            return self._last_frame
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
                self.hls_pending = False
                return ReleaseResponse().encode()
            if not self.associated:
                return ExceptionResponse(1, 2).encode()  # service-not-allowed
            ciphered = is_ciphered(tag)
            if self.ciphered != ciphered:
                return ExceptionResponse(1, 2).encode()
            if ciphered:
                try:
                    apdu = self._unprotect(apdu)
                except SecurityError:
                    return ExceptionResponse(1, 5).encode()  # deciphering-error
                tag = apdu[0]
            if self.hls_pending:
                answer = self._reply_to_hls(apdu) if tag == 0xC3 else None
                if answer is None:
                    return ExceptionResponse(1, 2).encode()
                return self._protect(answer)
            if tag == 0xC0:
                return self._protect(self._get(apdu))
        except DecodeError as err:
            _LOGGER.debug("undecodable APDU %s: %s", apdu.hex(), err)
        return ExceptionResponse(2, 2).encode()

    # ------------------------------------------------------------------ association

    @property
    def public(self) -> bool:
        """The public client (SAP 16) gets an association without security, as on IDIS
        meters, when the simulator secures the others."""
        return self.client is not None and self.client.upper == PUBLIC_CLIENT

    @property
    def ciphered(self) -> bool:
        return self.settings.security_policy != SecurityPolicy.NONE and not self.public

    def _associate(self, aarq: Aarq) -> bytes:
        settings = self.settings
        context = (
            ApplicationContext.LOGICAL_NAME_WITH_CIPHERING
            if self.ciphered
            else ApplicationContext.LOGICAL_NAME
        )

        def reject(diagnostic: int, user_information: bytes | None = None) -> bytes:
            return Aare(
                context,
                AssociationResult.REJECTED_PERMANENT,
                1,
                diagnostic,
                user_information=user_information,
            ).encode()

        self.associated = self.hls_pending = False
        if self.faults.reject_association:
            return Aare(
                context,
                AssociationResult.REJECTED_TRANSIENT,
                1,
                AcseServiceUserDiagnostic.NO_REASON_GIVEN,
            ).encode()
        if aarq.application_context is not context:
            return reject(AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        required = settings.mechanism
        if required is Mechanism.NONE and settings.password is not None:
            required = Mechanism.LOW
        if self.public and (
            required.is_hls or self.settings.security_policy != SecurityPolicy.NONE
        ):
            required = Mechanism.NONE
        if required is not Mechanism.NONE and aarq.mechanism is not required:
            return reject(AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED)
        if required is Mechanism.NONE and aarq.mechanism not in (Mechanism.NONE, Mechanism.LOW):
            return reject(AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED)
        if required is Mechanism.LOW and aarq.calling_authentication_value != settings.password:
            return reject(AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE)
        self.client_system_title = aarq.calling_ap_title
        user_information = aarq.user_information or b""
        try:
            if self.ciphered:
                if not is_ciphered(user_information[:1][0] if user_information else 0):
                    return reject(AcseServiceUserDiagnostic.NO_REASON_GIVEN)
                user_information = self._unprotect(user_information)
            initiate = InitiateRequest.decode(user_information)
        except SecurityError:
            return reject(
                AcseServiceUserDiagnostic.NO_REASON_GIVEN, ConfirmedServiceError(1, 6, 0).encode()
            )
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
            server_max_receive_pdu_size=settings.max_pdu_size,
        )
        diagnostic = AcseServiceUserDiagnostic.NULL
        stoc = None
        if required.is_hls:
            self.hls_pending = True
            self._ctos = aarq.calling_authentication_value or b""
            self._stoc = stoc = new_challenge(16)
            diagnostic = AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED
        return Aare(
            context,
            AssociationResult.ACCEPTED,
            1,
            diagnostic,
            responding_ap_title=settings.system_title if self.ciphered or stoc else None,
            mechanism=required if required is not Mechanism.NONE else None,
            responding_authentication_value=stoc,
            user_information=self._protect(response.encode()),
        ).encode()

    def _reply_to_hls(self, apdu: bytes) -> bytes | None:
        """reply_to_HLS_authentication: check the client's f(StoC), answer f(CtoS)."""
        request = decode_action_request(apdu)
        if not isinstance(request, ActionRequestNormal) or request.descriptor != REPLY_TO_HLS:
            return None
        f_stoc = request.parameters.value if request.parameters else None
        invoke = request.invoke_id_and_priority
        if not isinstance(f_stoc, bytes) or not self._hls_verifies(f_stoc):
            return ActionResponseNormal(ActionResult.OTHER_REASON, None, invoke).encode()
        self.hls_pending = False
        return ActionResponseNormal(
            ActionResult.SUCCESS, Data(DataType.OCTET_STRING, self._hls_answer()), invoke
        ).encode()

    def _hls_verifies(self, f_stoc: bytes) -> bool:
        settings = self.settings
        secret = settings.password or b""
        client = self.client_system_title or b""
        match settings.mechanism:
            case Mechanism.HIGH_MD5:
                expected = md5_response(self._stoc, secret)
            case Mechanism.HIGH_SHA1:
                expected = sha1_response(self._stoc, secret)
            case Mechanism.HIGH_SHA256:
                expected = sha256_response(
                    secret, client, settings.system_title, self._stoc, self._ctos
                )
            case Mechanism.HIGH_GMAC:
                assert settings.keys is not None
                try:
                    verify_gmac_response(
                        f_stoc, self._stoc, keys=settings.keys, system_title=client
                    )
                except SecurityError:
                    return False
                return True
            case Mechanism.HIGH_ECDSA:
                assert settings.client_public_key is not None
                signed = client + settings.system_title + self._stoc + self._ctos
                try:
                    ecdsa.verify(
                        settings.client_public_key,
                        signed,
                        f_stoc,
                        suite=settings.security_suite,
                    )
                except SecurityError:
                    return False
                return True
            case _:
                return False
        return hmac.compare_digest(expected, f_stoc)

    def _hls_answer(self) -> bytes:
        settings = self.settings
        secret = settings.password or b""
        client = self.client_system_title or b""
        match settings.mechanism:
            case Mechanism.HIGH_MD5:
                return md5_response(self._ctos, secret)
            case Mechanism.HIGH_SHA1:
                return sha1_response(self._ctos, secret)
            case Mechanism.HIGH_SHA256:
                return sha256_response(
                    secret, settings.system_title, client, self._ctos, self._stoc
                )
            case Mechanism.HIGH_ECDSA:
                assert settings.server_signing_key is not None
                signed = settings.system_title + client + self._ctos + self._stoc
                return ecdsa.sign(
                    settings.server_signing_key, signed, suite=settings.security_suite
                )
            case _:
                assert settings.keys is not None
                return gmac_response(
                    self._ctos,
                    keys=settings.keys,
                    system_title=settings.system_title,
                    invocation_counter=self.counter.next(),
                    suite=settings.security_suite,
                )

    # ------------------------------------------------------------------ ciphering

    def _protect(self, apdu: bytes) -> bytes:
        settings = self.settings
        if not self.ciphered or not apdu or apdu[0] in (0xD8, 0x0E):
            return apdu
        assert settings.keys is not None
        return cipher_apdu(
            apdu,
            kind="glo",
            control=SecurityControl.for_policy(
                settings.security_policy, suite=settings.security_suite
            ),
            system_title=settings.system_title,
            invocation_counter=self.counter.next(),
            keys=settings.keys,
        )

    def _unprotect(self, apdu: bytes) -> bytes:
        settings = self.settings
        if settings.keys is None or self.client_system_title is None:
            raise SecurityError("no keys or no client system title")
        control = SecurityControl.for_policy(
            settings.security_policy, suite=settings.security_suite
        )
        return decipher_apdu(
            apdu,
            keys=settings.keys,
            system_title=self.client_system_title,
            require_authentication=control.authentication,
            counter_guard=self.guard,
        ).plaintext

    def _get(self, apdu: bytes) -> bytes:
        request = decode_get_request(apdu)
        invoke = request.invoke_id_and_priority
        if isinstance(request, GetRequestNext):
            return self._next_block(request, invoke)
        results: tuple[GetDataResult, ...]
        if isinstance(request, GetRequestNormal):
            d = request.descriptor
            result = self._read(d, request.access_selection)
            whole = GetResponseNormal(result, invoke).encode()
            raw = encode_data(result) if not isinstance(result, DataAccessResult | int) else b""
        else:
            assert isinstance(request, GetRequestWithList)
            cap = self.settings.with_list_cap
            if cap is not None and len(request.descriptors) > cap:
                return ExceptionResponse(2, 3).encode()  # service-unknown, other-reason
            selections = request.access_selections or (None,) * len(request.descriptors)
            results = tuple(
                self._read(d, s) for d, s in zip(request.descriptors, selections, strict=True)
            )
            whole = GetResponseWithList(results, invoke).encode()
            raw = encode_get_data_results(results)
        if len(whole) <= self._pdu_limit:
            return whole
        # Too long for one APDU: block transfer, raw data cut at arbitrary boundaries.
        size = self._pdu_limit - (48 if self.ciphered else 16)
        self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._invoke = invoke
        return self._block(1)

    def _read(self, d: AttributeDescriptor, access_selection: bytes | None) -> GetDataResult:
        """One attribute, with selective access (selector 1 by range, 2 by entry) when
        the request carries it."""
        selection = None
        if access_selection is not None:
            try:
                selection = AccessSelection.decode(access_selection)
            except DecodeError:
                return DataAccessResult.TYPE_UNMATCHED
        return self.meter.get(d.class_id, d.instance, d.attribute, selection)

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
        """The next window of segments, the poll/final bit on its last frame."""
        self._window = []
        for position in range(self.window_tx):
            if not self._tx_segments:
                break
            segment = self._tx_segments.pop(0)
            frame = self._frame(
                FrameType.I,
                information=segment,
                segmented=bool(self._tx_segments),
                ns=self.vs,
                poll_final=position == self.window_tx - 1 or not self._tx_segments,
            )
            self._window.append((self.vs, frame))
            self.vs = (self.vs + 1) % 8
        self._last_frame = frames = b"".join(sent for _, sent in self._window)
        return frames

    def _frame(
        self,
        frame_type: FrameType,
        *,
        information: bytes = b"",
        segmented: bool = False,
        ns: int = 0,
        source: HdlcAddress | None = None,
        poll_final: bool = True,
    ) -> bytes:
        destination = source or self.client
        assert destination is not None
        return encode_frame(
            frame_type,
            destination,
            self.address,
            information=information,
            poll_final=poll_final,
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
