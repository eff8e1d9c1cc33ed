"""``dlms read | objects | probe | decode | listen | detect | write | call | sync-clock``.

Exit status: 0 success, 1 a read or decode failed, 2 bad usage or no connection.
Errors are one line (JSON with ``--json``), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..client import (
    ClientSettings,
    DlmsClient,
    KeptSession,
    MeterReader,
    ObjectReading,
    read_invocation_counter,
    read_object_list,
)
from ..codecs.acse import Mechanism
from ..codecs.xdlms import AttributeDescriptor
from ..cosem.clock import CosemDateTime
from ..errors import DecodeError, DlmsError, NoLinkError
from ..obis import Obis
from ..security import SecurityKeys, SecurityPolicy
from ..translator import KINDS, describe
from ..transport import transport_for_url
from .detect import add_detect_parser, run_detect
from .listen import ListenUsageError, add_listen_parser, listen
from .writes import WriteUsageError, add_write_parsers, call, sync_clock, write

EXIT_OK, EXIT_READ_FAILED, EXIT_USAGE = 0, 1, 2
SERIAL_NUMBER = Obis(0, 0, 96, 1, 0, 255)
# The mechanisms the command line offers (manufacturer-specific HLS is no one's to offer).
AUTH_NAMES = [m.cli_name for m in Mechanism if m is not Mechanism.HIGH]


class UsageError(Exception):
    pass


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url",
        help="serial device, socket://host:port, rfc2217://… or host:port (HDLC); "
        "tcp://host:port or udp://host:port (the DLMS wrapper: --client-address and "
        "--server-logical are the wPorts)",
    )
    parser.add_argument(
        "--baudrate", type=int, default=9600, help="line speed; with --mode-e the highest to accept"
    )
    parser.add_argument(
        "--mode-e", action="store_true", help="IEC 62056-21 mode E sign-on at 300 Bd first"
    )
    parser.add_argument("--client-address", type=int, default=16)
    parser.add_argument("--server-logical", type=int, default=1)
    parser.add_argument("--server-physical", type=int, default=17)
    parser.add_argument("--address-size", type=int, choices=(1, 2, 4))
    parser.add_argument("--auth", choices=AUTH_NAMES, default="none")
    parser.add_argument("--password")
    parser.add_argument("--security-suite", type=int, choices=(0, 1, 2), default=0)
    parser.add_argument(
        "--security",
        choices=[policy.value for policy in SecurityPolicy],
        default=SecurityPolicy.NONE.value,
    )
    parser.add_argument("--ek")
    parser.add_argument("--ak")
    parser.add_argument("--system-title")
    parser.add_argument("--invocation-counter", metavar="OBIS")
    parser.add_argument("--max-info-length", type=int)
    parser.add_argument("--timeout", type=float, default=5.0, help="response timeout in seconds")
    parser.add_argument(
        "--retries", type=int, default=2, help="times to send a frame again on silence"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlms", description="DLMS/COSEM meter tool")
    commands = parser.add_subparsers(dest="command", required=True)

    read = commands.add_parser("read", help="read attributes from a meter")
    _add_connection_options(read)
    read.add_argument("objects", nargs="+", metavar="OBJECT", help="CLASS/OBIS/ATTRIBUTE or OBIS")
    read.add_argument("--repeat", type=int, default=1)
    read.add_argument("--interval", type=float, default=0.0)
    read.add_argument("--keep-open", action="store_true", help="keep the association between polls")

    objects = commands.add_parser("objects", help="list the meter's objects")
    _add_connection_options(objects)

    probe = commands.add_parser(
        "probe", help="find the addresses and authentication the meter accepts"
    )
    _add_connection_options(probe)
    probe.add_argument(
        "--physical-candidates",
        default="17,1,16,0",
        help="server physical addresses to try, in order (default 17,1,16,0: AM550 first)",
    )

    decode = commands.add_parser(
        "decode",
        help="describe bytes (HDLC, APDU, A-XDR data)",
        description="Describe captured bytes as JSON: HDLC frames, wrapper PDUs, APDUs "
        "(reassembled), A-XDR data or IEC 62056-21 messages. With keys, ciphered APDUs are "
        "deciphered. ded- APDUs (dedicated ciphering) need the dedicated key: --dk, or the "
        "AARQ earlier in the same capture, whose InitiateRequest carries it (then --ek and "
        "--ak suffice, and the AARQ and AARE also give each side's system title).",
    )
    decode.add_argument("hex")
    decode.add_argument(
        "--as",
        dest="kind",
        choices=KINDS,
        default="auto",
    )
    decode.add_argument("--ek", help="global encryption key (hex)")
    decode.add_argument("--ak", help="authentication key (hex)")
    decode.add_argument("--dk", help="dedicated key (hex), for ded- APDUs; needs --ek")
    decode.add_argument("--system-title", help="the sender's system title (hex)")
    add_listen_parser(commands)
    add_detect_parser(commands)
    add_write_parsers(commands, _add_connection_options)
    return parser


DEFAULT_CLIENT_SYSTEM_TITLE = b"DLMSCLI0"


def _hex_option(value: str | None, name: str) -> bytes | None:
    if value is None:
        return None
    try:
        return bytes.fromhex(value.replace(" ", "").replace(":", ""))
    except ValueError:
        raise UsageError(f"{name} must be hexadecimal") from None


def _settings(args: argparse.Namespace) -> ClientSettings:
    mechanism = Mechanism.from_name(args.auth)
    if mechanism is Mechanism.HIGH_ECDSA:
        raise UsageError("not supported yet: --auth hls-ecdsa (needs certificates)")
    if mechanism.needs_secret and not args.password:
        raise UsageError(f"--auth {args.auth} needs --password (the LLS password or HLS secret)")
    ek = _hex_option(args.ek, "--ek")
    ak = _hex_option(args.ak, "--ak")
    keys = None
    if ek is not None:
        keys = SecurityKeys(ek, ak)
    elif args.security != SecurityPolicy.NONE or mechanism is Mechanism.HIGH_GMAC:
        raise UsageError("--security and --auth hls-gmac need --ek (and usually --ak)")
    system_title = _hex_option(args.system_title, "--system-title") or DEFAULT_CLIENT_SYSTEM_TITLE
    try:
        settings = ClientSettings(
            client_address=args.client_address,
            server_logical_address=args.server_logical,
            server_physical_address=args.server_physical,
            address_size=args.address_size,
            mechanism=mechanism,
            password=args.password.encode()
            if args.password and mechanism is not Mechanism.NONE
            else None,
            max_info_length=args.max_info_length,
            response_timeout=args.timeout,
            retries=args.retries,
            mode_e=args.mode_e,
            mode_e_max_baudrate=args.baudrate,
            security_policy=SecurityPolicy(args.security),
            security_suite=args.security_suite,
            keys=keys,
            client_system_title=system_title,
            writes=bool(getattr(args, "writes", False)),
        )
        # Check the combination now (key lengths, policy): a usage error, not a link error.
        settings.association_settings()
    except DlmsError as err:
        raise UsageError(str(err)) from None
    return settings


async def _client(args: argparse.Namespace) -> DlmsClient:
    """A client for the options; with ``--invocation-counter OBIS`` the counter is first
    read from the meter with the public client (client 16, no security)."""
    settings = _settings(args)
    counter = None
    if args.invocation_counter:
        counter = await read_invocation_counter(
            transport_for_url(args.url, baudrate=args.baudrate),
            settings,
            Obis.parse(args.invocation_counter),
        )
    return DlmsClient(
        transport_for_url(args.url, baudrate=args.baudrate), settings, counter=counter
    )


def _parse_object(text: str) -> AttributeDescriptor | Obis:
    if "/" in text:
        return AttributeDescriptor.parse(text)
    return Obis.parse(text)


class _Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def line(self, payload: dict[str, Any], text: str) -> None:
        print(json.dumps(payload, default=str) if self.as_json else text, flush=True)

    def error(self, message: str) -> None:
        if self.as_json:
            print(json.dumps({"error": message}), flush=True)
        else:
            print(f"error: {message}", file=sys.stderr, flush=True)


def _reading_text(reading: ObjectReading) -> str:
    if reading.error:
        return f"{reading.ref}  error: {reading.error}"
    scaled = reading.scaled_value
    if scaled is not None:
        unit = f" {reading.unit}" if reading.unit else ""
        return f"{reading.ref}  {scaled}{unit}"
    shown = reading.display_value()
    if isinstance(shown, CosemDateTime):
        shown = str(shown)
    return f"{reading.ref}  {shown}"


async def _read(args: argparse.Namespace, out: _Output) -> int:
    wanted = [_parse_object(text) for text in args.objects]
    reader = MeterReader()
    template = await _client(args)  # settings checked and the counter read once
    counter = template.association.counter

    def make_client() -> DlmsClient:
        return DlmsClient(template.transport, template.settings, counter=counter)

    refs: list[AttributeDescriptor] = []

    async def poll(client: DlmsClient) -> list[ObjectReading]:
        if not refs:
            refs.extend(await _resolve(client, wanted))
        return await reader.read(client, refs)

    # --keep-open: one association for all polls, re-made if the meter drops it.
    session = KeptSession(make_client)
    failed = False
    try:
        for number in range(max(1, args.repeat)):
            if number and args.interval:
                await asyncio.sleep(args.interval)
            for reading in await session.run(poll):
                failed |= reading.error is not None
                out.line(reading.to_json(), _reading_text(reading))
            if not args.keep_open:
                await session.close()
    finally:
        await session.close()
    return EXIT_READ_FAILED if failed else EXIT_OK


async def _resolve(
    client: DlmsClient, wanted: Sequence[AttributeDescriptor | Obis]
) -> list[AttributeDescriptor]:
    """Bare OBIS codes take their class from the association's object list, attribute 2."""
    classes: dict[Obis, int] | None = None
    refs = []
    for item in wanted:
        if isinstance(item, AttributeDescriptor):
            refs.append(item)
            continue
        if classes is None:
            classes = {e.logical_name: e.class_id for e in await read_object_list(client)}
        if item not in classes:
            raise UsageError(f"{item.dotted} is not in the meter's object list")
        refs.append(AttributeDescriptor(classes[item], item, 2))
    return refs


