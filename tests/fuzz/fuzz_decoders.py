"""Fuzz every decoder of the library and the translator.

    .venv-lib/bin/python -m tests.fuzz.fuzz_decoders --seconds 60
    scripts/py314 .venv/bin/python -m tests.fuzz.fuzz_decoders --seconds 60
    scripts/py314 .venv/bin/python -m tests.fuzz.fuzz_decoders --atheris -- -max_total_time=60

The default mode needs nothing beyond the library: a mutational fuzzer that starts from
the published vectors and from encodings of every APDU the library builds, and mutates them
(bit flips, interesting bytes, lying long-form lengths, cuts, inserts, splices of two
inputs). Without coverage it uses the outcomes as feedback: an input that makes any
target end in a way not seen before (returns, or raises a given error with a given message
shape) joins the corpus.

Every input goes to every target. Anything but a ``DlmsError`` (or an input taking longer
than ``--timeout`` seconds) stops the run: the target, the exception and the reproducing hex
are printed, and the exit status is 1. Otherwise the number of inputs run is printed and
the exit status is 0.

``--atheris`` runs the same targets under atheris (coverage-guided, libFuzzer), when it is
installed (``pip install atheris``; not a test requirement). Arguments after ``--`` go to
libFuzzer.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import random
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

Target = Callable[[bytes], object]
CAPTURES = Path(__file__).resolve().parents[1] / "captures" / "push-captures.json"

INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFE, 0xFF)
LYING_LENGTHS = (
    b"\x84\xff\xff\xff\xff",
    b"\x84\x7f\xff\xff\xff",
    b"\x83\x01\x00\x00",
    b"\x82\xff\xff",
    b"\x81\xff",
    b"\x80",
    b"\x85\x00\x00\x00\x00\x01",
    b"\x7f",
)


class Timeout(Exception):  # reported, never caught as a DlmsError
    pass


# ---------------------------------------------------------------------------- targets


def load_targets() -> dict[str, Target]:
    """Import the library (inside atheris' instrumentation when it is active)."""
    from libdlms import security
    from libdlms.client.detection import ListenWindow
    from libdlms.codecs import acse, axdr, hdlc, wrapper, xdlms
    from libdlms.cosem import interface_classes, selective_access
    from libdlms.cosem.clock import CosemDateTime
    from libdlms.cosem.push.payload import decode_payload, read_push_body
    from libdlms.errors import DlmsError, RemoteProtocolError
    from libdlms.session.association import Association
    from libdlms.session.gbt import GbtReceiver
    from libdlms.session.link import HdlcLink
    from libdlms.session.mode_e import ModeESignOn
    from libdlms.session.push import Framing, PushReceiver
    from libdlms.session.wrapper_link import WrapperLink
    from libdlms.translator import describe

    keys = security.SecurityKeys(
        bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
        bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
    )
    dedicated = security.SecurityKeys(
        keys.encryption_key,
        keys.authentication_key,
        dedicated_key=bytes.fromhex("202122232425262728292A2B2C2D2E2F"),
    )
    system_title = bytes.fromhex("4D4D4D0000BC614E")
    attributes = [
        (spec.class_id, number)
        for spec in interface_classes.CLASSES.values()
        for number in spec.attributes
    ]

    def frame_reader(data: bytes) -> None:
        reader = hdlc.FrameReader()
        reader.feed(data)
        list(reader)

    def link(data: bytes) -> None:
        session = HdlcLink(hdlc.HdlcAddress.client(16), hdlc.HdlcAddress.server(1, 17))
        session.connect()
        session.receive_data(data)

    def wrapper_link(data: bytes) -> None:
        """A stream out of step is an error the link names; datagrams never raise."""
        stream = WrapperLink(16, 1)
        stream.connect()
        with contextlib.suppress(RemoteProtocolError):
            for pos in range(0, len(data), 5):
                stream.receive_data(data[pos : pos + 5])
        datagrams = WrapperLink(16, 1, datagrams=True)
        datagrams.connect()
        datagrams.receive_data(data)

    def listen_window(data: bytes) -> None:
        """Detection's judgement of a listen, on whatever the receiver made of the bytes."""
        window = ListenWindow()
        receiver = PushReceiver()
        window.data_received(len(data))
        window.feed(receiver.receive_data(data))
        window.feed(receiver.line_idle())
        window.burst_ended()
        assert window.summary

    def association(data: bytes) -> None:
        session = Association()
        session.associate()
        session.data_to_send()
        session.receive_data(data)

    def mode_e(data: bytes) -> None:
        sign_on = ModeESignOn()
        sign_on.start()
        sign_on.data_to_send()
        sign_on.receive_data(data)

    def wrapper_stream(data: bytes) -> None:
        reader = wrapper.WrapperReader()
        reader.feed(data)
        list(reader)

    def gbt_transfer(data: bytes) -> None:
        receiver = GbtReceiver()
        for block in xdlms.split_blocks(data):
            receiver.receive(xdlms.GeneralBlockTransfer.decode(block))
            if receiver.ack_due:
                receiver.ack()

    def apdu_json(data: bytes) -> None:
        xdlms.decode_apdu(data).to_json()

    def attribute(data: bytes) -> None:
        value = axdr.decode_data(data)
        for class_id, number in attributes:
            with contextlib.suppress(DlmsError):
                interface_classes.parse_attribute(class_id, number, value)

    def date_time(data: bytes) -> None:
        CosemDateTime.from_bytes(data).to_datetime()

    def decipher(data: bytes) -> None:
        security.decipher_apdu(data, keys=keys, system_title=system_title)

    def push_receiver(data: bytes) -> None:
        """The receiver never raises for what a line sends: whole, then in odd chunks, with
        and without keys, and with a framing forced."""
        for receiver in (PushReceiver(), PushReceiver(keys=keys)):
            receiver.receive_data(data)
            receiver.line_idle()
        chunked = PushReceiver(keys=keys)
        for pos in range(0, len(data), 7):
            chunked.receive_data(data[pos : pos + 7])
        chunked.line_idle()
        assert chunked.pending <= chunked.max_buffer
        raw = PushReceiver(framing=Framing.RAW)
        raw.receive_data(data)
        raw.line_idle()

    def push_payload(data: bytes) -> None:
        decode_payload(read_push_body(data)).tree  # noqa: B018

    def translator(data: bytes) -> None:
        for kind in ("auto", "hdlc", "wrapper", "apdu", "data", "iec"):
            with contextlib.suppress(DlmsError):
                describe(data, kind)
        with contextlib.suppress(DlmsError):
            describe(data, keys=keys, system_title=system_title)
        with contextlib.suppress(DlmsError):  # titles and the dedicated key from an AARQ
            describe(data, keys=keys)
        with contextlib.suppress(DlmsError):
            describe(data, keys=dedicated, system_title=system_title)

    return {
        "hdlc.decode_frame": hdlc.decode_frame,
        "hdlc.FrameReader": frame_reader,
        "hdlc.HdlcParameters": hdlc.HdlcParameters.decode,
        "hdlc.HdlcParameters.read": hdlc.HdlcParameters.read,
        "session.HdlcLink": link,
        "axdr.decode_data": axdr.decode_data,
        "acse.Aarq": acse.Aarq.decode,
        "acse.Aare": acse.Aare.decode,
        "acse.ReleaseRequest": acse.ReleaseRequest.decode,
        "acse.ReleaseResponse": acse.ReleaseResponse.decode,
        "xdlms.decode_apdu": xdlms.decode_apdu,
        "xdlms.Apdu.to_json": apdu_json,
        "xdlms.decode_get_data_results": xdlms.decode_get_data_results,
        "xdlms.AccessSelection": xdlms.AccessSelection.decode,
        "selective_access.RangeDescriptor": selective_access.RangeDescriptor.decode,
        "selective_access.EntryDescriptor": selective_access.EntryDescriptor.decode,
        "interface_classes.parse_attribute": attribute,
        "session.Association": association,
        "session.ModeESignOn": mode_e,
        "wrapper.split_wrapper": wrapper.split_wrapper,
        "wrapper.WrapperReader": wrapper_stream,
        "session.WrapperLink": wrapper_link,
        "detection.ListenWindow": listen_window,
        "session.GbtReceiver": gbt_transfer,
        "security.parse_ciphered_apdu": security.parse_ciphered_apdu,
        "security.decipher_apdu": decipher,
        "cosem.CosemDateTime": date_time,
        "translator.describe": translator,
        "push.PushReceiver": push_receiver,
        "push.read_push_body": push_payload,
    }


def _dlms_error() -> type[Exception]:
    from libdlms.errors import DlmsError

    return DlmsError


# ---------------------------------------------------------------------------- seeds


def seeds() -> list[bytes]:
    """The published vectors, and one encoding of every APDU, frame and PDU we build."""
    from libdlms.codecs import acse, hdlc, wrapper, xdlms
    from libdlms.codecs.axdr import BitString, Data, DataType
    from libdlms.cosem import interface_classes, selective_access
    from libdlms.obis import Obis

    from ..lib.vectors import load_vectors

    found = [bytes.fromhex(v["hex"]) for v in load_vectors()]
    clock = xdlms.AttributeDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 2)
    method = xdlms.MethodDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 1)
    value = Data(
        DataType.STRUCTURE,
        [
            Data(DataType.OCTET_STRING, bytes(12)),
            Data(DataType.ARRAY, [Data(DataType.DOUBLE_LONG_UNSIGNED, 5)] * 3),
            Data(DataType.BIT_STRING, BitString(b"\xa0", 3)),
            Data(DataType.FLOAT32, 1.5),
            Data(DataType.FLOAT64, -0.25),
            Data(DataType.UTF8_STRING, "Zähler"),
            Data(DataType.LONG64, -1),
            Data(DataType.DATE_TIME, bytes(12)),
        ],
    )
    block = xdlms.DataBlockSA(False, 1, bytes(range(40)))
    selection = selective_access.RangeDescriptor(
        interface_classes.CaptureObjectDefinition(8, Obis(0, 0, 1, 0, 0, 255), 2),
        Data(DataType.OCTET_STRING, bytes(12)),
        Data(DataType.OCTET_STRING, bytes(12)),
    ).encode()
    apdus: list[Any] = [
        xdlms.GetRequestWithList((clock, clock), 0xC1, (selection, None)),
        xdlms.SetRequestNormal(clock, value, 0xC1, selection),
        xdlms.SetRequestWithFirstDatablock(clock, block),
        xdlms.SetRequestWithDatablock(block),
        xdlms.SetRequestWithList((clock,), (value,)),
        xdlms.SetRequestWithListAndFirstDatablock((clock,), block),
        xdlms.SetResponseLastDatablockWithList((0, 1), 2),
        xdlms.SetResponseWithList((0, 3)),
        xdlms.ActionRequestNormal(method, value),
        xdlms.ActionRequestWithList((method, method), (value, value)),
        xdlms.ActionRequestWithFirstPblock(method, block),
        xdlms.ActionRequestWithListAndFirstPblock((method,), block),
        xdlms.ActionRequestWithPblock(block),
        xdlms.ActionResponseWithList(
            (
                xdlms.ActionResponseWithOptionalData(0, value),
                xdlms.ActionResponseWithOptionalData(0, xdlms.DataAccessResult.OTHER_REASON),
            )
        ),
        xdlms.ActionResponseWithPblock(block),
        xdlms.DataNotification(0xC0000001, bytes(12), value),
        xdlms.EventNotificationRequest(clock, value, bytes(12)),
        xdlms.ExceptionResponse(1, 6, 1234),
        xdlms.ConfirmedServiceError(1, 6, 1),
        acse.Aarq(
            acse.ApplicationContext.LOGICAL_NAME_WITH_CIPHERING,
            acse.Mechanism.HIGH_GMAC,
            bytes(8),
            bytes(16),
            xdlms.InitiateRequest().encode(),
        ),
    ]
    encoded = [apdu.encode() for apdu in apdus]
    payload = xdlms.GetResponseNormal(value).encode()
    gbt_blocks = [
        xdlms.GeneralBlockTransfer(n == 3, n < 3, 2, n, 0, payload[(n - 1) * 20 : n * 20 or None])
        for n in (1, 2, 3)
    ]
    encoded.append(b"".join(b.encode() for b in gbt_blocks))
    client, server = hdlc.HdlcAddress.client(16), hdlc.HdlcAddress.server(1, 866, size=4)
    frames = [
        hdlc.encode_frame(
            hdlc.FrameType.I,
            client,
            server,
            information=hdlc.LLC_RESPONSE + encoded[1][:30],
            segmented=True,
        ),
        hdlc.encode_frame(hdlc.FrameType.I, client, server, information=encoded[1][30:]),
        hdlc.encode_frame(
            hdlc.FrameType.UI,
            client,
            server,
            information=hdlc.LLC_RESPONSE + gbt_blocks[0].encode(),
        ),
        hdlc.encode_frame(hdlc.FrameType.RR, server, client, receive_sequence=3),
    ]
    encoded.append(b"".join(frames))
    encoded.append(wrapper.encode_wrapper(1, 16, encoded[0]))
    encoded.append(selective_access.EntryDescriptor(1, 10, 2, 3).encode())
    encoded.append(_ciphered_association(clock))
    captures = json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]
    pushed = [bytes.fromhex(vector["hex"].replace(" ", "")) for vector in captures]
    return found + encoded + pushed


