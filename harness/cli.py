"""kws-harness: talk to tinykws firmware over a serial line (or QEMU, or the host build)."""

from __future__ import annotations

import argparse
import json
import sys

from .client import DeviceError, DeviceReset, DeviceTimeout, open_device
from .transports import TransportError

EXIT_OK, EXIT_USAGE, EXIT_LINK, EXIT_DEVICE, EXIT_MISMATCH = 0, 2, 3, 4, 5

PORT_HELP = ("device URL: a serial port (/dev/ttyACM0), socket://HOST:PORT, "
             "qemu:<firmware.elf> (starts QEMU), qemu:<board>:<firmware.elf>, "
             "or exec:<host-binary> (starts the host build)")


def _add_port(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", required=True, help=PORT_HELP)
    parser.add_argument("--board", help="board id, when the URL does not tell it")


def _print_info(info: dict) -> None:
    model = info.get("model")
    print(f"board      {info['board']} ({info.get('board_name', '')})")
    print(f"core       {info['core']} at {info['clock_hz'] / 1e6:g} MHz")
    print(f"firmware   {info['firmware']} {info['firmware_version']}, protocol {info['protocol']}, "
          f"max body {info['max_body']} bytes")
    print(f"time base  {info['ticks']} at {info['ticks_hz'] / 1e6:g} MHz")
    print(f"commands   {', '.join(info['commands'])}")
    if model is None:
        print("model      none loaded")
    else:
        print(f"model      {model.get('id', '?')} sha256 {model.get('sha256', '?')[:16]}…, "
              f"arena {model.get('arena_bytes', '?')} bytes")
        for kind in ("input", "output"):
            t = model.get(kind) or {}
            print(f"  {kind:<8} shape {t.get('shape')} {t.get('dtype')} "
                  f"scale {t.get('scale')} zero point {t.get('zero_point')}")
    frontend = info.get("frontend")
    print("frontend   " + ("none" if frontend is None else json.dumps(frontend)))


def cmd_info(args) -> int:
    with open_device(args.port, board=args.board) as device:
        info = device.info()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_info(info)
    return EXIT_OK


def cmd_ping(args) -> int:
    with open_device(args.port, board=args.board) as device:
        times = sorted(device.ping() for _ in range(args.count))
    result = {"count": args.count, "min_ms": times[0] * 1e3,
              "median_ms": times[len(times) // 2] * 1e3, "max_ms": times[-1] * 1e3}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.count} pings: min {result['min_ms']:.3f} ms, median "
              f"{result['median_ms']:.3f} ms, max {result['max_ms']:.3f} ms")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kws-harness",
        description="Drive tinykws firmware over UART: info, ping (and, as they land, "
                    "validate, eval, stream, bench).",
        epilog="Exit codes: 0 ok, 2 usage, 3 link failed (port, QEMU, timeout), "
               "4 device error or reset, 5 results disagree with the host.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="print what the firmware says about itself")
    _add_port(info)
    info.add_argument("--json", action="store_true", help="print the raw INFO document")
    info.set_defaults(func=cmd_info)
    ping = sub.add_parser("ping", help="measure round trips")
    _add_port(ping)
    ping.add_argument("--count", type=int, default=20)
    ping.add_argument("--json", action="store_true")
    ping.set_defaults(func=cmd_ping)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (TransportError, DeviceTimeout) as exc:
        print(f"kws-harness: link error: {exc}", file=sys.stderr)
        return EXIT_LINK
    except (DeviceError, DeviceReset) as exc:
        print(f"kws-harness: device: {exc}", file=sys.stderr)
        return EXIT_DEVICE


if __name__ == "__main__":
    sys.exit(main())
