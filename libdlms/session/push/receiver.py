"""The push receiver: bytes from a meter's customer port in, notifications out.

Sans-IO like the link and association machines: ``receive_data()`` takes whatever the port
gave (any chunking, garbage, partial frames) and returns events; nothing here raises for
what the meter or the line sent. Stages, each explicit:

1. ``FrameScanner`` finds frames (HDLC, M-Bus, wrapper, bare APDUs) and resynchronises.
2. Segments are joined into APDUs per stream (HDLC segmentation, M-Bus sequence numbers)
   and the LLC is removed; General-Block-Transfer blocks are joined into the APDU they carry.
3. Ciphered APDUs (general-glo, general-ded) are deciphered. With the authentication key
   the tag is checked; with the encryption key alone it is not (many grid operators hand out
   only the EK), and the plaintext's structure is what tells a wrong key. When a tag fails,
   deciphering with the EK alone tells whether the EK (no structure) or the AK (structure)
   is wrong. A frame counter that goes back is reported and the notification not taken, until
   three increasing counters in a row show a new sequence (a replaced or reset meter).
4. The plain APDU becomes a ``Notification`` (a DSMR telegram inside the ciphering too).

Bytes skipped since the last good frame are kept as a bounded sample to recognise a stream
that is not DLMS (DSMR text, SML, an IEC 62056-21 readout, or noise from a wrong baud rate).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Final

from ...codecs.dsmr import looks_like_telegram
from ...codecs.xdlms import (
    DATA_NOTIFICATION_TAG,
    GENERAL_BLOCK_TRANSFER_TAG,
    GeneralBlockTransfer,
)
from ...errors import (
    AuthenticationTagMismatch,
    DecipheringError,
    DecodeError,
    DlmsError,
    InvocationCounterError,
    KeyRequired,
    SecurityError,
    WrongEncryptionKey,
)
from ...security import SecurityKeys
from ...security.ciphering import CipheredApdu, parse_ciphered_apdu
from ...security.gcm import Deciphered, decrypt, decrypt_unverified
from ..gbt import GbtReceiver
from .events import (
    BytesSkipped,
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
    StreamNotDlms,
)
from .framing import CIPHERED_TAGS, LLCS, FrameScanner, LinkUnit, Skip
from .notification import SecurityHeader, data_notification, dsmr_notification
from .sniff import recognise

MAX_APDU: Final = 65536
MAX_STREAMS: Final = 16
SAMPLE_LENGTH: Final = 4096
RAW_IN_EVENT: Final = 256
NEW_SEQUENCE_AFTER: Final = 3
"""Increasing frame counters in a row, below the last accepted one, that show a new
sequence (the meter was replaced or its counter reset) rather than a replay."""


@dataclass(slots=True)
class PushStatistics:
    frames: int = 0
    notifications: int = 0
    failed: int = 0
    bytes_skipped: int = 0
    not_dlms: int = 0


@dataclass(slots=True)
class _Assembly:
    data: bytearray
    raw: bytearray
    sequence: int | None = None


class PushReceiver:
    """Receives one meter's push stream. ``framing`` fixes the framing (None: found from the
    bytes); ``keys`` decipher (``authentication_key`` set: tags are checked); ``profile``
    forces a format profile; ``system_title`` stands in for a meter that sends an empty one.
    """

    def __init__(
        self,
        *,
        framing: Framing | None = None,
        keys: SecurityKeys | None = None,
        profile: str | None = None,
        system_title: bytes | None = None,
        max_buffer: int = 65536,
    ) -> None:
        self.keys = keys
        self.profile = profile
        self.system_title = system_title
        self.statistics = PushStatistics()
        self._scanner = FrameScanner(framing, max_buffer=max_buffer)
        self._assemblies: dict[Hashable, _Assembly] = {}
        self._blocks: dict[Hashable, tuple[GbtReceiver, bytearray]] = {}
        self._last_counter: dict[bytes, int] = {}
        self._new_sequence: dict[bytes, tuple[int, int]] = {}
        self._skipped = bytearray()
        self._reported: set[str] = set()

    @property
    def framing(self) -> Framing | None:
        """The framing in use: the configured one, or the one found; None until found."""
        return self._scanner.locked

    @property
    def max_buffer(self) -> int:
        """The most bytes held while looking for a frame."""
        return self._scanner.max_buffer

    @property
    def pending(self) -> int:
        """Bytes held that do not make a frame yet."""
        return self._scanner.pending

    def connection_lost(self) -> None:
        """The bytes stopped (a bridge reconnected, a port re-opened): partial frames,
        segments and blocks are dropped; frame counters are kept."""
        self._scanner.reset()
        self._assemblies.clear()
        self._blocks.clear()
        self._skipped.clear()
        self._reported.clear()

    def receive_data(self, data: bytes) -> list[PushEvent]:
        return self._events(self._scanner.feed(bytes(data)))

    def line_idle(self) -> list[PushEvent]:
        """The line has been quiet for a while (the caller's clock: a few character times
        at least, 100 ms is plenty): the burst is over. Needed for bare APDUs whose end
        only the pause tells (Czech untyped bodies); a frame still incomplete is dropped."""
        return self._events(self._scanner.flush())

    def _events(self, items: list[LinkUnit | Skip]) -> list[PushEvent]:
        events: list[PushEvent] = []
        skipped: list[Skip] = []
        for item in items:
            if isinstance(item, Skip):
                skipped.append(item)
                continue
            self._flush_skipped(skipped, events)
            self.statistics.frames += 1
            self._skipped.clear()
            self._reported.clear()
            events.extend(self._unit(item))
        self._flush_skipped(skipped, events)
        return events

    # ---------------------------------------------------------------- skipped bytes

    def _flush_skipped(self, skipped: list[Skip], events: list[PushEvent]) -> None:
        if not skipped:
            return
        count = sum(skip.count for skip in skipped)
        raw = b"".join(skip.raw for skip in skipped)
        self.statistics.bytes_skipped += count
        events.append(BytesSkipped(count, skipped[0].reason, raw[:RAW_IN_EVENT]))
        skipped.clear()
        self._skipped += raw
        kind = recognise(bytes(self._skipped))
        if len(self._skipped) > SAMPLE_LENGTH:
            del self._skipped[: len(self._skipped) - SAMPLE_LENGTH]
        if kind is not None and kind not in self._reported:
            self._reported.add(kind)
            self.statistics.not_dlms += 1
            events.append(StreamNotDlms(kind, bytes(self._skipped[-RAW_IN_EVENT:])))

    # ---------------------------------------------------------------- assembly

    def _unit(self, unit: LinkUnit) -> list[PushEvent]:
        if unit.framing in (Framing.WRAPPER, Framing.RAW):
            return self._apdu(unit.framing, _without_llc(unit.data), unit.raw, unit.stream)
        if not unit.data:
            return []
        assembly = self._assemblies.pop(unit.stream, None)
        events: list[PushEvent] = []
        if unit.framing is Framing.MBUS:
            expected = None if assembly is None else (assembly.sequence or 0) + 1
            if unit.sequence != expected:
                if assembly is not None:
                    events.append(self._lost(assembly, "M-Bus segment missing"))
                assembly = None
                if unit.sequence != 0:
                    events.append(self._lost_unit(unit, "M-Bus segment without its first"))
                    return events
        if assembly is None:
            assembly = _Assembly(bytearray(), bytearray())
            if len(self._assemblies) >= MAX_STREAMS:
                self._assemblies.clear()
        assembly.data += unit.data
        assembly.raw += unit.raw
        assembly.sequence = unit.sequence
        if len(assembly.data) > MAX_APDU:
            events.append(self._lost(assembly, f"segments beyond {MAX_APDU} bytes"))
            return events
        if unit.more:
            self._assemblies[unit.stream] = assembly
            return events
        events.extend(
            self._apdu(
                unit.framing, _without_llc(bytes(assembly.data)), bytes(assembly.raw), unit.stream
            )
        )
        return events

    def _lost(self, assembly: _Assembly, reason: str) -> BytesSkipped:
        self.statistics.bytes_skipped += len(assembly.raw)
        return BytesSkipped(len(assembly.raw), reason, bytes(assembly.raw[:RAW_IN_EVENT]))

    def _lost_unit(self, unit: LinkUnit, reason: str) -> BytesSkipped:
        self.statistics.bytes_skipped += len(unit.raw)
        return BytesSkipped(len(unit.raw), reason, unit.raw[:RAW_IN_EVENT])

    # ---------------------------------------------------------------- APDUs

    def _apdu(self, framing: Framing, apdu: bytes, raw: bytes, stream: Hashable) -> list[PushEvent]:
        tag = apdu[0] if apdu else None
        if tag == GENERAL_BLOCK_TRANSFER_TAG:
            return self._block(framing, apdu, raw, stream)
        if tag in CIPHERED_TAGS:
            return [self._ciphered(framing, apdu, raw)]
        if tag == DATA_NOTIFICATION_TAG:
            return [self._plain(framing, apdu, raw, SecurityHeader())]
        what = "nothing" if tag is None else f"an APDU with tag 0x{tag:02X}"
        return [
            self._failed(DecodeError(f"{what} where a notification was expected"), framing, raw)
        ]

    def _block(
        self, framing: Framing, apdu: bytes, raw: bytes, stream: Hashable
    ) -> list[PushEvent]:
        try:
            block = GeneralBlockTransfer.decode(apdu)
            entry = self._blocks.get(stream)
            if entry is None or block.block_number == 1:
                entry = (GbtReceiver(max_size=MAX_APDU), bytearray())
                if len(self._blocks) >= MAX_STREAMS:
                    self._blocks.clear()
                self._blocks[stream] = entry
            receiver, blocks_raw = entry
            blocks_raw += raw
            joined = receiver.receive(block)
        except DecodeError as err:
            self._blocks.pop(stream, None)
            return [self._failed(err, framing, raw)]
        if joined is None:
            return []
        del self._blocks[stream]
        return self._apdu(framing, joined, bytes(blocks_raw), stream)

    def _ciphered(self, framing: Framing, apdu: bytes, raw: bytes) -> PushEvent:
        try:
            parsed = parse_ciphered_apdu(apdu)
        except DecodeError as err:
            return self._failed(err, framing, raw)
        title = parsed.system_title or self.system_title
        header = SecurityHeader(title, parsed.invocation_counter, parsed.content[0])
        try:
            if title is None:
                raise SecurityError(
                    "the meter sends an empty system title; give the meter's system title"
                )
            if self.keys is None or not self.keys.encryption_key:
                raise KeyRequired("the meter encrypts its data: the encryption key (EK) is needed")
            self._check_counter(title, parsed.invocation_counter)
            verified = parsed.control.authentication and bool(self.keys.authentication_key)
            plaintext = self._decipher(parsed, title, verified=verified)
            try:
                notification = self._notification(framing, plaintext, header)
            except DecodeError as err:
                if verified:
                    raise
                # Nothing vouched for the bytes: a plaintext without structure is a wrong key.
                raise WrongEncryptionKey(
                    "the encryption key (EK) does not decipher the meter's data"
                    " (the result is not a notification)"
                ) from err
        except DlmsError as err:
            return self._failed(err, framing, raw, header)
        self._accept_counter(title, parsed.invocation_counter)
        return self._received(notification, raw)

    def _decipher(self, parsed: CipheredApdu, title: bytes, *, verified: bool) -> bytes:
        assert self.keys is not None
        if not verified:
            return self._unverified(parsed, title).plaintext
        try:
            return decrypt(
                parsed.content, system_title=title, keys=self.keys, dedicated=parsed.dedicated
            ).plaintext
        except DecipheringError:
            unverified = self._unverified(parsed, title)
            if _structured(unverified.plaintext):
                raise AuthenticationTagMismatch(
                    "the authentication tag does not verify: the authentication key (AK) "
                    "is wrong, or the meter does not use one (leave it empty)"
                ) from None
            raise WrongEncryptionKey(
                "the encryption key (EK) does not decipher the meter's data"
            ) from None

    def _unverified(self, parsed: CipheredApdu, title: bytes) -> Deciphered:
        assert self.keys is not None
        return decrypt_unverified(
            parsed.content, system_title=title, keys=self.keys, dedicated=parsed.dedicated
        )

    def _plain(
        self, framing: Framing, apdu: bytes, raw: bytes, header: SecurityHeader
    ) -> PushEvent:
        try:
            notification = self._notification(framing, apdu, header)
        except DlmsError as err:
            return self._failed(err, framing, raw, header)
        return self._received(notification, raw)

    def _notification(self, framing: Framing, apdu: bytes, header: SecurityHeader) -> Notification:
        if apdu[:1] == bytes((DATA_NOTIFICATION_TAG,)):
            return data_notification(apdu, framing, profile=self.profile, security=header)
        if looks_like_telegram(apdu):
            return dsmr_notification(apdu, framing, security=header)
        tag = f"0x{apdu[0]:02X}" if apdu else "nothing"
        raise DecodeError(f"the meter sent {tag}, not a Data-Notification")

    def _received(self, notification: Notification, raw: bytes) -> NotificationReceived:
        self.statistics.notifications += 1
        return NotificationReceived(replace(notification, raw=raw))

    def _failed(
        self,
        error: DlmsError,
        framing: Framing,
        raw: bytes,
        header: SecurityHeader | None = None,
    ) -> NotificationFailed:
        self.statistics.failed += 1
        header = header or SecurityHeader()
        return NotificationFailed(
            error,
            framing,
            raw,
            header.system_title,
            header.frame_counter,
            header.security_control,
        )

    # ---------------------------------------------------------------- frame counters

    def _check_counter(self, title: bytes, counter: int) -> None:
        last = self._last_counter.get(title)
        if last is None or counter > last:
            self._new_sequence.pop(title, None)
            return
        previous, run = self._new_sequence.get(title, (None, 0))
        run = run + 1 if previous is not None and counter > previous else 1
        self._new_sequence[title] = (counter, run)
        if run >= NEW_SEQUENCE_AFTER:
            del self._new_sequence[title]
            del self._last_counter[title]
            return
        raise InvocationCounterError(
            f"frame counter {counter} is not above the last one taken ({last}): "
            "a replayed or reordered notification, not taken"
        )

    def _accept_counter(self, title: bytes, counter: int) -> None:
        last = self._last_counter.get(title)
        if last is None or counter > last:
            self._last_counter[title] = counter


def _without_llc(apdu: bytes) -> bytes:
    return apdu[3:] if apdu[:3] in LLCS else apdu


def _structured(plaintext: bytes) -> bool:
    """Whether a plaintext deciphered without a tag check is what a meter pushes: a
    notification that decodes, a DSMR telegram, or blocks of a transfer."""
    if looks_like_telegram(plaintext):
        return True
    if plaintext[:1] == bytes((GENERAL_BLOCK_TRANSFER_TAG,)):
        try:
            GeneralBlockTransfer.decode(plaintext)
        except DecodeError:
            return False
        return True
    try:
        data_notification(plaintext, Framing.RAW)
    except DlmsError:
        return False
    return True
