"""The application association, the meter's side: AARQ judged and answered with an AARE
(no security, LLS, or the first two passes of HLS), the HLS passes 3 and 4, release, and
the ciphering of the xDLMS APDUs exchanged within it (glo- ciphering with the global
keys). The meter's invocation counters outlive the association (``SecurityState``)."""

from __future__ import annotations

from enum import Enum, auto
from typing import TYPE_CHECKING

from libdlms.codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
    ReleaseResponse,
)
from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.hdlc import HdlcAddress
from libdlms.codecs.xdlms import (
    CLIENT_CONFORMANCE,
    CONFIRMED_SERVICE_ERROR_TAG,
    EXCEPTION_RESPONSE_TAG,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
    MethodDescriptor,
    decode_action_request,
)
from libdlms.cosem.interface_classes import ASSOCIATION_LN, InterfaceClass
from libdlms.errors import DecodeError, SecurityError
from libdlms.security import (
    SecurityControl,
    SecurityPolicy,
    cipher_apdu,
    decipher_apdu,
    is_ciphered,
    new_challenge,
)

from . import hls

if TYPE_CHECKING:
    from .session import Faults, SecurityState, ServerSettings

PUBLIC_CLIENT = 16
REPLY_TO_HLS = MethodDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 1)
SERVER_CONFORMANCE = (
    CLIENT_CONFORMANCE
    | Conformance.SELECTIVE_ACCESS
    | Conformance.SET
    | Conformance.ACTION
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
)
CHALLENGE_LENGTH = 16  # StoC
LOWEST_DLMS_VERSION = 6
NO_PDU_SIZE_LIMIT = 0xFFFF  # a client max receive PDU size of 0 means no limit
ACSE_SERVICE_USER = 1  # the AARE's diagnostic source
# A refused InitiateRequest: ConfirmedServiceError initiateError (1), ServiceError
# initiate (6), and the reason: other (0) or dlms-version-too-low (1).
INITIATE_ERROR = 1
INITIATE_ERROR_CLASS = 6
INITIATE_OTHER = 0
DLMS_VERSION_TOO_LOW = 1
# What the meter sends in the clear even in a ciphered association.
NEVER_CIPHERED = frozenset((EXCEPTION_RESPONSE_TAG, CONFIRMED_SERVICE_ERROR_TAG))


class AssociationState(Enum):
    IDLE = auto()  # only AARQ and RLRQ are served
    AWAITING_HLS_REPLY = auto()  # HLS accepted in the AARE; only the client's f(StoC) is served
    ASSOCIATED = auto()


