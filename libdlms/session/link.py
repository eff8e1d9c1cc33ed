"""The client side of the HDLC link (IEC 62056-46), sans-IO.

Feed it whatever the port delivered with ``receive_data``; it returns the events that
completed and queues what must go back on the wire (``data_to_send``): the next segment
of a long APDU once the meter acknowledged the last one, or an RR asking for the next
segment of a long response. Every state is explicit and a call that does not fit the
state raises ``LocalProtocolError`` and changes nothing. When the meter breaks the link
protocol (FRMR, a missing LLC header, a line that only ever brings frames to discard) the
link raises and goes to ``ERROR``: nothing more is received or sent but a DISC.

Frames are accepted only when they check (HCS and FCS) and come from our server to our
client address; that also drops the echo an optical head returns of what we sent
(its destination is the server) and the traffic of other meters on a shared bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from typing import TypeAlias

from ..codecs.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    Frame,
    FrameReader,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    encode_frame,
)
from ..errors import (
    CommunicationError,
    DlmsError,
    DlmsTimeoutError,
    LocalProtocolError,
    NoLinkError,
    ProtocolError,
    RemoteProtocolError,
)

MAX_VENDOR_PREFIX = 8  # bytes a vendor module may put before the LLC header
# Retransmissions in a row that were answered only with frames we had to discard (out
# of sequence, failing their check, or not for us, such as an optical head's echo).
# Silence is bounded by the caller's retries; a line that carries only such frames is
# not silent, so without this bound it could hold a session forever.
MAX_FUTILE_RETRANSMISSIONS = 3
# Copies of frames we already have that we let pass without an answer before asking
# with RR anyway: a network copy needs none, but a meter that repeats its window by
# itself (faster than our timeout, so we never retransmit) would otherwise never hear
# that its frames arrived.
MAX_UNANSWERED_COPIES = 2


class LinkState(Enum):
    DISCONNECTED = auto()
    CONNECTING = auto()  # SNRM sent, waiting for UA
    CONNECTED = auto()
    DISCONNECTING = auto()  # DISC sent, waiting for UA or DM
    ERROR = auto()  # the meter broke the protocol: only disconnect() or reset()


@dataclass(frozen=True, slots=True)
class LinkEstablished:
    """The meter answered our SNRM with UA. ``parameters`` are as seen from us."""

    parameters: HdlcParameters


@dataclass(frozen=True, slots=True)
class ApduReceived:
    """A complete APDU, segments joined and LLC header removed."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class LinkClosed:
    """The link ended: our DISC was answered, or the meter sent DM (it is disconnected)."""

    by_peer: bool


LinkEvent: TypeAlias = LinkEstablished | ApduReceived | LinkClosed


