"""``scripts/dlms simulate [--port N] [options]``: run the meter simulator until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from dataclasses import replace

from libdlms import Mechanism, SecurityKeys, SecurityPolicy

from .meter import SimulatedMeter
from .pty import PtyMeterSimulator
from .push import FRAMINGS, PtyPushSimulator, PushMeter, PushSettings, PushShape, PushSimulator
from .server import MeterSimulator
from .session import Faults, ServerSettings
from .uart import UartSettings
from .udp import UdpMeterSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlms simulate", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=4059, help="TCP port on 127.0.0.1 (default 4059)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--pty", action="store_true", help="serve on a pseudo-terminal (a local serial path)"
    )
    parser.add_argument(
        "--wrapper",
        choices=("tcp", "udp"),
        help="serve the DLMS wrapper (IEC 62056-47) over TCP or UDP instead of HDLC "
        "(tcp:// or udp:// URLs; the server wPort is --server-logical)",
    )
    parser.add_argument("--server-logical", type=int, default=1)
    parser.add_argument("--server-physical", type=int, default=17)
    parser.add_argument("--address-size", type=int, choices=(1, 2, 4))
    parser.add_argument("--password", help="the LLS password or HLS secret to require")
    parser.add_argument(
        "--auth",
        choices=[m.cli_name for m in Mechanism if m not in (Mechanism.HIGH, Mechanism.HIGH_ECDSA)],
        default="none",
        help="the authentication to require (lls is implied by --password alone)",
    )
    parser.add_argument(
        "--security",
        choices=[policy.value for policy in SecurityPolicy],
        default=SecurityPolicy.NONE.value,
    )
    parser.add_argument("--security-suite", type=int, choices=(0, 1, 2), default=0)
    parser.add_argument("--ek", help="global unicast encryption key (hex)")
    parser.add_argument("--ak", help="authentication key (hex)")
    parser.add_argument("--system-title", default="444C4D53494D3031", help="the meter's (hex)")
    parser.add_argument("--max-info-length", type=int, default=128)
    parser.add_argument("--max-pdu-size", type=int, default=256)
    parser.add_argument("--mode-e", action="store_true", help="require the IEC 62056-21 sign-on")
    parser.add_argument("--serial-number", default="12345678")
    parser.add_argument(
        "--writable",
        action="store_true",
        help="offer writes: the clock's time and shift_time, a writable 0-0:96.1.10.255, "
        "a disconnect control 0-0:96.3.10.255 (the public client is still denied)",
    )
    parser.add_argument(
        "--logical-device-name",
        help="0-0:42.0.0 (default DLMSIM00 and the serial number's last 8 characters); its "
        "first three letters are the manufacturer's FLAG id",
    )
    parser.add_argument(
        "--identification",
        default="SIMULATOR",
        help="the mode E identification after /XXX5\\2 (a model, such as MT382-1000)",
    )
    parser.add_argument(
        "--manufacturer-id",
        help="the FLAG id in the mode E identification (default: the logical device name's)",
    )
    parser.add_argument("--power", type=float, default=1500.0, help="import power in W")
    parser.add_argument(
        "--rfc2217", action="store_true", help="behind an RFC 2217 access server (rfc2217://)"
    )
    parser.add_argument("--window", type=int, default=1, help="HDLC window size to accept")
    parser.add_argument("--with-list-cap", type=int, help="refuse longer GET with-list requests")
    parser.add_argument(
        "--inactivity-timeout", type=float, help="seconds before an idle link drops"
    )
    parser.add_argument(
        "--bus",
        default="",
        help="more meters on the same line: physical addresses, comma separated (serials 1, 2, …)",
    )
    faults = parser.add_argument_group("faults")
    faults.add_argument("--echo", action="store_true", help="echo what is received (optical head)")
    faults.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    faults.add_argument("--refuse", action="store_true", help="answer SNRM with DM")
    faults.add_argument("--drop", type=int, default=0, help="drop the first N answers")
    faults.add_argument("--corrupt", type=int, default=0, help="corrupt the first N answers")
    push = parser.add_argument_group("push (the meter sends notifications by itself)")
    push.add_argument("--push", choices=FRAMINGS, help="push notifications in this framing")
    push.add_argument(
        "--push-interval", type=float, default=2.0, help="seconds between notifications"
    )
    push.add_argument(
        "--push-shape",
        choices=[shape.value for shape in PushShape],
        default=PushShape.OBIS_SCALER.value,
        help="payload layout (positional: a list without OBIS codes)",
    )
    push.add_argument(
        "--push-frame", choices=("UI", "I"), default="UI", help="HDLC frame type for --push hdlc"
    )
    push.add_argument("--push-garbage", default="", help="hex bytes sent before every notification")
    push.add_argument(
        "--push-baudrate",
        type=int,
        default=2400,
        help="with --pty or --rfc2217: the speed the meter sends at (a reader at another "
        "speed gets noise)",
    )
    push.add_argument(
        "--push-parity",
        choices=("none", "even", "odd"),
        default="none",
        help="with --rfc2217 (a pty cannot carry parity)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    if args.push:
        return _push(args)
    settings = ServerSettings(
        logical_address=args.server_logical,
        physical_address=args.server_physical,
        address_size=args.address_size,
        password=args.password.encode() if args.password else None,
        max_info_length=args.max_info_length,
        max_pdu_size=args.max_pdu_size,
        mode_e=args.mode_e,
        mechanism=Mechanism.from_name(args.auth),
        security_policy=SecurityPolicy(args.security),
        security_suite=args.security_suite,
        keys=SecurityKeys.from_hex(args.ek, args.ak) if args.ek else None,
        system_title=bytes.fromhex(args.system_title),
        window=args.window,
        with_list_cap=args.with_list_cap,
        inactivity_timeout=args.inactivity_timeout,
        identification=args.identification,
        manufacturer_id=args.manufacturer_id,
    )
    meter = _meter(args)
    simulator: MeterSimulator | PtyMeterSimulator | UdpMeterSimulator
    if args.pty:
        simulator = PtyMeterSimulator(meter, settings)
    elif args.wrapper == "udp":
        simulator = UdpMeterSimulator(meter, host=args.host, port=args.port, settings=settings)
    else:
        bus = [
            (
                SimulatedMeter(serial_number=f"{number:08d}"),
                replace(settings, physical_address=int(address)),
            )
            for number, address in enumerate(filter(None, args.bus.split(",")), start=1)
        ]
        simulator = MeterSimulator(
            meter,
            host=args.host,
            port=args.port,
            settings=settings,
            bus=bus,
            rfc2217=args.rfc2217,
            wrapper=args.wrapper == "tcp",
        )
    simulator.faults = Faults(
        drop_frames=args.drop,
        corrupt_frames=args.corrupt,
        echo=args.echo,
        delay=args.delay,
        refuse=args.refuse,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(simulator))
    return 0


def _meter(args: argparse.Namespace) -> SimulatedMeter:
    meter = SimulatedMeter(
        serial_number=args.serial_number, import_power_w=args.power, writable=args.writable
    )
    if args.logical_device_name:
        meter.logical_device_name = args.logical_device_name
    else:
        meter.logical_device_name = f"DLMSIM00{args.serial_number[-8:]:0>8}"
    return meter


def _push(args: argparse.Namespace) -> int:
    """``--push``: a push meter on TCP (every client gets each notification) or a pty."""
    if args.ak and not args.ek:
        raise SystemExit("dlms simulate: --ak needs --ek")
    settings = PushSettings(
        framing=args.push,
        shape=PushShape(args.push_shape),
        interval=args.push_interval,
        keys=SecurityKeys.from_hex(args.ek, args.ak) if args.ek else None,
        system_title=bytes.fromhex(args.system_title),
        max_info_length=args.max_info_length,
        hdlc_frame_type=args.push_frame,
        garbage=bytes.fromhex(args.push_garbage),
    )
    push = PushMeter(_meter(args), settings)
    simulator: PushSimulator | PtyPushSimulator
    parity = {"none": "N", "even": "E", "odd": "O"}[args.push_parity]
    line = UartSettings(args.push_baudrate, parity)
    if args.pty:
        simulator = PtyPushSimulator(push, line=line)
    else:
        simulator = PushSimulator(
            push, host=args.host, port=args.port, rfc2217=args.rfc2217, line=line
        )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(simulator))
    return 0


async def _run(
    simulator: MeterSimulator
    | PtyMeterSimulator
    | UdpMeterSimulator
    | PushSimulator
    | PtyPushSimulator,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with simulator:
        where = (
            simulator.path
            if isinstance(simulator, PtyMeterSimulator | PtyPushSimulator)
            else simulator.url
        )
        print(f"serving on {where}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
