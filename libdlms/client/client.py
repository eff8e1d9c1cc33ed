"""The async DLMS client: drives the sans-IO link and association over a transport.

One ``DlmsClient`` is one session: ``async with`` opens the port, connects the link,
associates, and on the way out (error and cancellation included) releases, disconnects
and closes the port. Nothing here blocks the event loop: all waiting is on the
transport, bounded by ``response_timeout``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

from cryptography.hazmat.primitives.asymmetric import ec

from ..codecs.acse import Mechanism
from ..codecs.axdr import Data
from ..codecs.hdlc import DEFAULT_MAX_INFO, HdlcAddress, HdlcParameters
from ..codecs.xdlms import (
    CLIENT_CONFORMANCE,
    DESCRIPTOR_WITH_SELECTION_SIZE,
    WRITE_CONFORMANCE,
    ActionResult,
    AttributeDescriptor,
    Conformance,
    DataAccessResult,
    GetDataResult,
    MethodDescriptor,
    action_result_name,
    data_access_result_name,
)
from ..codecs.xdlms.results import AccessResult
from ..errors import (
    ActionError,
    CommunicationError,
    ConfigurationError,
    DataAccessError,
    DlmsError,
    DlmsTimeoutError,
    EncodeError,
    LocalProtocolError,
    NoLinkError,
    RemoteProtocolError,
    ServiceError,
)
from ..obis import Obis
from ..security import InvocationCounter, InvocationCounterGuard, SecurityKeys, SecurityPolicy
from ..session.association import (
    Associated,
    Association,
    AssociationEvent,
    AssociationSettings,
    AssociationState,
    GetCompleted,
    Released,
)
from ..session.link import (
    MAX_FUTILE_RETRANSMISSIONS,
    ApduReceived,
    HdlcLink,
    LinkClosed,
    LinkEstablished,
    LinkState,
)
from ..session.mode_e import Identified, LineSettings, ModeESignOn
from ..session.wrapper_link import WrapperLink
from ..session.writes import ActionCompleted, SetCompleted
from ..transport.base import Transport

_LOGGER = logging.getLogger(__name__)

# Sizes in a GET with-list: the header (tag, choice, invoke id, count); each descriptor then
# takes DESCRIPTOR_WITH_SELECTION_SIZE (its access-selection flag says "none").
_WITH_LIST_HEADER = 6
MODE_E_SWITCH_DELAY = 0.3
MODE_E_ID_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class ClientSettings:
    client_address: int = 16
    server_logical_address: int = 1
    server_physical_address: int | None = 17
    address_size: int | None = None
    mechanism: Mechanism = Mechanism.NONE
    password: bytes | None = None
    max_info_length: int | None = None
    window: int = 1
    client_max_receive_pdu_size: int = 0xFFFF
    response_timeout: float = 5.0
    retries: int = 2
    # RLRQ before DISC. Without it, DISC alone ends the association (COSEM-RELEASE with
    # Use_RLRQ_RLRE false), a round trip less per session; some meters want the RLRQ.
    release_with_rlrq: bool = True
    mode_e: bool = False
    mode_e_max_baudrate: int = 19200
    security_policy: SecurityPolicy = SecurityPolicy.NONE
    security_suite: int = 0
    keys: SecurityKeys | None = None
    client_system_title: bytes | None = None
    # Propose SET and ACTION (and their block transfers) in the AARQ: a client that writes.
    writes: bool = False
    client_signing_key: ec.EllipticCurvePrivateKey | None = None  # HLS-ECDSA (suites 1, 2)
    server_public_key: ec.EllipticCurvePublicKey | None = None

    def association_settings(self) -> AssociationSettings:
        """The association's part of these settings; raises ``DlmsError`` when the
        combination cannot work (key lengths, policy, missing secret), before any I/O."""
        return AssociationSettings(
            conformance=WRITE_CONFORMANCE if self.writes else CLIENT_CONFORMANCE,
            mechanism=self.mechanism,
            password=self.password,
            client_max_receive_pdu_size=self.client_max_receive_pdu_size,
            security_policy=self.security_policy,
            security_suite=self.security_suite,
            keys=self.keys,
            client_system_title=self.client_system_title,
            client_signing_key=self.client_signing_key,
            server_public_key=self.server_public_key,
        )

    def __repr__(self) -> str:  # the password stays out of logs and tracebacks
        return (
            f"ClientSettings(client={self.client_address}, server={self.server_logical_address}/"
            f"{self.server_physical_address}, mechanism={self.mechanism.name})"
        )


class DlmsClient:
    """``counter`` (our invocation counter) and ``guard`` (the meter's, per system title)
    outlive a session: keep them, and persist ``counter.value``, for ciphered meters."""

    def __init__(
        self,
        transport: Transport,
        settings: ClientSettings | None = None,
        *,
        counter: InvocationCounter | None = None,
        guard: InvocationCounterGuard | None = None,
    ) -> None:
        self.transport = transport
        self.settings = settings = settings or ClientSettings()
        max_info = settings.max_info_length or DEFAULT_MAX_INFO
        proposed = HdlcParameters(
            max_info_tx=max_info,
            max_info_rx=max_info,
            window_tx=settings.window,
            window_rx=settings.window,
        )
        self.link: HdlcLink | WrapperLink
        if getattr(transport, "wrapper", False):
            # IEC 62056-47 over TCP or UDP: the client and logical device SAPs are the
            # wPorts, and there is neither a physical address nor a mode E sign-on.
            if settings.mode_e:
                raise ConfigurationError("mode E is a serial line's sign-on, not the wrapper's")
            try:
                self.link = WrapperLink(
                    settings.client_address,
                    settings.server_logical_address,
                    datagrams=bool(getattr(transport, "datagrams", False)),
                )
            except LocalProtocolError as err:
                raise ConfigurationError(str(err)) from None
        else:
            try:
                client = HdlcAddress.client(settings.client_address)
                server = HdlcAddress.server(
                    settings.server_logical_address,
                    settings.server_physical_address,
                    settings.address_size,
                )
            except EncodeError as err:  # an address that does not fit its size: the settings
                raise ConfigurationError(str(err)) from None
            self.link = HdlcLink(client, server, proposed)
        self.association = Association(
            settings.association_settings(), counter=counter, guard=guard
        )
        self._apdus: list[bytes] = []
        # The link progress seen and when the current wait gives up without more of it.
        self._stall_progress = 0
        self._stall_deadline: float | None = None
        self._opened = False
        # The longest GET with-list the meter took; None until one was refused. Callers
        # that poll again (MeterReader) carry it from one session to the next.
        self.list_cap: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the port, connect the link and associate."""
        await self.transport.open()
        self._opened = True
        try:
            if self.settings.mode_e:
                await self._sign_on()
            self.link.connect()
            await self._flush()
            await self._wait_for_link(LinkEstablished)
            _LOGGER.debug("link up: %s", self.link.parameters)
            self.association.associate()
            event = await self._exchange()
            if not isinstance(event, Associated):
                raise RemoteProtocolError("association did not complete")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Release, disconnect and close, each step best effort. Safe to call twice and
        from a cancelled task: the port is closed whatever happens on the wire."""
        if not self._opened:
            return
        self._opened = False
        try:
            async with asyncio.timeout(2 * self.settings.response_timeout):
                associated = self.association.state is AssociationState.ASSOCIATED
                if associated and self.settings.release_with_rlrq:
                    try:
                        self.association.release()
                        await self._exchange()
                    except DlmsError as err:
                        _LOGGER.debug("release failed: %s", err)
                broken = self.link.state is LinkState.ERROR and self.link.failed_connected
                if self.link.state is LinkState.CONNECTED or broken:
                    self.link.disconnect()
                    await self._flush()
                    try:
                        await self._wait_for_link(LinkClosed)
                    except DlmsError as err:
                        _LOGGER.debug("disconnect failed: %s", err)
        except (TimeoutError, DlmsError) as err:
            _LOGGER.debug("closing the session uncleanly: %r", err)
        finally:
            # Also when cancelled: the port is closed before the cancellation goes on.
            self.association.abort()
            self.link.reset()
            await self.transport.close()

    # ------------------------------------------------------------------ services

    async def get(self, descriptor: AttributeDescriptor) -> Data:
        """One attribute's value; a data-access-result other than success raises."""
        (result,) = await self.get_many([descriptor])
        if not isinstance(result, Data):
            raise DataAccessError(
                f"{descriptor}: {data_access_result_name(result)}", result=int(result)
            )
        return result

    async def get_with_access(
        self, descriptor: AttributeDescriptor, access_selection: bytes | None
    ) -> GetDataResult:
        """One attribute read with selective access (``access_selection``: selector and
        parameters, e.g. a range descriptor); the value or the meter's data-access-result."""
        self.association.get([descriptor], (access_selection,))
        event = await self._exchange()
        if not isinstance(event, GetCompleted) or len(event.results) != 1:
            raise RemoteProtocolError("GET with selective access did not complete")
        return event.results[0]

    async def get_many(self, descriptors: Sequence[AttributeDescriptor]) -> list[GetDataResult]:
        """Several attributes in as few round trips as the meter allows: GET with-list
        in batches that fit the meter's receive PDU size, or one GET each when the meter
        does not do with-list."""
        results: list[GetDataResult] = []
        pending = list(descriptors)
        while pending:
            size = self._batch_size()
            batch, pending = pending[:size], pending[size:]
            try:
                self.association.get(batch)
                event = await self._exchange()
            except ServiceError:
                if len(batch) == 1:
                    raise
                # The meter refuses lists this long: halve, remember, and go on.
                self.list_cap = len(batch) // 2
                _LOGGER.debug("GET with-list of %d refused; trying %d", len(batch), self.list_cap)
                pending = batch + pending
                continue
            if not isinstance(event, GetCompleted):
                raise RemoteProtocolError("GET did not complete")
            results.extend(event.results)
        return results

    def _batch_size(self) -> int:
        if not self.association.supports(Conformance.MULTIPLE_REFERENCES):
            return 1
        limit = self.association.server_max_receive_pdu_size or 0xFFFF
        size = max(1, (limit - _WITH_LIST_HEADER) // DESCRIPTOR_WITH_SELECTION_SIZE)
        return min(size, self.list_cap) if self.list_cap else size

    async def set(self, descriptor: AttributeDescriptor, value: Data) -> None:
        """SET one attribute; a data-access-result other than success raises
        ``DataAccessError`` (its ``result`` the standard's code)."""
        (result,) = await self.set_many([descriptor], [value])
        if result != DataAccessResult.SUCCESS:
            raise DataAccessError(
                f"{descriptor}: {data_access_result_name(result)}", result=int(result)
            )

    async def set_many(
        self, descriptors: Sequence[AttributeDescriptor], values: Sequence[Data]
    ) -> list[AccessResult]:
        """SET several attributes in one request (with-list; in data blocks when long):
        one data-access-result per attribute."""
        self.association.set(descriptors, values)
        event = await self._exchange()
        if not isinstance(event, SetCompleted):
            raise RemoteProtocolError("the SET did not complete")
        return list(event.results)

    async def action(self, method: MethodDescriptor, parameters: Data | None = None) -> Data | None:
        """ACTION one method; its return parameters (None when it returns none). An
        action-result other than success raises ``ActionError``."""
        self.association.action(method, parameters)
        event = await self._exchange()
        if not isinstance(event, ActionCompleted):
            raise RemoteProtocolError("the ACTION did not complete")
        if event.result != ActionResult.SUCCESS:
            raise ActionError(
                f"{method}: {action_result_name(event.result)}", result=int(event.result)
            )
        returned = event.return_parameters
        if returned is None or isinstance(returned, Data):
            return returned
        raise DataAccessError(
            f"{method}: its return parameters: {data_access_result_name(returned)}",
            result=int(returned),
        )

    # ------------------------------------------------------------------ plumbing

    async def _exchange(self) -> AssociationEvent:
        """Send what the association queued, then feed it the meter's APDUs until it
        reports the event that ends the exchange; APDUs it queues on the way (HLS pass 3,
        the next block of a long answer) go out as they come."""
        await self._send_queued()
        while True:
            events = self.association.receive_data(await self._next_apdu())
            if events:
                (event,) = events
                return event
            if not await self._send_queued():
                raise LocalProtocolError("the association neither completed nor asked for more")

    async def _send_queued(self) -> bool:
        apdus = self.association.data_to_send()
        for apdu in apdus:
            self.link.send_apdu(apdu)
            await self._flush()
        return bool(apdus)

    async def _next_apdu(self) -> bytes:
        self._stall_deadline = None
        while not self._apdus:
            await self._receive()
        return self._apdus.pop(0)

    async def _wait_for_link(self, wanted: type[LinkEstablished] | type[LinkClosed]) -> None:
        target = LinkState.CONNECTED if wanted is LinkEstablished else LinkState.DISCONNECTED
        self._stall_deadline = None
        while self.link.state is not target:
            await self._receive()
        if wanted is LinkEstablished and self.link.state is not LinkState.CONNECTED:
            raise CommunicationError("the meter refused the connection (DM)")

    async def _receive(self) -> None:
        """Wait for bytes; on silence send our last frame again (the meter may have lost it,
        or we lost its answer), up to ``retries`` times."""
        self._check_stall()
        attempt = 0
        mid_frame = mid_answer = False
        while True:
            try:
                async with asyncio.timeout(self.settings.response_timeout):
                    data = await self.transport.read()
                break
            except TimeoutError:
                mid_frame |= self.link.inside_frame
                mid_answer |= self.link.receiving
                if attempt >= self.settings.retries:
                    raise self._silence_error(mid_frame, mid_answer) from None
                attempt += 1
                _LOGGER.debug("no answer, sending the last frame again (%d)", attempt)
                self.link.retransmit()
                await self._flush()
        events = self.link.receive_data(data)
        await self._flush()
        for event in events:
            if isinstance(event, ApduReceived):
                self._apdus.append(event.apdu)
            elif isinstance(event, LinkClosed) and event.by_peer:
                self.association.abort()
                raise CommunicationError("the meter refused or dropped the connection (DM)")

    def _check_stall(self) -> None:
        """Bytes that never make a frame for us (line noise, a chattering bus) reset the
        silence retries with every read; a wait is also bounded by link progress: no
        accepted frame for longer than the silence retries and the link's own count of
        futile retransmissions (which names damaged or foreign frames) could take ends it."""
        now = asyncio.get_running_loop().time()
        if self.link.progress != self._stall_progress or self._stall_deadline is None:
            self._stall_progress = self.link.progress
            attempts = self.settings.retries + MAX_FUTILE_RETRANSMISSIONS + 2
            budget = attempts * self.settings.response_timeout
            self._stall_deadline = now + budget
        elif now > self._stall_deadline:
            raise DlmsTimeoutError(
                "bytes arrive but no answer from the meter: line noise or another station?"
            )

    def _silence_error(self, mid_frame: bool, mid_answer: bool) -> DlmsTimeoutError:
        if mid_frame:
            return DlmsTimeoutError("the meter stopped answering in the middle of a frame")
        if mid_answer:
            return DlmsTimeoutError(
                "the meter stopped answering between the segments of a long answer"
            )
        if self.link.state is LinkState.CONNECTING:
            return NoLinkError(
                "no answer to the connection request (SNRM): check the port, the baud rate, "
                "the optical probe's orientation and the server address"
            )
        return DlmsTimeoutError(
            f"no answer from the meter within {self.settings.response_timeout:g} s"
        )

    async def _sign_on(self) -> None:
        await mode_e_sign_on(
            self.transport,
            self.settings.mode_e_max_baudrate,
            max(self.settings.response_timeout, MODE_E_ID_TIMEOUT),
        )

    async def _flush(self) -> None:
        data = self.link.data_to_send()
        if data:
            await self.transport.write(data)


async def mode_e_sign_on(
    transport: Transport, max_baudrate: int, answer_within: float
) -> Identified:
    """IEC 62056-21 mode E (``session.mode_e``) on an open port: request and identification
    at 300 Bd 7E1, the ACK that selects HDLC at the announced speed (at most
    ``max_baudrate``), then 8N1 at that speed. The identification names the meter's
    manufacturer (its FLAG id) and model."""
    sign_on = ModeESignOn(max_baudrate)
    await _set_line(transport, sign_on.line)
    sign_on.start()
    await transport.write(sign_on.data_to_send())
    try:
        async with asyncio.timeout(answer_within):
            events: list[Identified] = []
            while not events:
                events = sign_on.receive_data(await transport.read())
    except TimeoutError:
        raise DlmsTimeoutError(
            "no identification from the meter at 300 Bd: check the optical probe"
        ) from None
    await transport.write(sign_on.data_to_send())
    # The ACK must leave the UART at 300 Bd before the speed changes.
    await asyncio.sleep(MODE_E_SWITCH_DELAY)
    await _set_line(transport, sign_on.line)
    _LOGGER.debug("mode E: %s, HDLC at %d Bd", events[0].identification, sign_on.line.baudrate)
    return events[0]


async def _set_line(transport: Transport, line: LineSettings) -> None:
    await transport.set_line(baudrate=line.baudrate, byte_size=line.byte_size, parity=line.parity)


__all__ = ["ClientSettings", "DataAccessResult", "DlmsClient", "Released", "mode_e_sign_on"]


PUBLIC_CLIENT = 16


async def read_invocation_counter(
    transport: Transport, settings: ClientSettings, obis: Obis
) -> InvocationCounter:
    """The counter to carry on with, read from the meter's frame counter object (IDIS
    0-0:43.1.x.255, a Data holding the last value the meter accepted) by the public
    client, which needs no security; the next value used will be one above it."""
    public = replace(
        settings,
        client_address=PUBLIC_CLIENT,
        mechanism=Mechanism.NONE,
        password=None,
        security_policy=SecurityPolicy.NONE,
    )
    async with DlmsClient(transport, public) as client:
        value = (await client.get(AttributeDescriptor(1, obis, 2))).value
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RemoteProtocolError(f"{obis.dotted} does not hold an invocation counter")
    return InvocationCounter.after(value)
