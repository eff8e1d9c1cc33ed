"""``dlms write``, ``dlms call`` and ``dlms sync-clock``: SET one attribute, ACTION one
method, set the meter's clock (contract in ``docs/design.md``).

Values are the translator's JSON (``{"type": "long-unsigned", "value": 5}``), checked before
anything is sent. A refusal is one line, ``{"object": …, "error": "<the standard's
data-access-result or action-result in kebab case>"}``, and exit status 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..client import DlmsClient
from ..codecs.axdr import Data, DataType, data_from_json
from ..codecs.xdlms import (
    AttributeDescriptor,
    MethodDescriptor,
    action_result_name,
    data_access_result_name,
)
from ..cosem.clock import CosemDateTime
from ..errors import ActionError, DataAccessError, DecodeError, EncodeError
from ..obis import Obis

EXIT_OK, EXIT_REFUSED = 0, 1
CLOCK = Obis(0, 0, 1, 0, 0, 255)
CLOCK_TIME = AttributeDescriptor(8, CLOCK, 2)
SHIFT_TIME = MethodDescriptor(8, CLOCK, 6)
SHIFT_LIMIT_S = 900  # shift_time takes -900..900 seconds
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


async def _offset(client: DlmsClient) -> float:
    """The meter's clock minus ours, in seconds (to the read's round trip)."""
    data = await client.get(CLOCK_TIME)
    if not isinstance(data.value, bytes):
        raise DecodeError("the clock's time is not an octet string")
    meter = CosemDateTime.from_bytes(data.value).to_datetime(dt.datetime.now().astimezone().tzinfo)
    return (meter - dt.datetime.now(dt.UTC)).total_seconds()


async def sync_clock(args: argparse.Namespace, make_client: ClientFactory) -> int:
    """shift_time when the meter offers it and the offset is within its range (the clock
    moves by the difference and no more); else a SET of the time."""
    async with await make_client(args) as client:
        before = await _offset(client)
        method = "shift_time"
        try:
            if abs(before) > SHIFT_LIMIT_S:
                raise ActionError("beyond shift_time's range", result=-1)
            await client.action(SHIFT_TIME, Data(DataType.LONG, -round(before)))
        except ActionError:
            method = "set"
            now = dt.datetime.fromtimestamp(time.time()).astimezone()
            stamp = CosemDateTime.from_datetime(now.replace(microsecond=0))
            try:
                await client.set(CLOCK_TIME, Data(DataType.OCTET_STRING, stamp.to_bytes()))
            except DataAccessError as err:
                _print({"object": str(CLOCK_TIME), "error": data_access_result_name(err.result)})
                return EXIT_REFUSED
        after = await _offset(client)
    _print(
        {
            "offset_before_s": round(before, 3),
            "offset_after_s": round(after, 3),
            "method": method,
        }
    )
    return EXIT_OK