class HdlcLink:
    """One client-to-server HDLC connection.

    ``proposed`` are the values we ask for in SNRM (``max_info_rx`` is the largest
    information field we accept); whatever the UA returns is what we then obey.
    """

    def __init__(
        self,
        client: HdlcAddress,
        server: HdlcAddress,
        proposed: HdlcParameters | None = None,
    ) -> None:
        self.client = client
        self.server = server
        self.proposed = proposed or HdlcParameters()
        self.state = LinkState.DISCONNECTED
        # Whether the meter held a link when this one went to ERROR (a DISC is owed).
        self.failed_connected = False
        self.parameters = HdlcParameters()
        self._reader = FrameReader()
        self._outgoing = bytearray()
        self._send_sequence = 0  # V(S)
        self._receive_sequence = 0  # V(R)
        self._tx_segments: list[bytes] = []
        self._rx_buffer = bytearray()
        self._rx_in_progress = False
        self._last_sent = b""
        # What to raise if we give up on the frames discarded since our last repeat.
        self._discarded_since_retransmit: tuple[type[DlmsError], str] | None = None
        self._futile_retransmissions = 0
        self._copies = 0  # copies of frames already received, since the last progress
        self.progress = 0  # frames that moved the link on (for the caller's stall check)

    # ------------------------------------------------------------------ commands

    def connect(self) -> None:
        """Queue an SNRM. Sequence numbers restart at zero on every SNRM."""
        if self.state is not LinkState.DISCONNECTED:
            raise LocalProtocolError(f"cannot connect in state {self.state.name}")
        self._send_sequence = 0
        self._receive_sequence = 0
        self._tx_segments.clear()
        self._rx_buffer.clear()
        self._rx_in_progress = False
        self._reader.clear()
        self._progress()
        self._queue(self._frame(FrameType.SNRM, information=self.proposed.encode()))
        self.state = LinkState.CONNECTING

    def send_apdu(self, apdu: bytes) -> None:
        """Queue an APDU, cut into I-frames no larger than the meter accepts. With a
        window of one, each segment after the first waits for the meter's RR."""
        if self.state is not LinkState.CONNECTED:
            raise LocalProtocolError(f"cannot send data in state {self.state.name}")
        if self._tx_segments or self._rx_in_progress:
            raise LocalProtocolError("an exchange is still in progress")
        payload = LLC_REQUEST + apdu
        size = max(1, self.parameters.max_info_tx)
        self._tx_segments = [payload[i : i + size] for i in range(0, len(payload), size)]
        self._send_window()

    def disconnect(self) -> None:
        """Queue a DISC (from any connected or connecting state, and from ``ERROR``: the
        meter is told the link is over, whatever went wrong)."""
        if self.state is LinkState.DISCONNECTED:
            raise LocalProtocolError("not connected")
        self._tx_segments.clear()
        self._queue(self._frame(FrameType.DISC))
        self.state = LinkState.DISCONNECTING

    def reset(self) -> None:
        """Forget the link without a word on the wire (the transport was lost)."""
        self.state = LinkState.DISCONNECTED
        self._outgoing.clear()
        self._reader.clear()

    def retransmit(self) -> None:
        """Queue our last frame again: the meter did not answer it in time. A partial
        frame received so far is dropped; the meter will send it whole again.

        Once ``MAX_FUTILE_RETRANSMISSIONS`` retransmissions in a row were answered with
        nothing but frames we discarded, raises ``ProtocolError`` (frames out of sequence),
        ``CommunicationError`` (frames failing their check) or ``DlmsTimeoutError`` /
        ``NoLinkError`` (only frames for another station, e.g. our echo): bytes arrive,
        but the link makes no progress, and the caller's retries (which count silence)
        would otherwise start afresh with every useless frame."""
        self._reader.clear()
        discarded = self._discarded_since_retransmit
        if discarded is not None:
            self._discarded_since_retransmit = None
            self._futile_retransmissions += 1
            if self._futile_retransmissions > MAX_FUTILE_RETRANSMISSIONS:
                error, message = discarded
                self._fail()
                raise error(message)
        if self._last_sent:
            self._outgoing += self._last_sent

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    @property
    def receiving(self) -> bool:
        """True while part of a frame has arrived and the rest is still due."""
        return self._reader.pending > 0 or self._rx_in_progress

    @property
    def inside_frame(self) -> bool:
        """True while part of one frame has arrived (not: between segments)."""
        return self._reader.pending > 0

    @property
    def discarded_bytes(self) -> int:
        return self._reader.discarded

    # ------------------------------------------------------------------ input

    def receive_data(self, data: bytes) -> list[LinkEvent]:
        """The events the bytes completed (any chunking). Raises ``RemoteProtocolError``
        when the meter breaks the protocol; the link is then in ``ERROR``."""
        self._reader.feed(data)
        if self.state is LinkState.ERROR:
            self._reader.clear()
            return []
        events: list[LinkEvent] = []
        for frame in self._reader:
            if not frame.valid:
                self._discarded_since_retransmit = (
                    CommunicationError,
                    "the answers keep arriving damaged (their frame check fails): check the line",
                )
                continue
            if frame.destination != self.client or frame.source != self.server:
                # An optical head's echo of our own frame, or another station's traffic:
                # not an answer, however often it comes.
                self._discarded_since_retransmit = self._no_answer()
                continue
            try:
                event = self._handle(frame)
            except RemoteProtocolError:
                self._fail()
                raise
            if event is not None:
                events.append(event)
        return events

    def _handle(self, frame: Frame) -> LinkEvent | None:
        kind = frame.frame_type
        if self.state is LinkState.CONNECTING:
            if kind is FrameType.UA:
                self.parameters = self._negotiated(frame.information)
                self._progress()
                self.state = LinkState.CONNECTED
                return LinkEstablished(self.parameters)
            if kind is FrameType.DM:
                self.state = LinkState.DISCONNECTED
                return LinkClosed(by_peer=True)
            return None
        if self.state is LinkState.DISCONNECTING:
            if kind in (FrameType.UA, FrameType.DM):
                self.state = LinkState.DISCONNECTED
                return LinkClosed(by_peer=False)
            return None
        if self.state is LinkState.CONNECTED:
            if kind is FrameType.I:
                return self._handle_information(frame)
            if kind is FrameType.RR:
                if self._tx_segments and frame.receive_sequence == self._send_sequence:
                    self._progress()
                    self._send_window()
                return None
            if kind is FrameType.DM:
                self.state = LinkState.DISCONNECTED
                return LinkClosed(by_peer=True)
            if kind is FrameType.FRMR:
                raise RemoteProtocolError("the meter rejected a frame (FRMR)")
        return None

    def _handle_information(self, frame: Frame) -> LinkEvent | None:
        received = frame.send_sequence
        if received != self._receive_sequence:
            # Not the frame we expect: discard it (IEC 62056-46). A copy of one we already
            # have needs no answer: answering every copy makes a meter that goes back N
            # repeat its window once per copy, and the copies multiply. A frame from
            # further on that ends the meter's window (P/F) means the ones in between
            # were lost or overtaken: RR with our N(R) makes the meter send from there.
            self._discarded_since_retransmit = (
                ProtocolError,
                f"the meter keeps sending frames out of sequence (N(S)={received}, "
                f"expected {self._receive_sequence})",
            )
            copy = self._already_have(received)
            if copy:
                self._copies += 1
            ask = not copy or self._copies > MAX_UNANSWERED_COPIES
            if self._rx_in_progress and frame.poll_final and ask:
                self._copies = 0
                self._queue(self._frame(FrameType.RR))
            return None
        self._progress()
        self._receive_sequence = (self._receive_sequence + 1) % 8
        information = frame.information
        if not self._rx_in_progress:
            start = information.find(LLC_RESPONSE, 0, MAX_VENDOR_PREFIX + len(LLC_RESPONSE))
            if start < 0:
                raise RemoteProtocolError(f"missing LLC header in {information[:8].hex()}")
            # Some radio modules put a few bytes of their own before the LLC (Natris: FF 01 0A).
            information = information[start + len(LLC_RESPONSE) :]
        self._rx_buffer += information
        if frame.segmented:
            self._rx_in_progress = True
            if frame.poll_final:  # the end of the meter's window: ask for the next one
                self._queue(self._frame(FrameType.RR))
            return None
        apdu = bytes(self._rx_buffer)
        self._rx_buffer.clear()
        self._rx_in_progress = False
        self._tx_segments.clear()
        return ApduReceived(apdu)

    # ------------------------------------------------------------------ helpers

    def _already_have(self, send_sequence: int | None) -> bool:
        """Whether N(S) is one of the last window's worth of frames we accepted (rather
        than one from further on): within the window, modulo 8."""
        behind = (self._receive_sequence - (send_sequence or 0)) % 8
        return 0 < behind <= max(1, min(self.parameters.window_rx, 7))

    def _no_answer(self) -> tuple[type[DlmsError], str]:
        if self.state is LinkState.CONNECTING:
            return (
                NoLinkError,
                "no answer to the connection request (SNRM), only frames for another "
                "station (an optical head's echo?): check the port, the probe and the "
                "server address",
            )
        return DlmsTimeoutError, "no answer from the meter, only frames for another station"

    def _fail(self) -> None:
        self.failed_connected = self.state in (LinkState.CONNECTED, LinkState.DISCONNECTING)
        self.state = LinkState.ERROR

    def _progress(self) -> None:
        """The link moved on: earlier discarded frames no longer count against it."""
        self.progress += 1
        self._discarded_since_retransmit = None
        self._futile_retransmissions = 0
        self._copies = 0

    def _negotiated(self, information: bytes) -> HdlcParameters:
        """The parameters we then obey, from the meter's UA, seen from our side: its
        receive limit is our transmit limit and the other way round, each never above
        what we proposed (the smaller value is the negotiated one). A UA whose field
        makes no sense leaves our own proposal."""
        answer = HdlcParameters.read(information)
        proposed = self.proposed
        if answer is None:
            return proposed
        return HdlcParameters(
            max_info_tx=min(proposed.max_info_tx, answer.max_info_rx),
            max_info_rx=min(proposed.max_info_rx, answer.max_info_tx),
            window_tx=min(proposed.window_tx, answer.window_rx),
            window_rx=min(proposed.window_rx, answer.window_tx),
        )

    def _send_window(self) -> None:
        """Up to window-size segments; the last one carries the poll bit, asking the
        meter to acknowledge the window (with a window of one: every segment)."""
        window = max(1, min(self.parameters.window_tx, 7))
        frames = b""
        for position in range(window):
            if not self._tx_segments:
                break
            segment = self._tx_segments.pop(0)
            frames += self._frame(
                FrameType.I,
                information=segment,
                segmented=bool(self._tx_segments),
                send_sequence=self._send_sequence,
                poll_final=position == window - 1 or not self._tx_segments,
            )
            self._send_sequence = (self._send_sequence + 1) % 8
        self._queue(frames)

    def _frame(
        self,
        frame_type: FrameType,
        *,
        information: bytes = b"",
        segmented: bool = False,
        send_sequence: int = 0,
        poll_final: bool = True,
    ) -> bytes:
        return encode_frame(
            frame_type,
            self.server,
            self.client,
            information=information,
            poll_final=poll_final,
            segmented=segmented,
            send_sequence=send_sequence,
            receive_sequence=self._receive_sequence,
        )

    def _queue(self, frames: bytes) -> None:
        """Queue frames for the wire; they are what ``retransmit`` sends again."""
        self._last_sent = frames
        self._outgoing += frames