def _ciphered_association(read: Any) -> bytes:
    """An AARQ whose glo-initiateRequest carries a dedicated key, then a ded- GET: the
    translator learns the key and the client's system title from the first frame."""
    from libdlms.codecs import acse, hdlc, xdlms
    from libdlms.security import SecurityControl, SecurityKeys, cipher_apdu

    keys = SecurityKeys(
        bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
        bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
        dedicated_key=bytes.fromhex("202122232425262728292A2B2C2D2E2F"),
    )
    title = bytes.fromhex("4D4D4D0000000001")

    def cipher(plain: bytes, kind: Any, counter: int) -> bytes:
        control = SecurityControl.from_byte(0x30)
        return cipher_apdu(
            plain,
            kind=kind,
            control=control,
            system_title=title,
            invocation_counter=counter,
            keys=keys,
        )

    initiate = xdlms.InitiateRequest(dedicated_key=keys.dedicated_key).encode()
    aarq = acse.Aarq(
        acse.ApplicationContext.LOGICAL_NAME_WITH_CIPHERING,
        acse.Mechanism.HIGH_GMAC,
        title,
        bytes(8),
        cipher(initiate, "glo", 1),
    ).encode()
    request = cipher(xdlms.GetRequestNormal(read).encode(), "ded", 2)
    client, server = hdlc.HdlcAddress.client(16), hdlc.HdlcAddress.server(1, 17)
    return b"".join(
        hdlc.encode_frame(hdlc.FrameType.I, server, client, information=hdlc.LLC_REQUEST + apdu)
        for apdu in (aarq, request)
    )


