"""The server side of one HDLC connection and its association, sans-IO: bytes in, bytes
out. Built on the library's codecs, so the simulator and the client share framing but
not state machines (a bug in the client's state machine cannot hide itself here).

``ServerSession`` composes the parts, each with its own states: the mode E sign-on
(``mode_e``), the HDLC link (``link``), the association with its security
(``association``, ``hls``) and the GET service (``get_service``). It dispatches the APDUs
the link delivers, and injects the meter's own faults (``Faults``) into what it sends."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from libdlms.codecs.acse import AARQ_TAG, RLRQ_TAG, Aarq, Mechanism
from libdlms.codecs.hdlc import FrameReader, HdlcAddress
from libdlms.codecs.wrapper import WrapperPdu, WrapperReader
from libdlms.codecs.xdlms import (
    ACTION_REQUEST_TAG,
    GET_REQUEST_TAG,
    SET_REQUEST_TAG,
    Conformance,
    ExceptionResponse,
    GetRequestNext,
    ServiceErrorChoice,
    StateError,
    decode_action_request,
    decode_get_request,
    decode_set_request,
)
from libdlms.errors import DecodeError, SecurityError
from libdlms.security import (
    InvocationCounter,
    InvocationCounterGuard,
    SecurityKeys,
    SecurityPolicy,
    is_ciphered,
)

from .association import SERVER_CONFORMANCE, AssociationState, ServerAssociation
from .get_service import GetService
from .link import ApduReceived, Connected, Disconnected, LinkState, ServerLink
from .meter import SimulatedMeter
from .mode_e import ModeESignOn, ModeEState
from .write_service import WriteService

_LOGGER = logging.getLogger(__name__)

CORRUPTING_BIT = 0x10  # flipped in the middle of an answer: its FCS no longer checks


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
    # The mode E identification: "/XXX5\2<identification>", XXX the manufacturer's FLAG id
    # (None: the logical device name's first three letters).
    identification: str = "SIMULATOR"
    manufacturer_id: str | None = None
    # What the meter grants of what the client proposes (some meters leave out selective
    # access, others with-list).
    conformance: Conformance = SERVER_CONFORMANCE


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
        self.mode_e = ModeESignOn(
            required=settings.mode_e,
            baud_character=settings.mode_e_baud_character,
            manufacturer=settings.manufacturer_id or meter.logical_device_name[:3],
            identification=settings.identification,
        )
        self.link = ServerLink(settings, self.faults)
        self.association = ServerAssociation(settings, self.faults, security)
        self.get_service = GetService(meter, settings)
        self.writes = WriteService(meter)
        self.reader = FrameReader()
        self.wrapper_reader = WrapperReader()
        self.wrapper_broken = False
        self._last_heard = 0.0

    @property
    def connected(self) -> bool:
        return self.link.state is LinkState.CONNECTED

    @property
    def associated(self) -> bool:
        """Associated, HLS passes 3 and 4 still to come included."""
        return self.association.state is not AssociationState.IDLE

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
        if self.mode_e.state is ModeEState.SIGN_ON:
            return self.mode_e.receive_data(data)
        self.reader.feed(data)
        out = bytearray()
        faults = self.faults
        for frame in self.reader:
            if not frame.valid or frame.destination != self.link.address:
                continue
            event = self.link.receive_frame(frame)
            if isinstance(event, ApduReceived):
                self.link.send_apdu(self._service(event.apdu))
            elif isinstance(event, Connected):
                self.association.connect(event.client)
            elif isinstance(event, Disconnected):
                self.association.end()
                self.mode_e.reset()
            answer = self.link.data_to_send()
            if answer and faults.drop_frames > 0:
                faults.drop_frames -= 1
                continue
            if answer and faults.corrupt_frames > 0:
                faults.corrupt_frames -= 1
                answer = _corrupted(answer)
            out += answer
        return bytes(out)

    def receive_wrapper(self, data: bytes, *, datagram: bool = False) -> bytes:
        """The wrapper (IEC 62056-47) instead of HDLC: PDUs to this logical device's wPort
        are answered from it to the sender's wPort; the sender's wPort is the client SAP.
        A header that breaks the stream (another version, an impossible length) leaves
        ``wrapper_broken`` set: a meter closes such a TCP connection. Over UDP
        (``datagram``) such a datagram is dropped."""
        if datagram:
            self.wrapper_reader = WrapperReader()
        self.wrapper_reader.feed(data)
        out = bytearray()
        try:
            for pdu in self.wrapper_reader:
                if pdu.destination_wport != self.settings.logical_address:
                    continue
                client = HdlcAddress.client(pdu.source_wport & 0x7F)
                if self.association.client != client:
                    self.association.connect(client)
                answer = self._service(pdu.apdu)
                if self.faults.drop_frames > 0:
                    self.faults.drop_frames -= 1
                    continue
                out += WrapperPdu(pdu.destination_wport, pdu.source_wport, answer).encode()
        except DecodeError as err:
            _LOGGER.debug("wrapper out of step: %s", err)
            if not datagram:
                self.wrapper_broken = True
        return bytes(out)

    def reboot(self) -> None:
        """Forget link and association, as a meter does when it restarts or times out."""
        self.link.reset()
        self.association.end()
        self.mode_e.reset()

    # ------------------------------------------------------------------ application

    def _service(self, apdu: bytes) -> bytes:
        """The answer to one APDU from the client (never empty)."""
        association = self.association
        not_allowed = ExceptionResponse(
            StateError.SERVICE_NOT_ALLOWED, ServiceErrorChoice.SERVICE_NOT_SUPPORTED
        )
        tag = apdu[0] if apdu else 0
        try:
            if tag == AARQ_TAG:
                return association.associate(Aarq.decode(apdu))
            if tag == RLRQ_TAG:
                return association.release()
            if association.state is AssociationState.IDLE:
                return not_allowed.encode()
            ciphered = is_ciphered(tag)
            if association.ciphered != ciphered:
                return not_allowed.encode()
            if ciphered:
                try:
                    apdu = association.unprotect(apdu)
                except SecurityError:
                    return ExceptionResponse(
                        StateError.SERVICE_NOT_ALLOWED, ServiceErrorChoice.DECIPHERING_ERROR
                    ).encode()
                tag = apdu[0]
            if association.state is AssociationState.AWAITING_HLS_REPLY:
                answer = association.reply_to_hls(apdu) if tag == ACTION_REQUEST_TAG else None
                if answer is None:
                    return not_allowed.encode()
                return self._protect(answer)
            if tag == GET_REQUEST_TAG:
                return self._protect(self._get(apdu))
            if tag == SET_REQUEST_TAG:
                allowed = not association.public
                return self._protect(self.writes.set(decode_set_request(apdu), allowed=allowed))
            if tag == ACTION_REQUEST_TAG:
                allowed = not association.public
                request = decode_action_request(apdu)
                return self._protect(self.writes.action(request, allowed=allowed))
        except DecodeError as err:
            _LOGGER.debug("undecodable APDU %s: %s", apdu.hex(), err)
        return ExceptionResponse(
            StateError.SERVICE_UNKNOWN, ServiceErrorChoice.SERVICE_NOT_SUPPORTED
        ).encode()

    def _protect(self, apdu: bytes) -> bytes:
        """``apdu`` as the meter sends it. A step of the session's own, so that a test can
        stand in for it (a meter that replays an old answer)."""
        return self.association.protect(apdu)

    def _get(self, apdu: bytes) -> bytes:
        request = decode_get_request(apdu)
        if isinstance(request, GetRequestNext):
            return self._next_block(request, request.invoke_id_and_priority)
        association = self.association
        return self.get_service.get(
            request,
            pdu_limit=min(association.client_max_pdu, self.settings.max_pdu_size),
            ciphered=association.ciphered,
        )

    def _next_block(self, request: GetRequestNext, invoke: int) -> bytes:
        """The answer to a GET-next: a step of the session's own, so that a test can
        count the blocks."""
        return self.get_service.next_block(request, invoke)


def _corrupted(answer: bytes) -> bytes:
    middle = len(answer) // 2
    return answer[:middle] + bytes((answer[middle] ^ CORRUPTING_BIT,)) + answer[middle + 1 :]
