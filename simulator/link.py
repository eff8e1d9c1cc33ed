"""The HDLC link (IEC 62056-46), the meter's side, sans-IO: one frame in, the frames to
send back queued (``data_to_send``), and an event when the frame means more than the link
(a connection, a disconnection, a complete APDU for the application).

The meter answers every frame it is polled with. A long APDU goes out in segments, a
window of them at a time with the poll/final bit on the last, each window sent after the
client's RR acknowledges the previous one; an RR whose N(R) points back inside the window
sent last makes the meter send again from there (go-back-N). A request the client sends
again (its N(S) is not our V(R)) means our answer was lost: it goes again as it was."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING, TypeAlias

from libdlms.codecs.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    MAX_INFO_RX,
    MAX_INFO_TX,
    WINDOW_RX,
    WINDOW_TX,
    Frame,
    FrameType,
    HdlcAddress,
    HdlcParameters,
    encode_frame,
)

if TYPE_CHECKING:
    from .session import Faults, ServerSettings

# The parameter negotiation field of a UA (ISO/IEC 13239): format identifier, group
# identifier (the HDLC parameters), group length.
FORMAT_IDENTIFIER = 0x81
GROUP_IDENTIFIER = 0x80
WINDOW_PARAMETER_SIZE = 4
SEQUENCE_MODULUS = 8  # N(S), N(R), V(S) and V(R) count modulo 8


class LinkState(Enum):
    DISCONNECTED = auto()  # SNRM connects; any other frame is answered with DM
    CONNECTED = auto()  # information flows; DISC disconnects


class Reassembly(Enum):
    NEW_APDU = auto()  # the next I-frame starts an APDU, behind the LLC header
    SEGMENTS = auto()  # the I-frames so far were segments: more of the APDU follows


@dataclass(frozen=True, slots=True)
class Connected:
    """An SNRM was accepted: a new connection, so no association yet."""

    client: HdlcAddress


@dataclass(frozen=True, slots=True)
class Disconnected:
    """DISC (also when not connected): the association is gone with the link."""


@dataclass(frozen=True, slots=True)
class ApduReceived:
    apdu: bytes


LinkEvent: TypeAlias = Connected | Disconnected | ApduReceived


class ServerLink:
    def __init__(self, settings: ServerSettings, faults: Faults) -> None:
        self.settings = settings
        self.faults = faults
        self.address = HdlcAddress.server(
            settings.logical_address, settings.physical_address, settings.address_size
        )
        self.state = LinkState.DISCONNECTED
        self.client: HdlcAddress | None = None  # the client of the last accepted SNRM
        self.max_info_tx = settings.max_info_length
        self.window_tx = 1
        self.vs = 0  # V(S): the N(S) of our next I-frame
        self.vr = 0  # V(R): the N(S) we expect from the client
        self._reassembly = Reassembly.NEW_APDU
        self._rx = bytearray()
        self._tx_segments: list[bytes] = []  # what the client has not been sent yet
        self._window: list[tuple[int, bytes]] = []  # the I-frames sent last, with N(S)
        self._last_sent = b""  # the answer to send again when the client repeats
        self._out = bytearray()

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def reset(self) -> None:
        """Forget the connection, as a meter does when it restarts or times out."""
        self.state = LinkState.DISCONNECTED
        self._tx_segments.clear()
        self._rx.clear()
        self._reassembly = Reassembly.NEW_APDU

    def receive_frame(self, frame: Frame) -> LinkEvent | None:
        """A valid frame addressed to this meter."""
        kind = frame.frame_type
        if kind is FrameType.SNRM:
            return self._connect(frame)
        if kind is FrameType.DISC:
            was_connected = self.state is LinkState.CONNECTED
            self.state = LinkState.DISCONNECTED
            answer = FrameType.UA if was_connected else FrameType.DM
            self._out += self._frame(answer, destination=frame.source)
            return Disconnected()
        if self.state is not LinkState.CONNECTED or frame.source != self.client:
            self._out += self._frame(FrameType.DM, destination=frame.source)
            return None
        if kind is FrameType.RR:
            self._out += self._acknowledged(frame.receive_sequence)
            return None
        if kind is FrameType.I:
            return self._information(frame)
        return None

    def send_apdu(self, apdu: bytes) -> None:
        """The answer to the APDU received last, in segments the client can take."""
        payload = LLC_RESPONSE + apdu
        size = self.max_info_tx
        self._tx_segments = [payload[i : i + size] for i in range(0, len(payload), size)]
        self._out += self._next_window()

    def _connect(self, frame: Frame) -> Connected | None:
        if self.faults.refuse:
            self._out += self._frame(FrameType.DM, destination=frame.source)
            return None
        self.client = frame.source
        proposed = HdlcParameters.decode(frame.information)
        # The client's receive limit bounds what we send; ours bounds what it sends.
        settings = self.settings
        self.max_info_tx = min(proposed.max_info_rx, settings.max_info_length)
        self.window_tx = min(proposed.window_rx, settings.window)
        answer = HdlcParameters(
            max_info_tx=self.max_info_tx,
            max_info_rx=min(proposed.max_info_tx, settings.max_info_length),
            window_tx=self.window_tx,
            window_rx=min(proposed.window_tx, settings.window),
        )
        self.state = LinkState.CONNECTED
        self.vs = self.vr = 0
        self._rx.clear()
        self._reassembly = Reassembly.NEW_APDU
        self._tx_segments.clear()
        self._window.clear()
        self._out += self._frame(FrameType.UA, information=_full_parameters(answer))
        return Connected(frame.source)

    def _acknowledged(self, receive_sequence: int | None) -> bytes:
        """What an RR with this N(R) asks for: the next window, or a window again."""
        if self._tx_segments and receive_sequence == self.vs:
            return self._next_window()
        # N(R) inside the window we sent last: the client lost or discarded frames
        # from there on, so they go again (go-back-N, IEC 62056-46).
        for position, (ns, _) in enumerate(self._window):
            if ns == receive_sequence:
                return b"".join(sent for _, sent in self._window[position:])
        return b""

    def _information(self, frame: Frame) -> ApduReceived | None:
        if frame.send_sequence != self.vr:
            # The client sent it again: our answer was lost. Send the answer again (an
            # I-frame window, or the RR that acknowledged a segment of the request).
            self._out += self._last_sent
            return None
        self.vr = (self.vr + 1) % SEQUENCE_MODULUS
        info = frame.information
        if self._reassembly is Reassembly.NEW_APDU:
            if info[: len(LLC_REQUEST)] != LLC_REQUEST:
                return None
            info = info[len(LLC_REQUEST) :]
        self._rx += info
        if frame.segmented:
            self._reassembly = Reassembly.SEGMENTS
            if frame.poll_final:
                self._last_sent = self._frame(FrameType.RR)
                self._out += self._last_sent
            return None
        apdu = bytes(self._rx)
        self._rx.clear()
        self._reassembly = Reassembly.NEW_APDU
        return ApduReceived(apdu)

    def _next_window(self) -> bytes:
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
            self.vs = (self.vs + 1) % SEQUENCE_MODULUS
        self._last_sent = frames = b"".join(sent for _, sent in self._window)
        return frames

    def _frame(
        self,
        frame_type: FrameType,
        *,
        information: bytes = b"",
        segmented: bool = False,
        ns: int = 0,
        destination: HdlcAddress | None = None,
        poll_final: bool = True,
    ) -> bytes:
        destination = destination or self.client
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
        (MAX_INFO_TX, parameters.max_info_tx, 1 if parameters.max_info_tx <= 0xFF else 2),
        (MAX_INFO_RX, parameters.max_info_rx, 1 if parameters.max_info_rx <= 0xFF else 2),
        (WINDOW_TX, parameters.window_tx, WINDOW_PARAMETER_SIZE),
        (WINDOW_RX, parameters.window_rx, WINDOW_PARAMETER_SIZE),
    ):
        items += bytes((ident, size)) + value.to_bytes(size, "big")
    return bytes((FORMAT_IDENTIFIER, GROUP_IDENTIFIER, len(items))) + items