class ServerAssociation:
    def __init__(self, settings: ServerSettings, faults: Faults, security: SecurityState) -> None:
        self.settings = settings
        self.faults = faults
        self.counter = security.counter  # the meter's own, for what it ciphers
        self.guard = security.guard  # the last counter accepted from each client
        self.state = AssociationState.IDLE
        self.client: HdlcAddress | None = None  # the link's client
        self.client_system_title: bytes | None = None
        self.client_max_pdu = NO_PDU_SIZE_LIMIT
        self._challenges = hls.Challenges(b"", b"", b"")

    def connect(self, client: HdlcAddress) -> None:
        """A new link: no association on it yet."""
        self.client = client
        self.state = AssociationState.IDLE

    def end(self) -> None:
        """The link is gone (DISC, a restart, a timeout), and the association with it."""
        self.state = AssociationState.IDLE

    @property
    def public(self) -> bool:
        """The public client (SAP 16) gets an association without security, as on IDIS
        meters, when the simulator secures the others."""
        return self.client is not None and self.client.upper == PUBLIC_CLIENT

    @property
    def ciphered(self) -> bool:
        return self.settings.security_policy != SecurityPolicy.NONE and not self.public

    def release(self) -> bytes:
        """RLRQ: the RLRE, in any state."""
        self.state = AssociationState.IDLE
        return ReleaseResponse().encode()

    def associate(self, aarq: Aarq) -> bytes:
        """The AARE for ``aarq``."""
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
                ACSE_SERVICE_USER,
                diagnostic,
                user_information=user_information,
            ).encode()

        def initiate_error(reason: int) -> bytes:
            error = ConfirmedServiceError(INITIATE_ERROR, INITIATE_ERROR_CLASS, reason)
            return reject(AcseServiceUserDiagnostic.NO_REASON_GIVEN, error.encode())

        self.state = AssociationState.IDLE
        if self.faults.reject_association:
            return Aare(
                context,
                AssociationResult.REJECTED_TRANSIENT,
                ACSE_SERVICE_USER,
                AcseServiceUserDiagnostic.NO_REASON_GIVEN,
            ).encode()
        if aarq.application_context is not context:
            return reject(AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        required = self._required_mechanism()
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
                if not user_information or not is_ciphered(user_information[0]):
                    return reject(AcseServiceUserDiagnostic.NO_REASON_GIVEN)
                user_information = self.unprotect(user_information)
            initiate = InitiateRequest.decode(user_information)
        except (SecurityError, DecodeError):
            return initiate_error(INITIATE_OTHER)
        if initiate.dlms_version < LOWEST_DLMS_VERSION:
            return initiate_error(DLMS_VERSION_TOO_LOW)
        self.client_max_pdu = initiate.client_max_receive_pdu_size or NO_PDU_SIZE_LIMIT
        self.state = AssociationState.ASSOCIATED
        response = InitiateResponse(
            conformance=initiate.conformance & settings.conformance,
            server_max_receive_pdu_size=settings.max_pdu_size,
        )
        diagnostic = AcseServiceUserDiagnostic.NULL
        stoc = None
        if required.is_hls:
            self.state = AssociationState.AWAITING_HLS_REPLY
            stoc = new_challenge(CHALLENGE_LENGTH)
            self._challenges = hls.Challenges(
                ctos=aarq.calling_authentication_value or b"",
                stoc=stoc,
                client_system_title=self.client_system_title or b"",
            )
            diagnostic = AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED
        return Aare(
            context,
            AssociationResult.ACCEPTED,
            ACSE_SERVICE_USER,
            diagnostic,
            responding_ap_title=settings.system_title if self.ciphered or stoc else None,
            mechanism=required if required is not Mechanism.NONE else None,
            responding_authentication_value=stoc,
            user_information=self.protect(response.encode()),
        ).encode()

    def _required_mechanism(self) -> Mechanism:
        settings = self.settings
        required = settings.mechanism
        if required is Mechanism.NONE and settings.password is not None:
            required = Mechanism.LOW
        if self.public and (required.is_hls or settings.security_policy != SecurityPolicy.NONE):
            required = Mechanism.NONE
        return required

    def reply_to_hls(self, apdu: bytes) -> bytes | None:
        """reply_to_HLS_authentication (HLS passes 3 and 4): check the client's f(StoC),
        answer f(CtoS). None when ``apdu`` is not that method's invocation."""
        request = decode_action_request(apdu)
        if not isinstance(request, ActionRequestNormal) or request.descriptor != REPLY_TO_HLS:
            return None
        f_stoc = request.parameters.value if request.parameters else None
        invoke = request.invoke_id_and_priority
        settings, challenges = self.settings, self._challenges
        if not isinstance(f_stoc, bytes) or not hls.verifies(settings, challenges, f_stoc):
            return ActionResponseNormal(ActionResult.OTHER_REASON, None, invoke).encode()
        self.state = AssociationState.ASSOCIATED
        f_ctos = hls.answer(settings, challenges, self.counter)
        return ActionResponseNormal(
            ActionResult.SUCCESS, Data(DataType.OCTET_STRING, f_ctos), invoke
        ).encode()

    def protect(self, apdu: bytes) -> bytes:
        """``apdu`` as it goes out: glo- ciphered in a ciphered association."""
        settings = self.settings
        if not self.ciphered or not apdu or apdu[0] in NEVER_CIPHERED:
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

    def unprotect(self, apdu: bytes) -> bytes:
        """The plain APDU of a ciphered one from the client; ``SecurityError`` when it
        does not decipher or authenticate, or repeats an invocation counter."""
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
