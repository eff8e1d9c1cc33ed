"""Detection's I/O: open the port, listen, then poll; the decisions are ``plan``'s.

1. Listen (does data arrive by itself?): on a port whose speed is ours to set (a local
   device, RFC 2217) each serial setting of the facts in turn, for at most one push
   interval each, stopping at the first frame the push receiver recognises; a line that
   stayed silent at the first setting is silent at every other, so the rest are skipped.
   Through a TCP bridge (``socket://``) the speed is the bridge's: one listen.
2. Poll with the public client and no security: direct HDLC, then the IEC 62056-21 mode E
   sign-on. For each, one SNRM per address candidate on one open port (a wrong address
   gets no answer, so nothing is left open); the first UA is disconnected at once (DISC)
   and the port closed, and a whole session at that address then reads the logical device
   name, the serial number and the object list.

No password or key is ever tried: meters lock a client out after wrong ones. Every
attempt closes the port before the next; cancelling the task closes it too. The whole
poll stays within the facts' budget (60 s at 9600 Bd).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from ...codecs.hdlc import FrameReader, FrameType, HdlcAddress
from ...codecs.iec62056_21 import Identification
from ...cosem.interface_classes import ObjectListElement
from ...cosem.manufacturers import manufacturer_name
from ...errors import (
    AssociationRejected,
    CommunicationError,
    DlmsError,
    DlmsTimeoutError,
    KeyRequired,
    ProtocolError,
)
from ...session.link import HdlcLink, LinkClosed, LinkEstablished
from ...session.push.receiver import PushReceiver
from ...transport import is_wrapper_url, transport_for_url
from ...transport.base import Transport
from ..client import ClientSettings, DlmsClient, mode_e_sign_on
from ..identity import MeterIdentity, read_identity
from ..listener import BURST_GAP
from ..meter_presets import preset_addresses
from ..reader import read_object_list
from .plan import (
    AddressCandidate,
    Attempt,
    DetectionFacts,
    ListenOutcome,
    ListenWindow,
    SerialLine,
    address_candidates,
    load_detection_facts,
)
from .results import Detection, NothingDetected, PollDetected, PushDetected

_LOGGER = logging.getLogger(__name__)

MODE_E_SIGN_ON_TIMEOUT = 3.0
SESSION_TIMEOUT = 5.0
"""Per answer in the identifying session, once the address is known to answer."""

TransportFactory = Callable[[str, SerialLine | None], Transport]
Progress = Callable[[str], None]


def serial_transport(url: str, line: SerialLine | None) -> Transport:
    """The port at ``line`` (None: the default speed, which a TCP bridge ignores), or the
    DLMS wrapper's TCP or UDP for ``tcp://`` and ``udp://``."""
    if line is None:
        return transport_for_url(url)
    return transport_for_url(url, baudrate=line.baudrate, parity=line.parity)


def speed_is_ours(url: str) -> bool:
    """Whether opening ``url`` sets the line's speed: a local device, an RFC 2217 or
    ESPHome port; not a plain TCP bridge (``socket://``, ``host:port``), whose serial side
    is configured on the bridge."""
    url = url.strip()
    if url.startswith("socket://") or is_wrapper_url(url):
        return False
    _, sep, port = url.rpartition(":")
    return not (sep and port.isdigit() and "/" not in url)


