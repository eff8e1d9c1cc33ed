"""``dlms listen URL``: one JSON line per pushed notification, flushed as it arrives.

Contract (``docs/design.md``, "listen"): a notification is ``Notification.to_json()``; a
notification that cannot be deciphered or decoded is an error line that still carries
``framing``, ``system_title`` and ``frame_counter``; bytes that do not decode are
``{"error", "framing", "hex"}`` and listening goes on. ``--count N`` exits 0 after N
notifications, ``--timeout S`` exits 1 with an error line when nothing decodable came for
S seconds. A port that cannot be opened at first is exit 2 (no connection); once it was
open, a lost connection is said on stderr and the listener reconnects by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Final

from ..client.listener import Connected, Disconnected, ListenerEvent, PushListener
from ..errors import DlmsError
from ..security import SecurityKeys
from ..session.push.events import (
    BytesSkipped,
    Framing,
    NotificationFailed,
    NotificationReceived,
    StreamNotDlms,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PARITY_NAMES: Final = {"none": "N", "even": "E", "odd": "O"}
FRAMING_NAMES: Final = ("auto", *(framing.value for framing in Framing))


class ListenUsageError(Exception):
    pass


def add_listen_parser(commands: Any) -> None:
    listen = commands.add_parser(
        "listen",
        help="print what a push meter sends, one JSON line per notification",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen.add_argument("url", help="serial device, socket://host:port, rfc2217://… or host:port")
    listen.add_argument("--baudrate", type=int, default=2400)
    listen.add_argument("--parity", choices=tuple(PARITY_NAMES), default="none")
    listen.add_argument("--framing", choices=FRAMING_NAMES, default="auto")
    listen.add_argument("--ek", help="encryption key (hex)")
    listen.add_argument("--ak", help="authentication key (hex): the GCM tag is then checked")
    listen.add_argument("--profile", help="force a format profile (default: picked by shape)")
    listen.add_argument("--count", type=int, help="exit 0 after N notifications")
    listen.add_argument(
        "--timeout", type=float, help="exit 1 when nothing decodable came for S seconds"
    )


def _hex(value: str | None, name: str) -> bytes | None:
    if value is None:
        return None
    try:
        return bytes.fromhex(value.replace(" ", "").replace(":", ""))
    except ValueError:
        raise ListenUsageError(f"{name} must be hexadecimal") from None


def listener_for(args: argparse.Namespace) -> PushListener:
    """The listener the options describe; bad options are a ``ListenUsageError``."""
    ek = _hex(args.ek, "--ek")
    ak = _hex(args.ak, "--ak")
    if ak is not None and ek is None:
        raise ListenUsageError("--ak needs --ek")
    if args.count is not None and args.count < 1:
        raise ListenUsageError("--count must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise ListenUsageError("--timeout must be positive")
    try:
        keys = None
        if ek is not None:
            keys = SecurityKeys(ek, ak)
            for key in (ek, ak):
                if key is not None and len(key) not in (16, 32):
                    raise ListenUsageError("keys are 16 bytes (32 hex digits), or 32 for suite 2")
        return PushListener(
            args.url,
            baudrate=args.baudrate,
            parity=PARITY_NAMES[args.parity],
            framing=None if args.framing == "auto" else Framing(args.framing),
            keys=keys,
            profile=args.profile,
        )
    except DlmsError as err:
        raise ListenUsageError(str(err)) from None


def event_line(event: ListenerEvent, framing: Framing | None) -> dict[str, Any] | None:
    """The stdout line for ``event`` (None: nothing for stdout). ``framing`` is the one the
    receiver locked onto, for bytes that did not decode."""
    if isinstance(event, NotificationReceived):
        return event.notification.to_json()
    if isinstance(event, NotificationFailed):
        return event.to_json()
    if isinstance(event, BytesSkipped):
        return {
            "error": f"{event.count} bytes skipped: {event.reason}",
            "framing": None if framing is None else str(framing),
            "hex": event.raw.hex().upper(),
        }
    if isinstance(event, StreamNotDlms):
        return {
            "error": f"not DLMS: the stream looks like {event.kind} (check baud rate and parity)",
            "framing": None,
            "hex": event.sample.hex().upper(),
        }
    return None


def _print(line: dict[str, Any]) -> None:
    print(json.dumps(line, default=str), flush=True)


async def _next(events: AsyncIterator[ListenerEvent], deadline: float | None) -> ListenerEvent:
    if deadline is None:
        return await anext(events)
    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
        return await anext(events)


async def listen(args: argparse.Namespace) -> int:
    listener = listener_for(args)
    events: AsyncGenerator[ListenerEvent, None] = listener.events()
    received = 0
    ever_connected = False
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    try:
        while True:
            try:
                event = await _next(events, deadline)
            except TimeoutError:
                _print({"error": f"nothing decodable came for {args.timeout:g} s"})
                return EXIT_FAILED
            if isinstance(event, Connected):
                ever_connected = True
                continue
            if isinstance(event, Disconnected):
                if not ever_connected:
                    _print({"error": str(event.error)})
                    return EXIT_USAGE
                print(
                    f"listen: {event.error}; reconnecting in {event.retry_in:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            line = event_line(event, listener.receiver.framing)
            if line is not None:
                _print(line)
            if isinstance(event, NotificationReceived):
                received += 1
                if args.timeout is not None:
                    deadline = time.monotonic() + args.timeout
                if args.count is not None and received >= args.count:
                    return EXIT_OK
    finally:
        await listener.close()
        await events.aclose()
