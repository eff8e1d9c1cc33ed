"""The physical limit of a poll: what an ideal client would put on the wire.

Model of "unavoidable" (the same in the README):

* The meter is fixed: it is the simulator with its negotiated HDLC parameters (information
  field of 128 bytes each way, window 1) and its maximum receive PDU (256 bytes). A client
  cannot send a longer frame or more frames before an acknowledgement, so every segment of
  a request but the last costs one round trip (the meter's RR), and so does every segment
  of an answer but the last (our RR).
* The protocol is fixed: HDLC framing (flags, addresses, HCS, FCS), the LLC header, the
  same AARQ, the same xDLMS GET encodings. The limit credits no shorter encodings, only the
  fewest and fullest exchanges.
* Unavoidable exchanges, each one round trip (one meter turnaround):
  - link setup: SNRM/UA (only when the scenario opens a session);
  - association: AARQ/AARE (idem);
  - the GETs: every attribute the poll needs (the values, plus the scaler_units when they
    are not known yet) in the plan of GET requests (with-list, or normal for one) that
    costs the least wire time; every segment exchange it implies counts;
  - release: DISC/UA only. Disconnecting the link releases the association (COSEM-RELEASE
    with Use_RLRQ_RLRE = FALSE), so RLRQ/RLRE is avoidable.
  Nothing else: no retries, no second association, no block transfer when batches that
  avoid it are cheaper.
* The client's own reaction time is zero and the meter's is the turnaround, as in the
  line model (``line.WireModel``).

The bytes are not estimated: the ideal exchange is run, sans-IO, with the library's link
and association state machines against the simulator's own ``ServerSession`` serving the
same meter, and every byte each way is counted. The plan search tries every number of
batches (balanced, contiguous) in two orders of the attributes (scaler_units first, and
each object's scaler_unit beside its value) and keeps the fastest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from libdlms.codecs.hdlc import HdlcAddress, HdlcParameters
from libdlms.codecs.xdlms import AttributeDescriptor
from libdlms.session.association import (
    Associated,
    Association,
    AssociationSettings,
    GetCompleted,
)
from libdlms.session.link import (
    ApduReceived,
    HdlcLink,
    LinkClosed,
    LinkEstablished,
    LinkEvent,
)
from simulator import SimulatedMeter
from simulator.session import ServerSession, ServerSettings


@dataclass(frozen=True, slots=True)
class Limit:
    bytes_to_meter: int
    bytes_to_client: int
    round_trips: int
    batches: tuple[int, ...]  # descriptors per GET request of the best plan
    seconds: float

    @property
    def total_bytes(self) -> int:
        return self.bytes_to_meter + self.bytes_to_client


class _IdealRun:
    def __init__(self, meter: SimulatedMeter, settings: ServerSettings) -> None:
        self.server = ServerSession(meter, settings)
        self.link = HdlcLink(
            HdlcAddress.client(16),
            HdlcAddress.server(settings.logical_address, settings.physical_address),
            HdlcParameters(),  # the defaults: an empty SNRM information field
        )
        self.association = Association(AssociationSettings())
        self.up = self.down = self.round_trips = 0

    def _exchange(self) -> list[LinkEvent]:
        events: list[LinkEvent] = []
        while data := self.link.data_to_send():
            self.up += len(data)
            answer = self.server.receive_data(data)
            if answer:
                self.round_trips += 1
                self.down += len(answer)
                events += self.link.receive_data(answer)
        return events

    def _apdu(self) -> object:
        """Send what the association queued until it reports its event (a block
        transfer queues the next request by itself)."""
        while queued := self.association.data_to_send():
            (apdu,) = queued
            self.link.send_apdu(apdu)
            apdus = [e.apdu for e in self._exchange() if isinstance(e, ApduReceived)]
            if len(apdus) != 1:
                raise RuntimeError("the ideal exchange did not complete")
            events = self.association.receive_data(apdus[0])
            if events:
                return events[0]
        raise RuntimeError("the ideal exchange stalled")

    def open(self) -> None:
        self.link.connect()
        if not any(isinstance(e, LinkEstablished) for e in self._exchange()):
            raise RuntimeError("no UA")
        self.association.associate()
        if not isinstance(self._apdu(), Associated):
            raise RuntimeError("no AARE")

    def get(self, batch: Sequence[AttributeDescriptor]) -> None:
        self.association.get(batch)
        if not isinstance(self._apdu(), GetCompleted):
            raise RuntimeError("GET did not complete")

    def close(self) -> None:
        self.link.disconnect()
        if not any(isinstance(e, LinkClosed) for e in self._exchange()):
            raise RuntimeError("no UA to DISC")


def _balanced(items: Sequence[AttributeDescriptor], count: int) -> list[list[AttributeDescriptor]]:
    size, extra = divmod(len(items), count)
    batches, position = [], 0
    for index in range(count):
        length = size + (index < extra)
        batches.append(list(items[position : position + length]))
        position += length
    return batches


def physical_limit(
    make_meter: Callable[[], SimulatedMeter],
    orders: Sequence[Sequence[AttributeDescriptor]],
    *,
    session: bool,
    byte_time: float,
    turnaround: float,
    settings: ServerSettings | None = None,
) -> Limit:
    """The cheapest ideal poll reading every descriptor of ``orders[0]`` (each entry of
    ``orders`` is the same set in another order); with ``session``, link setup,
    association and DISC are part of it."""
    best: Limit | None = None
    for order in orders:
        for count in range(1, len(order) + 1):
            run = _IdealRun(make_meter(), settings or ServerSettings())
            if not session:
                run.open()  # already open: not on this measurement's wire
                run.up = run.down = run.round_trips = 0
            else:
                run.open()
            batches = _balanced(order, count)
            for batch in batches:
                run.get(batch)
            if session:
                run.close()
            seconds = (run.up + run.down) * byte_time + run.round_trips * turnaround
            if best is None or seconds < best.seconds:
                best = Limit(
                    run.up, run.down, run.round_trips, tuple(len(b) for b in batches), seconds
                )
    assert best is not None
    return best