class Detector:
    """One detection on ``url``. ``physical_first``: addresses to try before the usual
    ones; ``presets``: ``(physical, address size)`` pairs tried after them (default: the
    meter presets' fixed addresses); ``listen_seconds``: per serial setting (default: one
    push interval); ``progress`` is told each attempt as it starts."""

    def __init__(
        self,
        url: str,
        *,
        listen_seconds: float | None = None,
        physical_first: Sequence[int] = (),
        presets: Iterable[tuple[int | None, int | None]] | None = None,
        progress: Progress | None = None,
        facts: DetectionFacts | None = None,
        transport_factory: TransportFactory = serial_transport,
    ) -> None:
        self.url = url
        self.facts = facts = facts or load_detection_facts()
        self.listen_seconds = facts.push_interval if listen_seconds is None else listen_seconds
        if presets is None:
            presets = preset_addresses()
        self.candidates = address_candidates(physical_first, facts.physical_addresses, presets)
        self.progress = progress or (lambda text: None)
        self.tried: list[Attempt] = []
        self._transport = transport_factory
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self.bytes_received = 0
        self.identification: Identification | None = None
        self._session_error: DlmsError | None = None

    @property
    def elapsed(self) -> float:
        return self._loop.time() - self._started

    def _record(self, attempt: Attempt) -> None:
        self.tried.append(attempt)
        _LOGGER.info("Detection on %s: %s", self.url, attempt)

    async def run(self) -> Detection:
        if is_wrapper_url(self.url) and self.url.strip().startswith("udp"):
            # Over UDP a meter is asked, not heard: nothing comes to a socket that has not
            # sent anything.
            return await self.poll_wrapper()
        found = await self.listen()
        if found is not None:
            return found
        if is_wrapper_url(self.url):
            return await self.poll_wrapper()
        return await self.poll()

    async def poll_wrapper(self) -> Detection:
        """The DLMS wrapper has no addresses to knock at: one session with the public client
        at the management logical device's wPort."""
        self.progress("asking the public client over the DLMS wrapper")
        found = await self._identify(None, False, None)
        if self._session_error is not None and not isinstance(
            self._session_error, AssociationRejected
        ):
            return NothingDetected(
                f"no meter answered the public client over the DLMS wrapper: "
                f"{found.association_error}",
                tuple(self.tried),
                self.elapsed,
                bytes_received=self.bytes_received,
            )
        return found

    # ------------------------------------------------------------------ listening

    async def listen(self) -> Detection | None:
        """A push meter, a stream that is not DLMS (NothingDetected), or None."""
        lines: Sequence[SerialLine | None] = (
            self.facts.listen if speed_is_ours(self.url) else (None,)
        )
        for index, line in enumerate(lines):
            where = line.label if line else "the bridge's speed"
            self.progress(f"listening at {where} for up to {self.listen_seconds:g} s")
            try:
                window = await self._listen(line)
            except CommunicationError as err:
                self._record(Attempt("listen", line, f"cannot open the port: {err}"))
                if index == 0:
                    # No port at all: nothing else can work (a later setting the port
                    # refuses is only that setting).
                    return NothingDetected(str(err), tuple(self.tried), self.elapsed)
                continue
            self.bytes_received += window.bytes_received
            self._record(Attempt("listen", line, window.summary))
            outcome = window.outcome
            if outcome is ListenOutcome.DLMS:
                return self._push_found(line, window)
            if outcome is ListenOutcome.NOT_DLMS:
                return NothingDetected(
                    f"the meter sends {window.summary.removeprefix('not DLMS: ')}, not DLMS",
                    tuple(self.tried),
                    self.elapsed,
                    stream=window.stream,
                    bytes_received=self.bytes_received,
                )
            if outcome is ListenOutcome.SILENT:
                # A silent line is silent at every speed and parity.
                for skipped in lines[index + 1 :]:
                    self._record(Attempt("listen", skipped, "skipped: the line was silent"))
                break
        return None

    async def _listen(self, line: SerialLine | None) -> ListenWindow:
        transport = self._transport(self.url, line)
        receiver = PushReceiver()
        window = ListenWindow()
        await transport.open()
        deadline = self._loop.time() + self.listen_seconds
        in_burst = False
        try:
            while not window.done:
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    break
                wait = min(BURST_GAP, remaining) if in_burst else remaining
                try:
                    data = await asyncio.wait_for(transport.read(), wait)
                except TimeoutError:
                    if in_burst and wait == BURST_GAP:
                        in_burst = False
                        window.feed(receiver.line_idle())
                        window.burst_ended()
                    continue
                except CommunicationError:  # the bridge closed: what came is what there is
                    break
                in_burst = True
                window.data_received(len(data))
                window.feed(receiver.receive_data(data))
            if not window.done and receiver.pending:
                window.feed(receiver.line_idle())
        finally:
            await transport.close()
        return window

    def _push_found(self, line: SerialLine | None, window: ListenWindow) -> PushDetected:
        notification = window.notification
        if notification is not None:
            return PushDetected(
                line=line,
                framing=notification.framing,
                encrypted=notification.encrypted,
                system_title=notification.system_title,
                profile=notification.profile,
                values=len(notification.values),
                notification=notification,
                tried=tuple(self.tried),
                elapsed=self.elapsed,
            )
        failure = window.failure
        assert failure is not None
        assert failure.framing is not None
        return PushDetected(
            line=line,
            framing=failure.framing,
            encrypted=isinstance(failure.error, KeyRequired)
            or failure.security_control is not None,
            system_title=failure.system_title,
            profile=None,
            values=0,
            notification=None,
            tried=tuple(self.tried),
            elapsed=self.elapsed,
        )

    # ------------------------------------------------------------------ polling

    async def poll(self) -> Detection:
        facts = self.facts
        line = SerialLine(facts.baudrate) if speed_is_ours(self.url) else None
        for mode_e in (False, True):
            candidate, session_line = await self._scan(line, mode_e)
            if candidate is not None:
                return await self._identify(session_line, mode_e, candidate)
            if self._over_budget():
                break
        return NothingDetected(
            "nothing arrived by itself and no meter answered the public client",
            tuple(self.tried),
            self.elapsed,
            bytes_received=self.bytes_received,
        )

    def _over_budget(self) -> bool:
        return self.elapsed >= self.facts.budget

    async def _scan(
        self, line: SerialLine | None, mode_e: bool
    ) -> tuple[AddressCandidate | None, SerialLine | None]:
        """SNRM to each candidate on one open port; the first that answers, and the line
        it answered at (after mode E, the speed the sign-on chose)."""
        how = "after the mode E sign-on" if mode_e else "direct HDLC"
        self.progress(f"polling with the public client ({how})")
        transport = self._transport(self.url, line)
        try:
            await transport.open()
        except CommunicationError as err:
            self._record(Attempt("poll", line, f"cannot open the port: {err}", mode_e))
            return None, line
        try:
            if mode_e:
                try:
                    identified = await mode_e_sign_on(
                        transport, self.facts.mode_e_max_baudrate, MODE_E_SIGN_ON_TIMEOUT
                    )
                except DlmsError as err:
                    self._record(Attempt("poll", line, f"no mode E sign-on: {err}", mode_e))
                    return None, line
                self.identification = identified.identification
                if line is not None:
                    line = SerialLine(identified.line.baudrate, identified.line.parity)
            knocked: dict[HdlcAddress, AddressCandidate] = {}
            for candidate in self.candidates:
                if self._over_budget():
                    self._record(
                        Attempt("poll", line, "not tried: the time budget is spent", mode_e)
                    )
                    return None, line
                self.progress(f"polling {candidate.label} ({how})")
                answered, late = await self._knock(transport, candidate, knocked)
                self._record(Attempt("poll", line, answered, mode_e, candidate))
                if late is not None:
                    # A slow meter's answer to an earlier SNRM: that address is the one.
                    # Knock again, waiting longer, so that its link ends with a DISC.
                    answered, _ = await self._knock(transport, late, {}, patience=4)
                    self._record(Attempt("poll", line, f"{answered}, late", mode_e, late))
                    return late, line
                if answered != "no answer":
                    return candidate, line
                knocked[candidate.server(self.facts.server_logical)] = candidate
        finally:
            await transport.close()
        return None, line

    async def _knock(
        self,
        transport: Transport,
        candidate: AddressCandidate,
        knocked: dict[HdlcAddress, AddressCandidate],
        patience: float = 1,
    ) -> tuple[str, AddressCandidate | None]:
        """One SNRM; a UA is answered with DISC at once, so the line is left clean. Also
        the candidate among ``knocked`` (earlier, unanswered) whose answer came late."""
        facts = self.facts
        client = HdlcAddress.client(facts.client_address)
        link = HdlcLink(client, candidate.server(facts.server_logical))
        link.connect()
        await transport.write(link.data_to_send())
        wait = facts.answer_timeout * patience
        watch = _LateAnswers(client, knocked)
        event = await _await_link(transport, link, wait, watch)
        if isinstance(event, LinkEstablished):
            link.disconnect()
            await transport.write(link.data_to_send())
            await _await_link(transport, link, wait)
            return "answered (UA)", None
        if isinstance(event, LinkClosed):
            return "answered, refusing the connection (DM)", None
        return "no answer", watch.late

    async def _identify(
        self, line: SerialLine | None, mode_e: bool, candidate: AddressCandidate | None
    ) -> PollDetected:
        """A whole session with the public client at the address that answered."""
        facts = self.facts
        where = candidate.label if candidate else f"wPort {facts.server_logical}"
        self.progress(f"reading the meter's identity at {where}")
        settings = ClientSettings(
            client_address=facts.client_address,
            server_logical_address=facts.server_logical,
            server_physical_address=candidate.physical if candidate else None,
            address_size=candidate.size if candidate else None,
            mode_e=mode_e,
            mode_e_max_baudrate=line.baudrate if (mode_e and line) else facts.mode_e_max_baudrate,
            response_timeout=SESSION_TIMEOUT,
            retries=1,
        )
        session_line = SerialLine(facts.baudrate) if (mode_e and line) else line
        client = DlmsClient(self._transport(self.url, session_line), settings)
        identity: MeterIdentity | None = None
        objects: tuple[ObjectListElement, ...] | None = None
        error: str | None = None
        try:
            async with client:
                identity = await read_identity(client)
                objects = tuple(await read_object_list(client))
        except DlmsError as err:
            error = str(err)
            self._session_error = err
        result = "the public client read the identity and object list" if error is None else error
        self._record(Attempt("poll", line, result, mode_e, candidate))
        identification = self.identification if mode_e else None
        flag = identity.flag_id if identity is not None else None
        if flag is None and identification is not None:
            flag = identification.manufacturer.upper()
        return PollDetected(
            line=line,
            mode_e=mode_e,
            client_address=facts.client_address,
            server_logical=facts.server_logical,
            candidate=candidate,
            identity=identity,
            identification=identification.identification if identification else None,
            manufacturer=manufacturer_name(flag),
            objects=objects,
            association_error=error,
            tried=tuple(self.tried),
            elapsed=self.elapsed,
        )


