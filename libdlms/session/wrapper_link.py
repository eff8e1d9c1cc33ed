"""The client side of the DLMS/COSEM transport layer for IP networks (IEC 62056-47, the
"wrapper"), sans-IO, in the shape of ``HdlcLink`` so that the client drives either.

Over TCP or UDP there is no link to set up and nothing to segment: every APDU goes out
behind an 8-byte header (version 1, our wPort, the meter's wPort, the length) and comes
back the same way. "Connecting" is immediate (the TCP connection, or nothing for UDP, is
the link); a PDU that is not from the meter's wPort to ours is not an answer and is
dropped. A header with another version, or a length the stream cannot hold, means the
byte stream is out of step: ``RemoteProtocolError``, and the link is in ``ERROR``.

``retransmit`` sends the last PDU again only over a datagram transport (a lost UDP
datagram); TCP does not lose bytes, and a second request there would bring a second
answer that no one asked for.
"""

from __future__ import annotations

from ..codecs.hdlc import HdlcParameters
from ..codecs.wrapper import WrapperPdu, WrapperReader
from ..errors import DecodeError, EncodeError, LocalProtocolError, RemoteProtocolError
from .link import ApduReceived, LinkClosed, LinkEstablished, LinkEvent, LinkState


class WrapperLink:
    """One client-to-server association's carrier over TCP or UDP: ``client_wport`` is
    the client SAP (16 public), ``server_wport`` the logical device's (1 management)."""

    def __init__(self, client_wport: int, server_wport: int, *, datagrams: bool = False):
        for name, value in (("client", client_wport), ("server", server_wport)):
            if not 0 <= value <= 0xFFFF:
                raise LocalProtocolError(f"the {name} wPort {value} is outside 0..65535")
        self.client_wport = client_wport
        self.server_wport = server_wport
        self.datagrams = datagrams
        self.state = LinkState.DISCONNECTED
        self.failed_connected = False
        # The client reads the negotiated HDLC parameters; the wrapper has none of its own
        # (the APDU size is the association's business).
        self.parameters = HdlcParameters()
        self.progress = 0
        self._reader = WrapperReader()
        self._outgoing = bytearray()
        self._last_sent = b""

    def connect(self) -> LinkEstablished:
        if self.state is not LinkState.DISCONNECTED:
            raise LocalProtocolError(f"cannot connect in state {self.state.name}")
        self._reader = WrapperReader()
        self.state = LinkState.CONNECTED
        self.progress += 1
        return LinkEstablished(self.parameters)

    def send_apdu(self, apdu: bytes) -> None:
        if self.state is not LinkState.CONNECTED:
            raise LocalProtocolError(f"cannot send data in state {self.state.name}")
        try:
            pdu = WrapperPdu(self.client_wport, self.server_wport, apdu).encode()
        except EncodeError as err:
            raise LocalProtocolError(str(err)) from None
        self._last_sent = pdu
        self._outgoing += pdu

    def disconnect(self) -> LinkClosed:
        if self.state is LinkState.DISCONNECTED:
            raise LocalProtocolError("not connected")
        self.state = LinkState.DISCONNECTED
        return LinkClosed(by_peer=False)

    def reset(self) -> None:
        self.state = LinkState.DISCONNECTED
        self._outgoing.clear()
        self._reader = WrapperReader()

    def retransmit(self) -> None:
        """The last PDU again, over datagrams only (see the module's docstring)."""
        if self.datagrams and self._last_sent:
            self._outgoing += self._last_sent

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    @property
    def receiving(self) -> bool:
        return self._reader.pending > 0

    @property
    def inside_frame(self) -> bool:
        return self._reader.pending > 0

    def receive_data(self, data: bytes) -> list[LinkEvent]:
        if self.state is LinkState.ERROR:
            return []
        if self.datagrams:
            # One datagram, one PDU: a datagram that is not whole is dropped, and cannot
            # put the next one out of step as a stream would.
            self._reader = WrapperReader()
        self._reader.feed(data)
        events: list[LinkEvent] = []
        try:
            for pdu in self._reader:
                if (pdu.source_wport, pdu.destination_wport) != (
                    self.server_wport,
                    self.client_wport,
                ):
                    continue  # not the meter's answer to us (another logical device?)
                self.progress += 1
                events.append(ApduReceived(pdu.apdu))
        except DecodeError as err:
            if self.datagrams:
                return events  # a bad datagram is dropped; the next request is sent again
            self.state = LinkState.ERROR
            raise RemoteProtocolError(f"the meter's wrapper header is wrong: {err}") from None
        return events