# ---------------------------------------------------------------------------- mutation


def mutate(rng: random.Random, data: bytes, corpus: list[bytes], max_length: int) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 8))):
        position = rng.randrange(len(out) + 1)
        action = rng.randrange(10)
        if action == 0 and out:  # flip a bit
            position = min(position, len(out) - 1)
            out[position] ^= 1 << rng.randrange(8)
        elif action == 1 and out:  # an interesting byte
            position = min(position, len(out) - 1)
            out[position] = rng.choice(INTERESTING_BYTES)
        elif action == 2 and out:  # a random byte
            position = min(position, len(out) - 1)
            out[position] = rng.randrange(256)
        elif action == 3:  # a lying long-form length
            out[position : position + rng.randrange(2)] = rng.choice(LYING_LENGTHS)
        elif action == 4:  # cut
            del out[position:]
        elif action == 5 and out:  # delete a range
            del out[position : position + rng.randint(1, 8)]
        elif action == 6:  # insert random bytes
            out[position:position] = rng.randbytes(rng.randint(1, 8))
        elif action == 7 and out:  # duplicate a chunk
            start = rng.randrange(len(out))
            out[position:position] = out[start : start + rng.randint(1, 32)]
        elif action == 8:  # splice with another input
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            out[position:] = other[cut:]
        elif action == 9 and out:  # bump a byte (counts, lengths, choices)
            position = min(position, len(out) - 1)
            out[position] = (out[position] + rng.choice((-2, -1, 1, 2))) & 0xFF
    return bytes(out[:max_length])


