"""From captured bytes to whole APDUs. Reassembly comes before decoding, because segment
and block boundaries fall inside data elements.

- HDLC: the information fields of I and UI frames are joined per direction (destination
  and source address). An APDU starts with the LLC (``E6 E6 00``/``E6 E7 00``), which is
  removed, and goes on while frames carry the segmentation bit. A UI frame without the
  segmentation bit whose successor in the same direction carries no LLC is continued by
  it (GBT pushed in UI frames, the LLC in the first frame only: L+G E450). When the
  capture ends on a segmented frame, that APDU is shown as hex with ``"incomplete": true``.
- Wrapper (IEC 62056-47): each PDU carries one APDU; ``wrapper`` lists the headers.
- General-Block-Transfer: consecutive GBT APDUs in one direction are collected by block
  number (``session.gbt.GbtReceiver``) and, once every block up to the last one is there,
  replaced by the APDU they carry. ``blocks`` then lists the GBT APDUs; an incomplete
  transfer keeps its blocks as APDUs of their own. Several blocks back to back in one
  payload are cut apart first.

The result has ``apdu`` when the bytes amount to one APDU, ``apdus`` (a list, in order)
when they amount to several.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..codecs import mbus
from ..codecs.hdlc import LLC_REQUEST, LLC_RESPONSE, Frame, FrameReader, FrameType
from ..codecs.wrapper import split_wrapper
from ..codecs.xdlms import GENERAL_BLOCK_TRANSFER_TAG, GeneralBlockTransfer, split_blocks
from ..errors import DecodeError, FrameError
from ..session.gbt import GbtReceiver
from .apdu import apdu_name, describe_apdu
from .context import NO_KEYS, CaptureContext, DescribeContext

_LLCS = (LLC_REQUEST, LLC_RESPONSE)
_GBT = bytes((GENERAL_BLOCK_TRANSFER_TAG,))


@dataclass
class _Assembly:
    key: Hashable
    payload: bytearray = field(default_factory=bytearray)
    segmented: bool = False  # the last frame had the segmentation bit
    ui: bool = False  # the last frame was a UI frame


def hdlc_apdus(frames: list[Frame]) -> list[tuple[Hashable, bytes, bool]]:
    """The APDUs the I and UI frames carry, LLC removed, each with its direction and
    whether it is complete (False when the capture ends on a segmented frame)."""
    assemblies: list[_Assembly] = []
    current: dict[Hashable, _Assembly] = {}
    for frame in frames:
        if frame.frame_type not in (FrameType.I, FrameType.UI) or not frame.information:
            continue
        key = (frame.destination.raw, frame.source.raw)
        info = frame.information
        ui = frame.frame_type is FrameType.UI
        assembly = current.get(key)
        # A segmented frame is always continued; an unsegmented UI frame only by a UI
        # frame without an LLC; an unsegmented I frame ends its APDU.
        if assembly is None or not (
            assembly.segmented or (assembly.ui and ui and info[:3] not in _LLCS)
        ):
            if info[:3] in _LLCS:
                info = info[3:]
            assembly = _Assembly(key)
            assemblies.append(assembly)
            current[key] = assembly
        assembly.payload += info
        assembly.segmented = frame.segmented
        assembly.ui = ui
    return [(a.key, bytes(a.payload), not a.segmented) for a in assemblies if a.payload]


def describe_hdlc(raw: bytes, context: DescribeContext = NO_KEYS) -> dict[str, Any]:
    reader = FrameReader()
    reader.feed(raw)
    frames = list(reader)
    if not frames:
        raise DecodeError("no complete HDLC frame found")
    result: dict[str, Any] = {"frames": [frame.to_json() for frame in frames]}
    if all(frame.valid for frame in frames):
        units = hdlc_apdus(frames)
        incomplete = {i for i, (_, _, complete) in enumerate(units) if not complete}
        apdus = [(key, apdu) for key, apdu, _ in units]
        result |= describe_apdus(apdus, incomplete, context)
    return result


def describe_wrapper(raw: bytes, context: DescribeContext = NO_KEYS) -> dict[str, Any]:
    pdus = split_wrapper(raw)
    result: dict[str, Any] = {"wrapper": [pdu.header.to_json() for pdu in pdus]}
    apdus: list[tuple[Hashable, bytes]] = [
        ((pdu.source_wport, pdu.destination_wport), pdu.apdu) for pdu in pdus if pdu.apdu
    ]
    return result | describe_apdus(apdus, context=context)


def split_mbus(raw: bytes) -> list[mbus.MbusFrame]:
    """Consecutive M-Bus long frames filling ``raw`` exactly; ``FrameError`` otherwise."""
    frames: list[mbus.MbusFrame] = []
    pos = 0
    while pos < len(raw):
        length = mbus.frame_length(raw[pos:])
        if length is None or pos + length > len(raw):
            raise FrameError(f"M-Bus frame at offset {pos} is cut off")
        frames.append(mbus.decode_frame(raw[pos : pos + length]))
        pos += length
    return frames


def looks_like_mbus(raw: bytes) -> bool:
    try:
        split_mbus(raw)
    except DecodeError:
        return False
    return True


def describe_mbus(raw: bytes, context: DescribeContext = NO_KEYS) -> dict[str, Any]:
    """M-Bus long frames: each frame's header, and the APDU their segments make up (one
    per run of frames ending in a last segment)."""
    frames = split_mbus(raw)
    result: dict[str, Any] = {
        "mbus_frames": [
            {
                "control": frame.control,
                "address": frame.address,
                "ci": frame.ci,
                "sequence": frame.sequence,
                "last_segment": frame.last_segment,
                "stsap": frame.stsap,
                "dtsap": frame.dtsap,
                "data": frame.data.hex(),
            }
            for frame in frames
        ]
    }
    apdus: list[tuple[Hashable, bytes]] = []
    pending = b""
    for frame in frames:
        pending += frame.data
        if frame.last_segment:
            apdus.append(((frame.stsap, frame.dtsap), pending))
            pending = b""
    incomplete = {len(apdus)} if pending else set()
    if pending:
        apdus.append((None, pending))
    return result | describe_apdus(apdus, incomplete, context)


def _split_gbt_runs(
    apdus: list[tuple[Hashable, bytes]], incomplete: Collection[int]
) -> list[tuple[Hashable, bytes, bool]]:
    """A payload of several GBT APDUs back to back becomes one entry per block."""
    out: list[tuple[Hashable, bytes, bool]] = []
    for index, (key, apdu) in enumerate(apdus):
        if index in incomplete:
            out.append((key, apdu, False))
            continue
        if apdu[:1] == _GBT:
            try:
                out.extend((key, block, True) for block in split_blocks(apdu))
            except DecodeError:
                pass  # not a clean run: decoded as one APDU, which reports the problem
            else:
                continue
        out.append((key, apdu, True))
    return out


def _incomplete(apdu: bytes) -> dict[str, Any]:
    """The start of an APDU whose last segment is not in the capture: not decoded."""
    return {"tag": apdu_name(apdu[0]), "hex": apdu.hex(), "incomplete": True}


def describe_apdus(
    apdus: list[tuple[Hashable, bytes]],
    incomplete: Collection[int] = (),
    context: DescribeContext = NO_KEYS,
) -> dict[str, Any]:
    """Describe APDUs in order, with GBT transfers reassembled per direction. The APDUs
    at the ``incomplete`` indexes are shown as hex only. An AARQ or AARE tells how to
    decipher the APDUs after it (``CaptureContext``)."""
    capture = CaptureContext(context)
    items: list[dict[str, Any] | None] = []
    blocks: list[dict[str, Any]] = []
    runs: dict[Hashable, tuple[GbtReceiver, list[tuple[int, bytes]]]] = {}

    def flush(key: Hashable) -> None:
        """An incomplete transfer: its blocks stay APDUs of their own."""
        _, pending = runs.pop(key)
        for index, block in pending:
            items[index] = describe_apdu(block, capture.for_direction(key))

    def whole(key: Hashable, apdu: bytes) -> dict[str, Any]:
        described = describe_apdu(apdu, capture.for_direction(key))
        capture.learn(key, apdu)
        return described

    for key, apdu, complete in _split_gbt_runs(apdus, incomplete):
        if not complete or apdu[:1] != _GBT:
            if key in runs:
                flush(key)
            items.append(whole(key, apdu) if complete else _incomplete(apdu))
            continue
        block = GeneralBlockTransfer.decode(apdu)
        if key not in runs:
            runs[key] = (GbtReceiver(), [])
        receiver, pending = runs[key]
        items.append(None)
        pending.append((len(items) - 1, apdu))
        try:
            joined = receiver.receive(block)
        except DecodeError:
            flush(key)
            continue
        if joined is not None:
            if not joined:  # nothing was carried: keep the blocks as they are
                flush(key)
                continue
            runs.pop(key)
            blocks.extend(describe_apdu(b, capture.for_direction(key)) for _, b in pending)
            items[pending[0][0]] = whole(key, joined)
    for key in list(runs):
        flush(key)
    described = [item for item in items if item is not None]
    result: dict[str, Any] = {}
    if blocks:
        result["blocks"] = blocks
    if len(described) == 1:
        result["apdu"] = described[0]
    elif described:
        result["apdus"] = described
    return result
