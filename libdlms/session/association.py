"""The client side of an application association (IEC 62056-5-3), sans-IO.

It builds the AARQ, judges the AARE, runs GET requests (normal, with-list and the
block transfer that follows either) and the release. The same shape as the HDLC link:
commands (``associate``, ``get``, ``release``) queue APDUs, ``data_to_send`` hands them
out, ``receive_data`` takes one APDU from the meter and returns the events it completed.
An APDU the association needs sent to go on by itself (HLS pass 3, the next block of a
long answer) is queued the same way and returns no event. The link underneath, the clock
and the randomness (the HLS challenge, injected) are the caller's business.

Every state is explicit. A failure the meter reports about one request (a service error,
a data-access-result) leaves the association usable; an answer that breaks the protocol
or does not decipher leaves it in ``ERROR``, where only ``abort`` is allowed. A command
the state does not allow raises ``LocalProtocolError`` and changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec

from ..codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
    ReleaseRequest,
    ReleaseResponse,
)
from ..codecs.axdr import Data, DataType, decode_data
from ..codecs.xdlms import (
    AARE_TAG,
    ACTION_RESPONSE_TAG,
    CLIENT_CONFORMANCE,
    CONFIRMED_SERVICE_ERROR_TAG,
    DEFAULT_INVOKE_ID_AND_PRIORITY,
    EXCEPTION_RESPONSE_TAG,
    GET_RESPONSE_TAG,
    INITIATE_RESPONSE_TAG,
    RLRE_TAG,
    SET_RESPONSE_TAG,
    ActionRequestNormal,
    ActionResponse,
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
    SetResponse,
    data_access_result_name,
    decode_action_response,
    decode_get_data_results,
    decode_get_response,
    decode_set_response,
)
from ..cosem.interface_classes import ASSOCIATION_LN, InterfaceClass
from ..errors import (
    AssociationRejected,
    AuthenticationFailed,
    ConfigurationError,
    DataAccessError,
    DecodeError,
    DlmsError,
    LocalProtocolError,
    RemoteProtocolError,
    ServiceError,
)
from ..security import (
    InvocationCounter,
    InvocationCounterGuard,
    SecurityControl,
    SecurityKeys,
    SecurityPolicy,
    cipher_apdu,
    decipher_apdu,
    is_ciphered,
)
from ..security.hls import (
    HlsParameters,
    client_response,
    new_challenge,
    verify_server_response,
)
from ..security.suite import check_system_title
from .writes import ActionCompleted, ActionExchange, SetCompleted, SetExchange


class AssociationState(Enum):
    IDLE = auto()
    AWAITING_AARE = auto()
    AWAITING_HLS_RESPONSE = auto()  # f(StoC) sent, waiting for the meter's f(CtoS)
    ASSOCIATED = auto()
    AWAITING_GET_RESPONSE = auto()
    AWAITING_SET_RESPONSE = auto()
    AWAITING_ACTION_RESPONSE = auto()
    AWAITING_RLRE = auto()
    RELEASED = auto()
    ERROR = auto()  # the meter broke the protocol or a security check failed: abort


# What general-glo ciphering adds to an APDU: tag, length, security header (5) and tag (12).
CIPHERING_OVERHEAD = 24

# reply_to_HLS_authentication: method 1 of the current Association LN.
REPLY_TO_HLS = MethodDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 1)


@dataclass(frozen=True, slots=True, repr=False)
class AssociationSettings:
    """How to associate. ``password`` is the LLS password or the HLS secret (mechanisms
    3, 4, 6). ``security_policy`` other than "none" ciphers every xDLMS APDU with the
    ``keys`` of ``security_suite`` (the application context is then "with ciphering");
    ``client_system_title`` is ours, sent as calling-AP-title."""

    mechanism: Mechanism = Mechanism.NONE
    password: bytes | None = None
    client_max_receive_pdu_size: int = 0xFFFF
    conformance: Conformance = CLIENT_CONFORMANCE
    security_policy: SecurityPolicy = SecurityPolicy.NONE
    security_suite: int = 0
    keys: SecurityKeys | None = None
    client_system_title: bytes | None = None
    challenge_length: int = 16
    client_signing_key: ec.EllipticCurvePrivateKey | None = None
    server_public_key: ec.EllipticCurvePublicKey | None = None

    def __post_init__(self) -> None:
        # A policy's name is taken too (as the command line and config entries store it).
        object.__setattr__(self, "security_policy", SecurityPolicy.from_name(self.security_policy))
        if self.mechanism is Mechanism.HIGH:
            raise ConfigurationError(
                "manufacturer-specific HLS (mechanism 2) is not supported: ask the meter's "
                "vendor, or use mechanism 5 (GMAC)"
            )
        if self.mechanism.needs_secret and not self.password:
            what = "a password" if self.mechanism is Mechanism.LOW else "the HLS secret"
            raise ConfigurationError(f"{self.mechanism.cli_name} needs {what}")
        if self.ciphered or self.mechanism in (Mechanism.HIGH_GMAC, Mechanism.HIGH_SHA256):
            if self.keys is None and self.mechanism is not Mechanism.HIGH_SHA256:
                raise ConfigurationError("ciphering and HLS-GMAC need the EK and AK")
            if self.client_system_title is None:
                raise ConfigurationError("ciphering and HLS need the client system title")
            check_system_title(self.client_system_title, what="client system title")
        if self.keys is not None and (self.ciphered or self.mechanism is Mechanism.HIGH_GMAC):
            self.keys.validate(self.security_suite)
        if self.ciphered:
            SecurityControl.for_policy(self.security_policy, suite=self.security_suite)

    @property
    def ciphered(self) -> bool:
        return self.security_policy is not SecurityPolicy.NONE

    def __repr__(self) -> str:  # never show the password or keys
        return (
            f"AssociationSettings(mechanism={self.mechanism.name}, "
            f"security={self.security_policy.value}, suite={self.security_suite})"
        )


@dataclass(frozen=True, slots=True)
class Associated:
    initiate_response: InitiateResponse


@dataclass(frozen=True, slots=True)
class GetCompleted:
    """One result per requested attribute, in request order."""

    results: tuple[GetDataResult, ...]


@dataclass(frozen=True, slots=True)
class Released:
    pass


AssociationEvent: TypeAlias = Associated | GetCompleted | SetCompleted | ActionCompleted | Released


class Association:
    """One association. ``counter`` is our invocation counter and ``guard`` remembers the
    meter's: both belong to the caller, which keeps them across associations (and across
    restarts: persist ``counter.value``), since a counter value must never be used twice
    with the same key."""

    def __init__(
        self,
        settings: AssociationSettings | None = None,
        *,
        counter: InvocationCounter | None = None,
        guard: InvocationCounterGuard | None = None,
        challenge: Callable[[int], bytes] = new_challenge,
    ) -> None:
        """``challenge(length)`` makes the HLS challenge CtoS (a CSPRNG by default; a
        test may pass a fixed one)."""
        self.settings = settings or AssociationSettings()
        self.counter = counter if counter is not None else InvocationCounter()
        self.guard = guard if guard is not None else InvocationCounterGuard()
        self.state = AssociationState.IDLE
        self.initiate_response: InitiateResponse | None = None
        self.server_system_title: bytes | None = None
        self._control = (
            SecurityControl.for_policy(
                self.settings.security_policy, suite=self.settings.security_suite
            )
            if self.settings.ciphered
            else None
        )
        self._ctos = b""
        self._stoc = b""
        self._invoke_id_and_priority = DEFAULT_INVOKE_ID_AND_PRIORITY
        self._challenge = challenge
        self._request_count = 0
        self._outgoing: list[bytes] = []
        self._blocks = bytearray()
        self._next_block = 1
        self._writing: SetExchange | ActionExchange | None = None

    # ------------------------------------------------------------------ requests

    def associate(self) -> None:
        """Queue the AARQ."""
        self._expect(AssociationState.IDLE, "associate")
        initiate = InitiateRequest(
            conformance=self.settings.conformance,
            client_max_receive_pdu_size=self.settings.client_max_receive_pdu_size,
        )
        settings = self.settings
        user_information = self._protect(initiate.encode())
        authentication_value: bytes | None = None
        if settings.mechanism is Mechanism.LOW:
            authentication_value = settings.password
        elif settings.mechanism.is_hls:
            self._ctos = self._challenge(settings.challenge_length)
            authentication_value = self._ctos
        aarq = Aarq(
            application_context=ApplicationContext.LOGICAL_NAME_WITH_CIPHERING
            if settings.ciphered
            else ApplicationContext.LOGICAL_NAME,
            mechanism=settings.mechanism,
            calling_ap_title=settings.client_system_title,
            calling_authentication_value=authentication_value,
            user_information=user_information,
        )
        self.state = AssociationState.AWAITING_AARE
        self._outgoing.append(aarq.encode())

    def get(
        self,
        descriptors: Sequence[AttributeDescriptor],
        access_selections: Sequence[bytes | None] = (),
    ) -> None:
        """Queue a GET for one attribute (normal) or several (with-list).
        ``access_selections``, when given, has one entry per descriptor: selector and
        parameters (a range or entry descriptor) for selective access, or None."""
        self._expect(AssociationState.ASSOCIATED, "get")
        if not descriptors:
            raise LocalProtocolError("nothing to get")
        if access_selections and len(access_selections) != len(descriptors):
            raise LocalProtocolError("one access selection (or None) per descriptor")
        if any(access_selections) and not self.supports(Conformance.SELECTIVE_ACCESS):
            raise LocalProtocolError("the meter does not support selective access")
        if len(descriptors) > 1 and not self.supports(Conformance.MULTIPLE_REFERENCES):
            raise LocalProtocolError("the meter does not support GET with-list")
        iip = self._invoke_id_and_priority
        if len(descriptors) == 1:
            selection = access_selections[0] if access_selections else None
            request = GetRequestNormal(descriptors[0], iip, selection).encode()
        else:
            request = GetRequestWithList(tuple(descriptors), iip, tuple(access_selections)).encode()
        self._request_count = len(descriptors)
        self._blocks.clear()
        self._next_block = 1
        self.state = AssociationState.AWAITING_GET_RESPONSE
        self._outgoing.append(self._protect(request))

    def set(self, descriptors: Sequence[AttributeDescriptor], values: Sequence[Data]) -> None:
        """Queue a SET of one attribute (normal) or several (with-list), in data blocks
        when it would not fit the meter's largest APDU (``session.writes``)."""
        self._expect(AssociationState.ASSOCIATED, "set")
        if not self.supports(Conformance.SET):
            raise LocalProtocolError("the meter did not grant SET to this association")
        if len(descriptors) > 1 and not self.supports(Conformance.MULTIPLE_REFERENCES):
            raise LocalProtocolError("the meter does not support SET with-list")
        exchange = SetExchange(descriptors, values, self._invoke_id_and_priority, self._max_apdu())
        if exchange.blocks and not self.supports(Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE):
            raise LocalProtocolError(
                "the value is longer than the meter's largest APDU and the meter does not "
                "support SET with block transfer"
            )
        self._writing = exchange
        self.state = AssociationState.AWAITING_SET_RESPONSE
        self._outgoing.append(self._protect(exchange.first))

    def action(self, method: MethodDescriptor, parameters: Data | None = None) -> None:
        """Queue an ACTION of one method with an optional parameter, in parameter blocks
        when it would not fit the meter's largest APDU (``session.writes``)."""
        self._expect(AssociationState.ASSOCIATED, "act")
        if not self.supports(Conformance.ACTION):
            raise LocalProtocolError("the meter did not grant ACTION to this association")
        exchange = ActionExchange(
            method, parameters, self._invoke_id_and_priority, self._max_apdu()
        )
        if exchange.blocks and not self.supports(Conformance.BLOCK_TRANSFER_WITH_ACTION):
            raise LocalProtocolError(
                "the parameter is longer than the meter's largest APDU and the meter does "
                "not support ACTION with block transfer"
            )
        self._writing = exchange
        self.state = AssociationState.AWAITING_ACTION_RESPONSE
        self._outgoing.append(self._protect(exchange.first))

    def _max_apdu(self) -> int:
        """The longest APDU the meter takes, less what ciphering adds."""
        limit = self.server_max_receive_pdu_size or 0xFFFF
        return limit - (CIPHERING_OVERHEAD if self._control is not None else 0)

    def release(self) -> None:
        """Queue the RLRQ."""
        self._expect(AssociationState.ASSOCIATED, "release")
        self.state = AssociationState.AWAITING_RLRE
        self._outgoing.append(ReleaseRequest().encode())

    def abort(self) -> None:
        """Forget the association, from any state (link lost, the meter went away, or an
        error). Nothing is sent: the meter ends it with the link."""
        self.state = AssociationState.RELEASED
        self._outgoing.clear()
        self._blocks.clear()

    def data_to_send(self) -> list[bytes]:
        """The APDUs queued for the meter, in order (each for the link to carry)."""
        apdus, self._outgoing = self._outgoing, []
        return apdus

    def supports(self, feature: Conformance) -> bool:
        response = self.initiate_response
        return response is not None and bool(response.conformance & feature)

    @property
    def server_max_receive_pdu_size(self) -> int:
        response = self.initiate_response
        return response.server_max_receive_pdu_size if response else 0

    # ------------------------------------------------------------------ responses

    def receive_data(self, apdu: bytes) -> list[AssociationEvent]:
        """Handle one complete APDU from the meter; the events it completed (none when the
        association queued an APDU of its own to go on: send ``data_to_send()``)."""
        if self.state in (AssociationState.ERROR, AssociationState.RELEASED):
            raise LocalProtocolError(f"cannot receive in state {self.state.name}")
        try:
            event = self._receive(apdu)
        except (AssociationRejected, ServiceError, DataAccessError):
            raise  # a refusal: the state says where the association stands
        except DlmsError:
            self.state = AssociationState.ERROR
            self._outgoing.clear()
            raise
        return [] if event is None else [event]

    def _receive(self, apdu: bytes) -> AssociationEvent | None:
        if not apdu:
            raise DecodeError("empty APDU")
        if is_ciphered(apdu[0]):
            apdu = self._unprotect(apdu)
        tag = apdu[0]
        if tag in (EXCEPTION_RESPONSE_TAG, CONFIRMED_SERVICE_ERROR_TAG):
            error = (
                ExceptionResponse.decode(apdu)
                if tag == EXCEPTION_RESPONSE_TAG
                else ConfirmedServiceError.decode(apdu)
            ).to_error()
            self._refused()
            raise error
        if self.state is AssociationState.AWAITING_AARE and tag == AARE_TAG:
            return self._receive_aare(Aare.decode(apdu))
        if self.state is AssociationState.AWAITING_HLS_RESPONSE and tag == ACTION_RESPONSE_TAG:
            return self._receive_hls_response(apdu)
        if self.state is AssociationState.AWAITING_GET_RESPONSE and tag == GET_RESPONSE_TAG:
            return self._receive_get_response(apdu)
        if self.state is AssociationState.AWAITING_SET_RESPONSE and tag == SET_RESPONSE_TAG:
            return self._receive_write(decode_set_response(apdu))
        if self.state is AssociationState.AWAITING_ACTION_RESPONSE and tag == ACTION_RESPONSE_TAG:
            return self._receive_write(decode_action_response(apdu))
        if self.state is AssociationState.AWAITING_RLRE and tag == RLRE_TAG:
            ReleaseResponse.decode(apdu)
            self.state = AssociationState.RELEASED
            return Released()
        raise RemoteProtocolError(f"unexpected APDU 0x{tag:02X} in state {self.state.name}")

    def _receive_aare(self, aare: Aare) -> Associated | None:
        if aare.result is not AssociationResult.ACCEPTED:
            self.state = AssociationState.IDLE
            reason = _rejection_reason(aare)
            if aare.diagnostic_source == 1 and aare.diagnostic in (
                AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE,
                AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED,
                AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED,
                AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED,
            ):
                raise AuthenticationFailed(reason, result=aare.result, diagnostic=aare.diagnostic)
            if self.settings.ciphered:
                # A meter that cannot decipher our glo-initiateRequest says no more than this.
                reason += (
                    "; with ciphering this usually means the meter could not decipher the "
                    "request: check the EK, the AK, the security suite and the invocation counter"
                )
            raise AssociationRejected(reason, result=aare.result, diagnostic=aare.diagnostic)
        self.server_system_title = aare.responding_ap_title
        info = aare.user_information
        if not info:
            raise RemoteProtocolError("accepted AARE without an InitiateResponse")
        if self.settings.ciphered and not is_ciphered(info[0]):
            raise RemoteProtocolError("the meter answered a ciphered AARQ in clear")
        if is_ciphered(info[0]):
            info = self._unprotect(info)
        if not info or info[0] != INITIATE_RESPONSE_TAG:
            raise RemoteProtocolError("accepted AARE without an InitiateResponse")
        self.initiate_response = InitiateResponse.decode(info)
        if self.settings.mechanism.is_hls:
            self._start_hls(aare)
            return None
        self.state = AssociationState.ASSOCIATED
        return Associated(self.initiate_response)

    # ------------------------------------------------------------------ HLS

    def _hls_parameters(self) -> HlsParameters:
        settings = self.settings
        return HlsParameters(
            settings.mechanism,
            secret=settings.password,
            keys=settings.keys,
            client_system_title=settings.client_system_title,
            server_system_title=self.server_system_title,
            suite=settings.security_suite,
            client_signing_key=settings.client_signing_key,
            server_public_key=settings.server_public_key,
        )

    def _start_hls(self, aare: Aare) -> None:
        """Pass 3 of HLS: reply_to_HLS_authentication with f(StoC)."""
        if aare.diagnostic != AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED:
            raise RemoteProtocolError("the meter accepted HLS without asking for authentication")
        self._stoc = aare.responding_authentication_value or b""
        f_stoc = client_response(
            self._hls_parameters(),
            stoc=self._stoc,
            ctos=self._ctos,
            invocation_counter=self.counter.next()
            if self.settings.mechanism is Mechanism.HIGH_GMAC
            else None,
        )
        request = ActionRequestNormal(
            REPLY_TO_HLS, Data(DataType.OCTET_STRING, f_stoc), self._invoke_id_and_priority
        )
        self._outgoing.append(self._protect(request.encode()))
        self.state = AssociationState.AWAITING_HLS_RESPONSE

    def _receive_hls_response(self, apdu: bytes) -> Associated:
        """Pass 4: the meter's f(CtoS) proves it knows the secret too."""
        response = decode_action_response(apdu)
        if not isinstance(response, ActionResponseNormal):
            raise RemoteProtocolError("reply_to_HLS_authentication answered with a block transfer")
        result = response.return_parameters
        if response.result != ActionResult.SUCCESS or not isinstance(result, Data):
            self.state = AssociationState.IDLE
            raise AuthenticationFailed(
                "the meter rejected our HLS response: wrong secret or keys",
                result=AssociationResult.REJECTED_PERMANENT,
                diagnostic=AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE,
            )
        if not isinstance(result.value, bytes):
            raise RemoteProtocolError("f(CtoS) is not an octet-string")
        # f(CtoS) answers our fresh challenge, so it cannot be a replay: its invocation
        # counter is not run through the guard (a meter may well have ciphered the ACTION
        # response itself with a later value of the same counter).
        verify_server_response(
            self._hls_parameters(), result.value, stoc=self._stoc, ctos=self._ctos
        )
        assert self.initiate_response is not None
        self.state = AssociationState.ASSOCIATED
        return Associated(self.initiate_response)

    # ------------------------------------------------------------------ ciphering

    def _protect(self, apdu: bytes) -> bytes:
        """Cipher an xDLMS APDU when the association is ciphered, with a fresh counter
        value (consumed even if the APDU never leaves: a value is never reused)."""
        settings = self.settings
        if self._control is None:
            return apdu
        assert settings.keys is not None
        assert settings.client_system_title is not None
        return cipher_apdu(
            apdu,
            kind="glo",
            control=self._control,
            system_title=settings.client_system_title,
            invocation_counter=self.counter.next(),
            keys=settings.keys,
        )

    def _unprotect(self, apdu: bytes) -> bytes:
        if self.settings.keys is None:
            raise RemoteProtocolError("the meter sent a ciphered APDU but no keys are configured")
        deciphered = decipher_apdu(
            apdu,
            keys=self.settings.keys,
            system_title=self.server_system_title,
            require_authentication=self._control is not None and self._control.authentication,
            counter_guard=self.guard,
        )
        return deciphered.plaintext

    def _receive_get_response(self, apdu: bytes) -> GetCompleted | None:
        response = decode_get_response(apdu)
        if response.invoke_id_and_priority & 0x0F != self._invoke_id_and_priority & 0x0F:
            raise RemoteProtocolError("GET.response for another invoke-id")
        if isinstance(response, GetResponseNormal):
            return self._complete((response.result,))
        if isinstance(response, GetResponseWithList):
            if len(response.results) != self._request_count:
                raise RemoteProtocolError(
                    f"asked for {self._request_count} attributes, got {len(response.results)}"
                )
            return self._complete(response.results)
        assert isinstance(response, GetResponseWithDatablock)
        return self._receive_block(response)

    def _receive_block(self, block: GetResponseWithDatablock) -> GetCompleted | None:
        if block.block_number != self._next_block:
            raise RemoteProtocolError(
                f"expected data block {self._next_block}, got {block.block_number}"
            )
        if not isinstance(block.raw_data, bytes):
            # The transfer ended with an error instead of data.
            if self._request_count == 1:
                return self._complete((block.raw_data,))
            self._refused()
            raise DataAccessError(
                f"block transfer failed: {data_access_result_name(block.raw_data)}",
                result=int(block.raw_data),
            )
        self._blocks += block.raw_data
        if not block.last_block:
            self._outgoing.append(
                self._protect(
                    GetRequestNext(block.block_number, self._invoke_id_and_priority).encode()
                )
            )
            self._next_block += 1
            return None
        raw = bytes(self._blocks)
        self._blocks.clear()
        if self._request_count == 1:
            return self._complete((decode_data(raw),))
        results = decode_get_data_results(raw)
        if len(results) != self._request_count:
            raise RemoteProtocolError(
                f"asked for {self._request_count} attributes, got {len(results)}"
            )
        return self._complete(results)

    def _receive_write(
        self, response: SetResponse | ActionResponse
    ) -> SetCompleted | ActionCompleted | None:
        if response.invoke_id_and_priority & 0x0F != self._invoke_id_and_priority & 0x0F:
            raise RemoteProtocolError("SET/ACTION.response for another invoke-id")
        exchange = self._writing
        if isinstance(exchange, SetExchange) and isinstance(response, SetResponse):
            outcome: bytes | SetCompleted | ActionCompleted = exchange.receive(response)
        elif isinstance(exchange, ActionExchange) and isinstance(response, ActionResponse):
            outcome = exchange.receive(response)
        else:
            raise RemoteProtocolError("a response to a request we did not send")
        if isinstance(outcome, bytes):
            self._outgoing.append(self._protect(outcome))
            return None
        self._writing = None
        self.state = AssociationState.ASSOCIATED
        return outcome

    def _complete(self, results: tuple[GetDataResult, ...]) -> GetCompleted:
        self.state = AssociationState.ASSOCIATED
        return GetCompleted(results)

    def _refused(self) -> None:
        """The meter refused the pending request: a GET or the release leaves the
        association as it was; a refused AARQ or HLS pass leaves none."""
        self._blocks.clear()
        if self.state in (AssociationState.AWAITING_AARE, AssociationState.AWAITING_HLS_RESPONSE):
            self.state = AssociationState.IDLE
        elif self.state in (
            AssociationState.AWAITING_GET_RESPONSE,
            AssociationState.AWAITING_SET_RESPONSE,
            AssociationState.AWAITING_ACTION_RESPONSE,
            AssociationState.AWAITING_RLRE,
        ):
            self._writing = None
            self.state = AssociationState.ASSOCIATED

    def _expect(self, state: AssociationState, action: str) -> None:
        if self.state is not state:
            raise LocalProtocolError(f"cannot {action} in state {self.state.name}")


def _rejection_reason(aare: Aare) -> str:
    reason = f"association {aare.result.kebab}"
    if aare.diagnostic_source == 1:
        try:
            name = AcseServiceUserDiagnostic(aare.diagnostic).name.lower().replace("_", "-")
        except ValueError:
            name = str(aare.diagnostic)
        reason += f" ({name})"
    if aare.user_information and aare.user_information[0] == CONFIRMED_SERVICE_ERROR_TAG:
        with contextlib.suppress(DecodeError):
            reason += f": {ConfirmedServiceError.decode(aare.user_information)}"
    return reason


__all__ = [
    "Associated",
    "Association",
    "AssociationSettings",
    "AssociationState",
    "DataAccessResult",
    "GetCompleted",
    "Released",
]
