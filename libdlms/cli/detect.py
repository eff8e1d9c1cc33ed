"""``dlms detect URL``: how the meter on URL talks, found with nothing else given.

Contract (``docs/design.md``, "detect"): it listens for pushed data first (each serial
setting push meters use, for one push interval each, on a port whose speed is ours; once
through a TCP bridge), then polls with the public client, direct HDLC then the mode E
sign-on, at the physical addresses 17, 1, 16, 0 and those of the meter presets, each with
every address size that can carry it (``--physical N`` first). No password or key is ever
tried. Prints one JSON object and exits 0, or exits 1 with ``{"error", "tried"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..client.detection import NothingDetected, detect

EXIT_OK, EXIT_NOTHING = 0, 1


def add_detect_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "detect",
        help="find out how the meter on URL talks (push or poll, settings, addresses)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="serial device, socket://host:port, rfc2217://… or host:port")
    parser.add_argument(
        "--seconds",
        type=float,
        help="how long to listen at each serial setting (default: one push interval, 10 s)",
    )
    parser.add_argument(
        "--physical",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="a server physical address to try first (repeatable)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="say each attempt on stderr as it starts"
    )


async def run_detect(args: argparse.Namespace) -> int:
    def progress(text: str) -> None:
        if args.verbose:
            print(text, file=sys.stderr, flush=True)

    found = await detect(
        args.url,
        listen_seconds=args.seconds,
        physical_first=args.physical,
        progress=progress,
    )
    print(json.dumps(found.to_json()), flush=True)
    return EXIT_NOTHING if isinstance(found, NothingDetected) else EXIT_OK
