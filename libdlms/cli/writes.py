"""``dlms write``, ``dlms call`` and ``dlms sync-clock``: SET one attribute, ACTION one
method, set the meter's clock (contract in ``docs/design.md``).

Values are the translator's JSON (``{"type": "long-unsigned", "value": 5}``), checked before
anything is sent. A refusal is one line, ``{"object": …, "error": "<the standard's
data-access-result or action-result in kebab case>"}``, and exit status 1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any

from ..client import DlmsClient
from ..client.clock_sync import CLOCK_TIME, ClockSyncRefused, synchronise_clock
from ..codecs.axdr import Data, data_from_json
from ..codecs.xdlms import (
    AttributeDescriptor,
    MethodDescriptor,
    action_result_name,
    data_access_result_name,
)
from ..errors import ActionError, DataAccessError, DecodeError, DlmsError, EncodeError
from ..obis import Obis

EXIT_OK, EXIT_REFUSED = 0, 1
CAPTURE_PERIOD = AttributeDescriptor(7, Obis(1, 0, 99, 1, 0, 255), 4)
ClientFactory = Callable[[argparse.Namespace], Awaitable[DlmsClient]]


class WriteUsageError(Exception):
    pass


def add_write_parsers(commands: Any, connection_options: Callable[[Any], None]) -> None:
    write = commands.add_parser("write", help="SET one attribute (a typed JSON value)")
    connection_options(write)
    write.add_argument("object", metavar="CLASS/OBIS/ATTRIBUTE")
    write.add_argument("value", metavar="JSON", help='e.g. {"type": "long-unsigned", "value": 5}')
    call = commands.add_parser("call", help="ACTION one method, with an optional JSON parameter")
    connection_options(call)
    call.add_argument("method", metavar="CLASS/OBIS/METHOD")
    call.add_argument("parameter", metavar="JSON", nargs="?")
    sync = commands.add_parser(
        "sync-clock", help="set the meter's clock (0-0:1.0.0) to this machine's time"
    )
    connection_options(sync)
    sync.add_argument(
        "--allow-gap",
        action="store_true",
        help="set the clock even when it is off by a load-profile capture period or more "
        "(the profile then loses or repeats the intervals in between)",
    )


def _value(text: str) -> Data:
    try:
        return data_from_json(json.loads(text))
    except (ValueError, EncodeError) as err:
        raise WriteUsageError(f"not a value: {err}") from None


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload), flush=True)


async def write(args: argparse.Namespace, make_client: ClientFactory) -> int:
    try:
        descriptor = AttributeDescriptor.parse(args.object)
    except DecodeError as err:
        raise WriteUsageError(str(err)) from None
    value = _value(args.value)
    async with await make_client(args) as client:
        try:
            await client.set(descriptor, value)
        except DataAccessError as err:
            _print({"object": str(descriptor), "error": data_access_result_name(err.result)})
            return EXIT_REFUSED
    _print({"object": str(descriptor), "result": "success"})
    return EXIT_OK


async def call(args: argparse.Namespace, make_client: ClientFactory) -> int:
    try:
        method = MethodDescriptor.parse(args.method)
    except DecodeError as err:
        raise WriteUsageError(str(err)) from None
    parameter = _value(args.parameter) if args.parameter else None
    async with await make_client(args) as client:
        try:
            returned = await client.action(method, parameter)
        except ActionError as err:
            _print({"object": str(method), "error": action_result_name(err.result)})
            return EXIT_REFUSED
        except DataAccessError as err:
            _print({"object": str(method), "error": data_access_result_name(err.result)})
            return EXIT_REFUSED
    _print(
        {
            "object": str(method),
            "result": "success",
            "return": None if returned is None else returned.to_json(),
        }
    )
    return EXIT_OK


async def sync_clock(args: argparse.Namespace, make_client: ClientFactory) -> int:
    """shift_time when the meter offers it and the offset is within its range, else a SET
    of the time; never across a capture of the load profile 1-0:99.1.0 (its capture period
    read first, when the meter has one): the move waits for it, a minute at most."""
    async with await make_client(args) as client:
        try:
            period = (await client.get(CAPTURE_PERIOD)).value
        except DlmsError:
            period = None  # no load profile: no boundary to respect
        try:
            done = await synchronise_clock(
                client,
                capture_period=float(period) if isinstance(period, int) else None,
                allow_gap=args.allow_gap,
            )
        except DataAccessError as err:
            _print({"object": str(CLOCK_TIME), "error": data_access_result_name(err.result)})
            return EXIT_REFUSED
        except ClockSyncRefused as err:
            _print({"object": str(CLOCK_TIME), "error": str(err)})
            return EXIT_REFUSED
    _print(done.to_json())
    return EXIT_OK
