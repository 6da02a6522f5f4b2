"""kws-harness: talk to tinykws firmware over a serial line (or QEMU, or the host build)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generator.boards import load_board
from generator.info import DeviceInfo
from generator.stream import describe_settings

from .cli_common import (EXIT_DEVICE, EXIT_INTERRUPTED, EXIT_LINK, EXIT_MISMATCH, EXIT_OK,
                         EXIT_USAGE, _add_port, _check_model, _model_arg, _open, _write_json)
from .client import DeviceError, DeviceReset, DeviceTimeout
from .transports import TransportError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _print_info(info: DeviceInfo) -> None:
    model = info.model
    print(f"board      {info.board} ({info.board_name})")
    print(f"core       {info.core} at {info.clock_hz / 1e6:g} MHz")
    print(f"firmware   {info.firmware} {info.firmware_version}, protocol {info.protocol}, "
          f"max body {info.max_body} bytes")
    print(f"time base  {info.ticks} at {info.ticks_hz / 1e6:g} MHz")
    print(f"commands   {', '.join(info.commands)}")
    if model is None:
        print("model      none loaded")
    else:
        print(f"model      {model.id} sha256 {model.sha256[:16]}…, "
              f"arena {model.arena_bytes} bytes"
              + (f", state {model.state_bytes} bytes" if model.state_bytes else ""))
        for kind, t in (("input", model.input), ("output", model.output)):
            print(f"  {kind:<8} shape {list(t.shape)} {t.dtype} "
                  f"scale {t.scale} zero point {t.zero_point}")
    frontend = info.frontend
    print("frontend   " + ("none" if frontend is None else json.dumps(frontend)))
    stream = info.stream
    if stream is not None:
        print(f"recognizer {describe_settings(stream)}")
        print(f"  from     {stream.get('recognizer_source', 'not said (an older firmware)')}")
        if stream.get("recognizer_chosen"):
            print(f"  chosen   {json.dumps(stream['recognizer_chosen'])}")


def cmd_info(args) -> int:
    with _open(args) as device:
        info = DeviceInfo.from_dict(device.info())
    if args.json:
        print(json.dumps(info.document, indent=2))
    else:
        _print_info(info)
    return EXIT_OK


def cmd_ping(args) -> int:
    with _open(args) as device:
        times = sorted(device.ping() for _ in range(args.count))
    result = {"count": args.count, "min_ms": times[0] * 1e3,
              "median_ms": times[len(times) // 2] * 1e3, "max_ms": times[-1] * 1e3}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.count} pings: min {result['min_ms']:.3f} ms, median "
              f"{result['median_ms']:.3f} ms, max {result['max_ms']:.3f} ms")
    return EXIT_OK


def latency_units(info: DeviceInfo) -> tuple[str, float, float | None]:
    """(unit, units per tick, ms per tick or None) for the device's time base.

    QEMU boards run with -icount shift=0: a tick of the time base is
    1e9 / ticks_hz instructions, not cycles, and no milliseconds are claimed.
    On silicon, DWT and SysTick count core cycles.
    """
    hz = info.ticks_hz
    if info.ticks == "host_ns":
        return "ns", 1.0, 1e-6
    if load_board(info.board).emulator is not None:
        return "instructions (QEMU -icount)", 1e9 / hz, None
    return "cycles", 1.0, 1e3 / info.clock_hz


def cmd_validate(args) -> int:
    from generator.model import compile_model, load_model

    from .validate import load_inputs, validate

    model_path = Path(args.model)
    if not model_path.is_file():
        raise FileNotFoundError(f"--model {model_path}: no such file")
    inputs = None
    if args.inputs:  # read and checked before a device is started
        spec = compile_model(load_model(model_path)).input
        inputs = load_inputs(args.inputs, spec, args.count)
    with _open(args) as device:
        info = DeviceInfo.from_dict(device.info())
        _check_model(info, model_path)
        report = validate(device, model_path, count=args.count, seed=args.seed,
                          inputs=inputs, timeout=args.timeout,
                          measure_tflm_arena=not args.no_tflm_compare)
    if args.inputs:
        report["inputs"] = args.inputs
    unit, per_tick, ms_per_tick = latency_units(info)
    report["board"] = info.board
    report["latency"] = {"unit": unit, **{k: report["latency_ticks"][k] * per_tick
                                          for k in ("min", "median", "max")}}
    if ms_per_tick is not None:
        report["latency_ms"] = {k: report["latency_ticks"][k] * ms_per_tick
                                for k in ("min", "median", "max")}
    if args.json:
        _write_json(args.json, report)
    lat = report["latency"]
    print(f"validated {report['count']} inputs on {info.board}: bit-exact rate "
          f"{report['bit_exact_rate']:.4f}, max |diff| {report['max_abs_diff']:g}")
    tflm = report["tflm_arena_bytes"]
    print(f"arena {report['arena_bytes']} bytes" + (f" (TFLite Micro needs {tflm})" if tflm else ""))
    if report["stateful"]:
        print(f"streaming model: {report['state_bytes']} bytes of state beside the arena; the "
              "inputs went in order after MODEL_RESET, as to one new TFLite Micro interpreter")
    print(f"latency {lat['min']:,.0f} / {lat['median']:,.0f} / {lat['max']:,.0f} {unit} "
          "(min / median / max)" + (f", {report['latency_ms']['median']:.3f} ms median"
                                     if "latency_ms" in report else ""))
    return EXIT_OK if report["bit_exact_rate"] == 1.0 else EXIT_MISMATCH


def cmd_eval(args) -> int:
    from .evaluate import checked_clips, collect_clips, run_eval, write_report
    from .pipeline import HostPipeline

    model_path = _model_arg(args.model)
    # Every clip and the model folder are checked before a device is started.
    host = HostPipeline(model_path)
    checked_clips(collect_clips(Path(args.data), host.labels, args.limit), host.config.sample_rate)
    with _open(args) as device:
        info = DeviceInfo.from_dict(device.info())
        _check_model(info, model_path)
        if not info.has("CLASSIFY"):
            raise DeviceError("STATE", "the firmware has no CLASSIFY: its model does not take the "
                                       "frontend's int8 frames (train it with kws-train)")
        report_dir = Path(args.report or f"reports/eval-{info.board}")
        args.interrupted_note = (f"the results so far are in {report_dir}; the same command "
                                 "continues where this run stopped")
        summary = run_eval(device, model_path, Path(args.data), report_dir, limit=args.limit,
                           timeout=args.timeout, info=info.document, restart=args.restart)
    if summary["restarted"]:
        print(summary["restarted"], file=sys.stderr)
    if summary["clips_changed"]:
        print(f"{summary['clips_changed']} clips changed since their results in {report_dir} "
              "were taken: they ran again", file=sys.stderr)
    unit, per_tick, _ = latency_units(info)
    summary["board"] = info.board
    files = write_report(summary, report_dir, unit, per_tick)
    if args.json:
        _write_json(args.json, summary)
    print(f"{summary['count']} clips on {info.board}: accuracy {summary['accuracy']:.4f} "
          f"(host {summary['host_accuracy']:.4f}), agreement with host "
          f"{summary['agreement_with_host']:.4f}; {summary['clips_this_run']} run now, "
          f"{summary['clips_reused']} from earlier runs")
    print("report: " + ", ".join(str(f) for f in files))
    return EXIT_OK if summary["agreement_with_host"] == 1.0 else EXIT_MISMATCH


def cmd_bench(args) -> int:
    from .pipeline import device_bench

    with _open(args) as device:
        info = DeviceInfo.from_dict(device.info())
        if not info.has("BENCH"):
            raise DeviceError("STATE", "the firmware has no BENCH (no model with the pipeline)")
        result = device_bench(device, args.count)
    unit, per_tick, ms_per_tick = latency_units(info)
    result.update(board=info.board, unit=unit, macs=info.model.macs,
                  **{f"{k}_{unit.split()[0]}": result[k] * per_tick
                     for k in ("min", "median", "max")})
    if ms_per_tick is not None:
        result["median_ms"] = result["median"] * ms_per_tick
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    median = result["median"] * per_tick
    print(f"{result['count']} inferences on {info.board}: {result['min'] * per_tick:,.0f} / "
          f"{median:,.0f} / {result['max'] * per_tick:,.0f} {unit} (min / median / max), "
          f"{median / result['macs']:.2f} per MAC"
          + (f", {result['median_ms']:.3f} ms" if "median_ms" in result else ""))
    return EXIT_OK


def cmd_compat(args) -> int:
    from .compat import check_folder, markdown_table

    folder = Path(args.dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")

    def say(done: int, total: int, row) -> None:
        verdict = (f"bit-exact rate {row.bit_exact_rate:.2f}" if row.bit_exact_rate is not None
                   else f"refused: {row.reason}")
        if row.notes:
            verdict += f" (note: {row.notes})"
        print(f"[{done}/{total}] {row.model}: {verdict}", flush=True)

    rows = check_folder(folder, count=args.count, tflm=not args.no_tflm_compare, progress=say,
                        board_id=args.board)
    table = markdown_table(rows)
    print("\n" + table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    if args.json:
        _write_json(args.json, {"folder": str(folder), "models": [r.to_dict() for r in rows]})
    differs = [r.model for r in rows if r.bit_exact_rate is not None and r.bit_exact_rate != 1.0]
    return EXIT_MISMATCH if differs else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kws-harness",
        description="Drive tinykws firmware over UART (a serial port, QEMU or the host build): "
                    "info, ping, validate, eval, bench, stream, make-recording; compat: "
                    "which models of a folder run, on the host build.",
        epilog="Exit codes: 0 ok, 2 usage, 3 link failed (port, QEMU, timeout), "
               "4 device error or reset, 5 results disagree with the host, 130 stopped by Ctrl-C.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="print what the firmware says about itself")
    _add_port(info)
    info.add_argument("--json", action="store_true", help="print the raw INFO document")
    info.set_defaults(func=cmd_info)
    ping = sub.add_parser("ping", help="measure round trips")
    _add_port(ping)
    ping.add_argument("--count", type=_positive, default=20)
    ping.add_argument("--json", action="store_true")
    ping.set_defaults(func=cmd_ping)
    val = sub.add_parser("validate", help="compare the device's model with TFLite Micro, bit for bit")
    _add_port(val)
    val.add_argument("--model", required=True, help="the .tflite the firmware was built with")
    val.add_argument("--count", type=_positive, default=100,
                     help="inputs to send (default 100; with --inputs, at most this many)")
    val.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    val.add_argument("--inputs", help="inputs from an .npz/.npy file instead of random ones")
    val.add_argument("--timeout", type=float, default=30.0, help="seconds per inference")
    val.add_argument("--no-tflm-compare", action="store_true",
                     help="skip measuring TFLite Micro's minimal arena")
    val.add_argument("--json", metavar="OUT", help="write the report as JSON to OUT")
    val.set_defaults(func=cmd_validate)
    ev = sub.add_parser("eval", help="classify a folder of clips on the device and on the host; "
                                     "accuracy, agreement, latency, report")
    _add_port(ev)
    ev.add_argument("--data", required=True, help="folder of <label>/<clip>.wav")
    ev.add_argument("--model", help="the model.tflite the firmware runs (labels.json and "
                                    "frontend.json beside it); default: the bundled model")
    ev.add_argument("--report", help="report folder (default reports/eval-<board>); a rerun "
                                     "into the same folder continues where the last one stopped, "
                                     "reusing a result only for the same clip content, model, "
                                     "frontend and firmware; a folder of another run is refused")
    ev.add_argument("--restart", action="store_true",
                    help="discard the results of another run in --report and start over")
    ev.add_argument("--limit", type=_positive, help="at most this many clips per folder")
    ev.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    ev.add_argument("--json", metavar="OUT", help="also write the summary as JSON to OUT")
    ev.set_defaults(func=cmd_eval)
    bench = sub.add_parser("bench", help="run the model N times on the device; ticks per inference")
    _add_port(bench)
    bench.add_argument("--count", type=_positive, default=32, help="inferences (1 to 64)")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(func=cmd_bench)
    compat = sub.add_parser("compat", help="every .tflite in a folder: compiled, built for the host (or --board), "
                                           "validated against TFLite Micro; or why it cannot run")
    compat.add_argument("dir", help="folder of .tflite files")
    compat.add_argument("--count", type=_positive, default=20, help="random inputs per model")
    compat.add_argument("--board", default="host",
                        help="build for this board and validate in its emulator (default: the host build)")
    compat.add_argument("--no-tflm-compare", action="store_true",
                        help="skip measuring TFLite Micro's minimal arena (a bisection, seconds "
                             "per model)")
    compat.add_argument("--markdown", metavar="OUT", help="also write the table to OUT")
    compat.add_argument("--json", metavar="OUT", help="write the rows as JSON to OUT")
    compat.set_defaults(func=cmd_compat)
    from .stream_cli import add_make_recording_parser, add_stream_parser
    add_stream_parser(sub, _add_port)
    add_make_recording_parser(sub)
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
    except (FileNotFoundError, ValueError) as exc:
        print(f"kws-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C is the user's choice, not a fault: no traceback, the shell's code for SIGINT.
        note = getattr(args, "interrupted_note", None)
        print("kws-harness: interrupted" + (f"; {note}" if note else ""), file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