async def _objects(args: argparse.Namespace, out: _Output) -> int:
    async with await _client(args) as client:
        for element in await read_object_list(client):
            out.line(
                element.to_json(),
                f"{element.class_id:>3}  {element.logical_name.reduced:<18} v{element.version}",
            )
    return EXIT_OK


# Client addresses worth trying: the public client needs no authentication; the
# management (1) and reader (32) clients usually want LLS.
_PROBE_CLIENTS = (
    (16, Mechanism.NONE),
    (1, Mechanism.LOW),
    (32, Mechanism.LOW),
    (1, Mechanism.NONE),
)


async def _probe(args: argparse.Namespace, out: _Output) -> int:
    """Try the usual address and authentication combinations, shortest first; report
    each attempt and what worked, so a user knows what to type into Home Assistant."""
    base = _settings(args)
    password = args.password.encode() if args.password else None
    try:
        physicals = [int(p) for p in args.physical_candidates.split(",") if p.strip()]
    except ValueError:
        raise UsageError("--physical-candidates takes numbers separated by commas") from None
    if args.server_physical not in physicals:
        physicals.insert(0, args.server_physical)
    found = 0
    for physical in physicals:
        for client_address, mechanism in _PROBE_CLIENTS:
            if mechanism is Mechanism.LOW and password is None:
                continue
            settings = replace(
                base,
                client_address=client_address,
                server_physical_address=physical,
                mechanism=mechanism,
                password=password if mechanism is Mechanism.LOW else None,
                retries=0,
            )
            attempt: dict[str, Any] = {
                "client_address": client_address,
                "server_logical": settings.server_logical_address,
                "server_physical": physical,
                "auth": mechanism.cli_name,
            }
            client = DlmsClient(transport_for_url(args.url, baudrate=args.baudrate), settings)
            try:
                async with client:
                    serial = await client.get(AttributeDescriptor(1, SERIAL_NUMBER, 2))
            except NoLinkError:
                out.line({**attempt, "result": "no answer"}, _probe_text(attempt, "no answer"))
                break  # nobody at this physical address: the other clients won't help
            except DlmsError as err:
                out.line({**attempt, "result": str(err)}, _probe_text(attempt, str(err)))
                continue
            found += 1
            serial_text = ObjectReading(
                AttributeDescriptor(1, SERIAL_NUMBER), serial
            ).display_value()
            out.line(
                {**attempt, "result": "accepted", "serial_number": serial_text},
                _probe_text(attempt, f"accepted, serial number {serial_text}"),
            )
    return EXIT_OK if found else EXIT_READ_FAILED


