"""What kws-harness's two command modules share (cli.py and stream_cli.py): exit
codes, the --port options and opening the device they name, the model check, and
JSON reports. Here so that neither command module imports the other."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

from generator.info import DeviceInfo

from .client import DeviceError, open_device

EXIT_OK, EXIT_USAGE, EXIT_LINK, EXIT_DEVICE, EXIT_MISMATCH = 0, 2, 3, 4, 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C

PORT_HELP = ("device URL: a serial port (/dev/ttyACM0), socket://HOST:PORT, "
             "qemu:<firmware.elf> (starts QEMU), qemu:<board>:<firmware.elf>, "
             "exec:<host-binary> (starts the host build), or rate:<baud>:<URL> (that link "
             "held to a UART's rate, e.g. rate:115200:exec:<host-binary>)")


def _baud(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate in baud; give a positive "
                                         "integer like 1000000")
    return value


def _add_port(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--port", required=required, help=PORT_HELP)
    parser.add_argument("--board", help="board id, when the URL does not tell it; a serial "
                                        "port opens at its board file's UART rate")
    parser.add_argument("--baud", type=_baud,
                        help="a serial port's rate (default: the --board's board file's; "
                             "without --board, the rate all board files set)")


def _open(args):
    """The device args.port names, at the rate args.board or args.baud gives."""
    return open_device(args.port, board=args.board, baud=args.baud)


def _check_model(info: DeviceInfo, model_path: Path) -> None:
    """The device must run the very model the host compares with."""
    if info.model is None:
        raise DeviceError("STATE", "the firmware has no model: render it with "
                                   f"gen-firmware --model {model_path}")
    host_hash = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if info.model.sha256 != host_hash:
        raise DeviceError("STATE", f"the firmware runs model {info.model.sha256[:12]}…, "
                                   f"not {model_path} ({host_hash[:12]}…): rebuild it with "
                                   "this model")


def _model_arg(value: str | None) -> Path:
    if value:
        return Path(value)
    from generator.firmware import default_model
    path = default_model()
    if path is None:
        raise FileNotFoundError("no --model given and no bundled default model")
    return path


def _write_json(path: str, data: dict) -> None:
    """Atomically: a reader never sees half a report."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