class _LateAnswers:
    """Watches the bytes for a UA or DM to us from an address knocked at before: a meter
    slower than the answer timeout (the link only hears its own station)."""

    def __init__(self, client: HdlcAddress, knocked: dict[HdlcAddress, AddressCandidate]):
        self.client = client
        self.knocked = knocked
        self.late: AddressCandidate | None = None
        self._reader = FrameReader()

    def feed(self, data: bytes) -> None:
        if not self.knocked or self.late is not None:
            return
        self._reader.feed(data)
        for frame in self._reader:
            answer = frame.frame_type in (FrameType.UA, FrameType.DM)
            if frame.valid and answer and frame.destination == self.client:
                self.late = self.knocked.get(frame.source)
                if self.late is not None:
                    return


async def _await_link(
    transport: Transport,
    link: HdlcLink,
    answer_within: float,
    watch: _LateAnswers | None = None,
) -> LinkEstablished | LinkClosed | None:
    """The link's answer within ``answer_within`` seconds; None on silence, only garbage,
    or a late answer from another address (``watch``)."""
    try:
        async with asyncio.timeout(answer_within):
            while True:
                data = await transport.read()
                for event in link.receive_data(data):
                    if isinstance(event, LinkEstablished | LinkClosed):
                        return event
                if watch is not None:
                    watch.feed(data)
                    if watch.late is not None:
                        return None
    except (TimeoutError, ProtocolError, DlmsTimeoutError, CommunicationError):
        return None


async def detect(
    url: str,
    *,
    listen_seconds: float | None = None,
    physical_first: Sequence[int] = (),
    presets: Iterable[tuple[int | None, int | None]] | None = None,
    progress: Progress | None = None,
) -> Detection:
    """How the meter on ``url`` talks, found with nothing else given (``Detector``)."""
    detector = Detector(
        url,
        listen_seconds=listen_seconds,
        physical_first=physical_first,
        presets=presets,
        progress=progress,
    )
    return await detector.run()
