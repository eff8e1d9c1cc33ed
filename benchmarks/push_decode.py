"""Push decoding throughput: ours against amshan and dlms-cosem, on the real captures.

    .venv-lib/bin/pip install -r requirements_bench.txt    # the peers (not needed by CI)
    .venv-lib/bin/python -m benchmarks.push_decode [--seconds S] [--json]

Every vector of ``tests/captures/push-captures.json`` is decoded over and over, by each
decoder that can decode it, for about ``--seconds`` each; the figure is notifications per
second, and the ratio ours / peer. ``line /s`` is the physical limit: how many of these
frames the fastest push port (P1, 115200 Bd 8N1) can carry in a second. What each decoder
does per notification:

- ours: the bytes as framed on the line through ``PushReceiver`` (framing, reassembly,
  deciphering, header, body, shape, format profile and rendering): what a listener does.
- amshan 2.1.1 (the HACS push decoder): ``HdlcFrameReader`` for HDLC frames, then
  ``AutoDecoder.decode_message_payload`` on the LLC PDU; it knows the Norwegian and Swedish
  layouts (Aidon, Kaifa, Kamstrup) and no ciphering, so it is measured where it returns
  values.
- dlms-cosem 25.1.0: it has no push framing (no UI frames, no M-Bus), so it is given the
  APDU: ``GeneralGlobalCipher`` and ``security.decrypt`` when ciphered, then
  ``DataNotification.from_bytes`` and ``DlmsDataParser`` on the body (a tree, no OBIS
  naming). Its figure therefore leaves out framing, which ours includes.

Also: the cost of one notification of a 40-value list (``{OBIS, value, scaler_unit}``,
HDLC, segmented as the simulator sends it) through ``PushReceiver``, in microseconds.
A peer that is not installed is left out; the benchmark never fails for it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libdlms import Data, DataType, Obis, SecurityKeys
from libdlms.codecs import mbus
from libdlms.codecs.hdlc import FrameReader
from libdlms.codecs.xdlms import DataNotification
from libdlms.session.push import NotificationFailed, NotificationReceived, PushReceiver
from libdlms.translator import hdlc_apdus
from simulator.push import hdlc_frames

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "tests" / "captures" / "push-captures.json"


@dataclass
class Vector:
    id: str
    kind: str
    raw: bytes
    keys: SecurityKeys | None


FASTEST_LINE = 115_200
"""The fastest push port (P1 at 115200 Bd, 8N1: 10 bits a byte): the physical limit."""


@dataclass
class Row:
    id: str
    kind: str
    length: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)
    values: dict[str, int | None] = field(default_factory=dict)


def load_vectors() -> list[Vector]:
    vectors = []
    for item in json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]:
        keys = item.get("keys") or {}
        vectors.append(
            Vector(
                item["id"],
                item["kind"],
                bytes.fromhex(item["hex"].replace(" ", "")),
                SecurityKeys.from_hex(keys["ek"], keys.get("ak")) if keys.get("ek") else None,
            )
        )
    return vectors


def _apdu(vector: Vector) -> bytes:
    """The APDU the framing carries (what dlms-cosem is given): the receiver's own
    reassembly, deciphering left to the peer."""
    receiver = PushReceiver()
    (event,) = receiver.receive_data(vector.raw) + receiver.line_idle()
    if isinstance(event, NotificationReceived):
        return event.notification.apdu
    assert isinstance(event, NotificationFailed)
    framed = event.raw
    if vector.kind == "push-mbus":
        frames, pos = [], 0
        while pos < len(framed):
            length = mbus.frame_length(framed[pos:]) or len(framed)
            frames.append(mbus.decode_frame(framed[pos : pos + length]))
            pos += length
        return b"".join(frame.data for frame in frames)
    if vector.kind.startswith("push-hdlc"):
        reader = FrameReader()
        reader.feed(framed)
        return b"".join(apdu for _, apdu, _ in hdlc_apdus(list(reader)))
    return framed.removeprefix(b"\xe6\xe7\x00")


# ---------------------------------------------------------------------------- decoders


def ours(vector: Vector) -> Callable[[], int] | None:
    """The bytes as framed on the line through a new ``PushReceiver`` each time: framing,
    reassembly, deciphering, header, body, shape, format profile and rendering."""
    raw, keys = vector.raw, vector.keys

    def decode() -> int:
        receiver = PushReceiver(keys=keys)
        return sum(
            len(event.notification.values)
            for event in receiver.receive_data(raw) + receiver.line_idle()
            if isinstance(event, NotificationReceived)
        )

    return decode


def amshan(vector: Vector) -> Callable[[], int] | None:
    try:
        hdlc = importlib.import_module("han.hdlc")
        autodecoder = importlib.import_module("han.autodecoder")
    except ImportError:
        return None
    if vector.kind.startswith("push-hdlc"):

        def decode() -> int:
            decoder = autodecoder.AutoDecoder()
            count = 0
            for frame in hdlc.HdlcFrameReader(False).read(vector.raw):
                if frame.is_good_ffc and frame.payload:
                    count += len(decoder.decode_message_payload(frame.payload) or {})
            return count

    elif vector.kind == "push-llc":

        def decode() -> int:
            decoded = autodecoder.AutoDecoder().decode_message_payload(vector.raw)
            return len(decoded or {})

    else:
        return None
    return decode


def dlms_cosem(vector: Vector) -> Callable[[], int] | None:
    try:
        notification = importlib.import_module("dlms_cosem.protocol.xdlms.data_notification")
        cipher = importlib.import_module("dlms_cosem.protocol.xdlms.general_global_cipher")
        security = importlib.import_module("dlms_cosem.security")
        dlms_data = importlib.import_module("dlms_cosem.dlms_data")
    except ImportError:
        return None
    apdu = _apdu(vector)
    keys = vector.keys

    def leaves(value: Any) -> int:
        inner = getattr(value, "value", value)
        if isinstance(inner, list):
            return sum(leaves(item) for item in inner)
        return 1

    def decode() -> int:
        plain = apdu
        if plain[:1] == b"\xdb":
            if keys is None:
                return 0
            ciphered = cipher.GeneralGlobalCipher.from_bytes(plain)
            plain = security.decrypt(
                security_control=ciphered.security_control,
                system_title=ciphered.system_title,
                invocation_counter=ciphered.invocation_counter,
                key=keys.encryption_key,
                auth_key=keys.authentication_key or bytes(16),
                cipher_text=ciphered.ciphered_text,
            )
        parsed = notification.DataNotification.from_bytes(plain)
        return sum(leaves(item) for item in dlms_data.DlmsDataParser().parse(parsed.body))

    return decode


DECODERS: dict[str, Callable[[Vector], Callable[[], int] | None]] = {
    "ours": ours,
    "amshan": amshan,
    "dlms-cosem": dlms_cosem,
}


def _rate(decode: Callable[[], int], seconds: float) -> float:
    """Notifications per second: the best of five rounds of ``seconds / 5``."""
    rates = []
    for _ in range(5):
        count, start = 0, time.perf_counter()
        end = start + seconds / 5
        while (now := time.perf_counter()) < end:
            decode()
            count += 1
        rates.append(count / (now - start))
    return max(rates)


def run(seconds: float = 0.5) -> list[Row]:
    rows = []
    for vector in load_vectors():
        row = Row(vector.id, vector.kind, len(vector.raw))
        for name, make in DECODERS.items():
            decode = _peer(make, vector)
            values = None
            if decode is not None:
                try:
                    values = decode()
                except Exception:  # a peer that cannot decode this frame
                    decode = None
            if decode is None or not values:
                row.rates[name], row.values[name] = None, None
                continue
            row.values[name] = values
            row.rates[name] = _rate(decode, seconds)
        rows.append(row)
    return rows


def _peer(
    make: Callable[[Vector], Callable[[], int] | None], vector: Vector
) -> Callable[[], int] | None:
    try:
        return make(vector)
    except Exception:  # a peer that cannot even set up for it
        return None


def forty_values(repeat: int = 2000) -> dict[str, float]:
    """Microseconds per notification of a 40-value list, ours (APDU to Notification)."""
    items = [
        Data(
            DataType.STRUCTURE,
            [
                Data(DataType.OCTET_STRING, Obis(1, 0, n, 7, 0, 255).to_bytes()),
                Data(DataType.DOUBLE_LONG_UNSIGNED, 1000 * n),
                Data(DataType.STRUCTURE, [Data(DataType.INTEGER, -1), Data(DataType.ENUM, 27)]),
            ],
        )
        for n in range(1, 41)
    ]
    apdu = DataNotification(1, None, Data(DataType.ARRAY, items)).encode()
    frames = hdlc_frames(apdu, max_info_length=128)
    raw = b"".join(frames)
    receiver = PushReceiver()
    samples = []
    values = 0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat // 5):
            for event in receiver.receive_data(raw):
                if isinstance(event, NotificationReceived):
                    values = len(event.notification.values)
        samples.append((time.perf_counter() - start) / (repeat // 5) * 1e6)
    return {
        "values": values,
        "frames": len(frames),
        "us_per_notification": min(samples),
    }


def markdown(rows: list[Row], forty: dict[str, float]) -> str:
    lines = [
        "| capture | framing | line /s | ours /s | amshan /s | dlms-cosem /s | ours/line"
        " | ours/amshan | ours/dlms-cosem |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f}"

    def ratio(a: float | None, b: float | None) -> str:
        return "—" if a is None or b is None else f"{a / b:.1f}x"

    ratios: dict[str, list[float]] = {"amshan": [], "dlms-cosem": []}
    for row in rows:
        ours_rate = row.rates.get("ours")
        for peer, found in ratios.items():
            peer_rate = row.rates.get(peer)
            if ours_rate and peer_rate:
                found.append(ours_rate / peer_rate)
        line = FASTEST_LINE / 10 / row.length
        lines.append(
            f"| {row.id} | {row.kind} | {line:,.0f} | {rate(ours_rate)} | "
            f"{rate(row.rates.get('amshan'))} | "
            f"{rate(row.rates.get('dlms-cosem'))} | {ratio(ours_rate, line)} | "
            f"{ratio(ours_rate, row.rates.get('amshan'))} | "
            f"{ratio(ours_rate, row.rates.get('dlms-cosem'))} |"
        )
    for peer, values in ratios.items():
        if values:
            lines.append(
                f"\nours/{peer}: median {statistics.median(values):.1f}x, "
                f"min {min(values):.1f}x over {len(values)} captures both decode"
            )
    lines.append(
        f"\n40-value list ({forty['frames']:g} HDLC frames): "
        f"{forty['us_per_notification']:.0f} µs per notification (ours)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="per decoder and capture")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.seconds)
    forty = forty_values()
    if args.json:
        print(
            json.dumps(
                {
                    "captures": [row.__dict__ for row in rows],
                    "forty_values": forty,
                },
                indent=2,
            )
        )
    else:
        print(markdown(rows, forty))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