# Numbers and hex dumps: tokens of hex digits with a decimal digit among them, or long.
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]*\d[0-9a-fA-F]*\b|\b[0-9a-fA-F]{6,}\b")
_QUOTED = re.compile(r"b?'.*|b?\".*")  # a quoted value runs to the end of a message


def _outcome(error: BaseException | None) -> str:
    """What happened, without the numbers: the feedback that stands in for coverage."""
    if error is None:
        return "ok"
    text = _QUOTED.sub("…", str(error))  # the bytes a message quotes are no new outcome
    return f"{type(error).__name__}:{_NUMBERS.sub('#', text)[:60]}"


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: FrameType | None) -> None:
        raise Timeout(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Slowest:
    """The slowest (target, input) pair seen: how long, which target, the input."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.target = ""
        self.data = b""

    def update(self, seconds: float, target: str, data: bytes) -> None:
        if seconds > self.seconds:
            self.seconds, self.target, self.data = seconds, target, data

    def __str__(self) -> str:
        shown = self.data[:48].hex() + ("…" if len(self.data) > 48 else "")
        return (
            f"slowest input: {self.seconds * 1000:.2f} ms in {self.target} "
            f"({len(self.data)} bytes: {shown})"
        )


def run_one(
    targets: dict[str, Target],
    data: bytes,
    timeout: float | None,
    slowest: Slowest | None = None,
) -> set[str]:
    """Every target on ``data``; returns the outcomes. A non-DlmsError is re-raised with
    the target's name attached."""
    dlms_error = _dlms_error()
    outcomes: set[str] = set()
    for name, target in targets.items():
        started = time.perf_counter()
        try:
            if timeout is None:
                target(data)
            else:
                with _time_limit(timeout):
                    target(data)
        except dlms_error as err:
            outcomes.add(f"{name}|{_outcome(err)}")
        except Exception as err:
            err.add_note(f"target {name}, input {data.hex()}")
            raise
        else:
            outcomes.add(f"{name}|ok")
        finally:
            if slowest is not None:
                slowest.update(time.perf_counter() - started, name, data)
    return outcomes


def fuzz(seconds: float, seed: int, max_length: int, timeout: float) -> int:
    targets = load_targets()
    rng = random.Random(seed)
    corpus = [s[:max_length] for s in seeds()]
    seen: set[str] = set()
    slowest = Slowest()
    count = 0
    start = time.monotonic()
    deadline = start + seconds
    next_report = start + 10
    try:
        for data in corpus:  # the seeds themselves first
            seen |= run_one(targets, data, timeout, slowest)
            count += 1
        while time.monotonic() < deadline:
            if rng.random() < 0.05:
                data = rng.randbytes(rng.randint(0, 64))
            else:
                data = mutate(rng, rng.choice(corpus), corpus, max_length)
            outcomes = run_one(targets, data, timeout, slowest)
            count += 1
            if not outcomes <= seen:
                seen |= outcomes
                corpus.append(data)
            now = time.monotonic()
            if now >= next_report:
                print(
                    f"{count} inputs, {now - start:.0f} s, corpus {len(corpus)}, "
                    f"outcomes {len(seen)}",
                    flush=True,
                )
                next_report = now + 10
    except Exception as err:  # the finding
        print(f"FAILURE after {count} inputs: {err!r}", flush=True)
        for note in getattr(err, "__notes__", ()):
            print(note, flush=True)
        import traceback

        traceback.print_exception(err)
        return 1
    elapsed = time.monotonic() - start
    print(
        f"ran {count} inputs through {len(targets)} targets in {elapsed:.0f} s "
        f"({count / elapsed:.0f}/s, seed {seed}): no failure; corpus {len(corpus)}, "
        f"distinct outcomes {len(seen)}",
        flush=True,
    )
    print(slowest, flush=True)
    return 0


def fuzz_atheris(libfuzzer_args: list[str]) -> int:
    try:
        atheris = importlib.import_module("atheris")
    except ImportError:
        print("atheris is not installed: pip install atheris", file=sys.stderr)
        return 2
    with atheris.instrument_imports():
        targets = load_targets()
    dlms_error = _dlms_error()

    def one_input(data: bytes) -> None:
        for target in targets.values():
            with contextlib.suppress(dlms_error):
                target(data)

    corpus_dir = [a for a in libfuzzer_args if not a.startswith("-")]
    if not corpus_dir:
        print("hint: pass a corpus directory after -- to start from the vectors", file=sys.stderr)
    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()
    return 0


def write_corpus(directory: str) -> int:
    """Write the seeds as files, for atheris/libFuzzer to start from."""
    from pathlib import Path

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for index, data in enumerate(seeds()):
        (path / f"seed-{index:03d}").write_bytes(data)
    print(f"wrote {len(seeds())} seeds to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.fuzz_decoders")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument("--max-length", type=int, default=4096)
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="seconds one input may take in one target"
    )
    parser.add_argument("--atheris", action="store_true", help="coverage-guided, with atheris")
    parser.add_argument("--write-corpus", metavar="DIR", help="write the seeds and exit")
    parser.add_argument("libfuzzer_args", nargs="*", help="after --: arguments for libFuzzer")
    args = parser.parse_args(argv)
    if args.write_corpus:
        return write_corpus(args.write_corpus)
    if args.atheris:
        return fuzz_atheris(args.libfuzzer_args)
    seed = args.seed if args.seed is not None else int(time.time())
    return fuzz(args.seconds, seed, args.max_length, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