def _probe_text(attempt: dict[str, Any], result: str) -> str:
    return (
        f"client {attempt['client_address']:>2}  server {attempt['server_logical']}/"
        f"{attempt['server_physical']:<4} auth {attempt['auth']:<4}  {result}"
    )


WRITE_COMMANDS = {"write": write, "call": call, "sync-clock": sync_clock}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = _Output(getattr(args, "json", True) or args.command == "decode")
    try:
        if args.command == "decode":
            try:
                raw = bytes.fromhex(args.hex.replace(" ", "").replace(":", ""))
            except ValueError:
                out.error("not hexadecimal")
                return EXIT_READ_FAILED
            keys = None
            ek = _hex_option(args.ek, "--ek")
            dk = _hex_option(args.dk, "--dk")
            if ek is not None:
                try:
                    keys = SecurityKeys(ek, _hex_option(args.ak, "--ak"), dedicated_key=dk)
                except DlmsError as err:
                    raise UsageError(str(err)) from None
            elif dk is not None:
                raise UsageError("--dk needs --ek (and usually --ak)")
            system_title = _hex_option(args.system_title, "--system-title")
            out.line(describe(raw, args.kind, keys=keys, system_title=system_title), "")
            return EXIT_OK
        if args.command == "listen":
            return asyncio.run(listen(args))
        if args.command == "detect":
            return asyncio.run(run_detect(args))
        if args.command in WRITE_COMMANDS:
            args.writes = True
            return asyncio.run(WRITE_COMMANDS[args.command](args, _client))
        if args.command == "read":
            return asyncio.run(_read(args, out))
        if args.command == "probe":
            return asyncio.run(_probe(args, out))
        return asyncio.run(_objects(args, out))
    except (UsageError, ListenUsageError, WriteUsageError) as err:
        out.error(str(err))
        return EXIT_USAGE
    except DecodeError as err:
        out.error(str(err))
        return EXIT_READ_FAILED
    except DlmsError as err:
        out.error(str(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head`: not an error of ours; silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
