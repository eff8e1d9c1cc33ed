"""Garbled input raises only the library's own errors, in bounded time: every vector
truncated at every length and mutated at random (seeded, so failures reproduce)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from libdlms.codecs import acse, xdlms
from libdlms.codecs.axdr import decode_data
from libdlms.codecs.hdlc import FrameReader, decode_frame
from libdlms.errors import DecodeError, DlmsError
from libdlms.session.association import Association
from libdlms.session.link import HdlcLink
from libdlms.translator import describe

from .vectors import load_vectors

SEEDS = 200


def _feed_reader(data: bytes) -> None:
    reader = FrameReader()
    reader.feed(data)
    list(reader)


def _association(data: bytes) -> None:
    association = Association()
    association.associate()
    association.receive_data(data)


def _link(data: bytes) -> None:
    from libdlms.codecs.hdlc import HdlcAddress

    link = HdlcLink(HdlcAddress.client(16), HdlcAddress.server(1, 17))
    link.connect()
    link.receive_data(data)


DECODERS: list[Callable[[bytes], Any]] = [
    decode_frame,
    _feed_reader,
    _link,
    decode_data,
    acse.Aarq.decode,
    acse.Aare.decode,
    acse.ReleaseRequest.decode,
    xdlms.decode_get_request,
    xdlms.decode_get_response,
    xdlms.decode_get_data_results,
    xdlms.InitiateRequest.decode,
    xdlms.InitiateResponse.decode,
    _association,
    describe,
]


def _inputs() -> list[bytes]:
    vectors = [bytes.fromhex(v["hex"]) for v in load_vectors()]
    rng = random.Random(62056)
    inputs: list[bytes] = []
    for raw in vectors:
        inputs.extend(raw[:cut] for cut in range(0, len(raw), max(1, len(raw) // 40)))
        for _ in range(SEEDS // 10):
            mutated = bytearray(raw)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            inputs.append(bytes(mutated))
    # Lying lengths: huge counts and lengths with almost nothing behind them.
    inputs += [
        b"\x01\x84\xff\xff\xff\xff",
        b"\x09\x84\x7f\xff\xff\xff\x00",
        b"\x13\x01\xff\xff\x11",
    ]
    inputs += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) for _ in range(SEEDS)]
    return inputs


@pytest.mark.parametrize("decoder", DECODERS, ids=lambda d: getattr(d, "__qualname__", str(d)))
def test_garbage_raises_only_library_errors(decoder: Callable[[bytes], Any]) -> None:
    inputs = _inputs()
    for data in inputs:
        try:
            decoder(data)
        except DlmsError:
            pass
        except Exception as err:  # pragma: no cover - the failure report
            pytest.fail(f"{decoder.__qualname__}({data.hex()}) raised {err!r}")


@pytest.mark.parametrize(
    "hex_input",
    [
        # Found by the fuzzer: a compact-array whose description is an array (49,795) of
        # arrays (49,152) of dont-care: 2.4 billion values from no content bytes at all.
        "1301c28301c000ff05060708090a0b0c0d0e0f10111213ed15161718181a1b1c1d1e1f2021222324252627",
        # The element itself of zero size; an array of null-data.
        "130002",
        "130101000000",
    ],
)
def test_compact_array_of_zero_size_values_is_refused_at_once(hex_input: str) -> None:
    started = time.perf_counter()
    with pytest.raises(DecodeError, match=r"zero-size|zero size"):
        decode_data(bytes.fromhex(hex_input))
    assert time.perf_counter() - started < 0.1
