"""gen-firmware: render (and build) the firmware project for a board."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .boards import BoardError, load_board, load_boards_and_errors
from .build import BuildError, build_project
from .bundle import ModelBundle
from .firmware import default_model, recognizer_for, render_default
from .frontend import FrontendConfig, FrontendConfigError, StftConfig, config_from_dict
from .info import ModelInfo
from .labels import LabelsError
from .model import ModelError, load_model, model_warnings, tflm_arena_bytes
from .render import DEFAULT_QEMU_PORT, MANIFEST, RERENDER_RULE, RenderError, say_waiting
from .staging import folder_lock
from .stream import StreamConfigError, describe_settings

EXIT_OK, EXIT_USAGE, EXIT_INPUT, EXIT_BUILD = 0, 2, 3, 4


def _tcp_port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port: give 1 to 65535 "
                                         "(above 1023 needs no privileges)")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gen-firmware",
        description="Render a standalone PlatformIO project (model, frontend, arena, board "
                    "support) for a board; --build also builds it offline and prints sizes.",
        epilog="Examples:\n  gen-firmware --list-boards\n"
               "  gen-firmware --board qemu_m7 --out build/qemu_m7 --build\n"
               "  cd build/qemu_m7 && pio run -t upload   # starts QEMU\n\n"
               "Rendering again into the same --out: " + RERENDER_RULE + "\n\n"
               "Exit codes: 0 ok, 2 usage, 3 bad input (board, model), 4 build failed.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tinykws {__version__}")
    parser.add_argument("--list-boards", action="store_true",
                        help="list the boards with core, clock, flash, RAM and how each is run "
                             "or built")
    parser.add_argument("--board", help="board id (a file in boards/)")
    parser.add_argument("--out", type=Path, help="output folder (default: build/<board>)")
    parser.add_argument("--build", action="store_true",
                        help="build with PlatformIO and print the firmware path and sizes")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--model", type=Path,
                       help="full-int8 .tflite model (default: the bundled default model, if any)")
    model.add_argument("--no-model", action="store_true",
                       help="firmware without a model (frontend and protocol only)")
    parser.add_argument("--recognizer", type=Path, metavar="FILE",
                        help="recognizer parameters (a recognizer.json, docs/stream.md) instead of "
                             "the model's own recognizer.json (default: that file, else "
                             "micro_speech's defaults)")
    parser.add_argument("--portable-kernels", action="store_true",
                        help="use the portable C kernels even where the board's core has faster "
                             "ones (the Cortex-M DSP kernels on cortex-m4/m7/m33/m55), to compare")
    parser.add_argument("--no-tflm-compare", action="store_true",
                        help="with --build: skip measuring TFLite Micro's minimal arena for the "
                             "same model (a bisection with its interpreter, a few seconds)")
    parser.add_argument("--frontend", type=Path,
                        help="frontend configuration JSON (FrontendConfig; default: micro_speech's "
                             "16 kHz, 30 ms window, 20 ms stride, 40 channels)")
    parser.add_argument("--runner", choices=["mlperf"],
                        help="speak a benchmark's text protocol instead of tinykws' frames: "
                             "mlperf = MLPerf Tiny / EEMBC EnergyRunner (docs/mlperf.md)")
    parser.add_argument("--qemu-port", type=_tcp_port, default=DEFAULT_QEMU_PORT,
                        help="TCP port `pio run -t upload` gives QEMU's serial line "
                             f"(default {DEFAULT_QEMU_PORT})")
    parser.add_argument("--force", action="store_true",
                        help="when rendering again into --out, overwrite files gen-firmware "
                             "wrote that were changed since, and files of yours where it now "
                             "writes one (files you added are kept either way)")
    parser.add_argument("--verbose", action="store_true", help="show PlatformIO's output")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _list_boards(as_json: bool) -> int:
    """The valid boards; each broken board file is reported too, and makes it exit 3."""
    boards, errors = load_boards_and_errors()
    for error in errors:
        print(f"gen-firmware: error: {error}", file=sys.stderr)
    code = EXIT_INPUT if errors else EXIT_OK
    rows = [{"board": b.id, "name": b.name, "core": b.core, "clock_hz": b.clock_hz,
             "flash_bytes": b.flash_bytes, "ram_bytes": b.ram_bytes,
             "qemu": b.emulator["machine"] if b.emulator else None, "run": b.how}
            for b in boards]
    if as_json:
        print(json.dumps(rows, indent=2))
        return code
    wide = max([len(r["board"]) for r in rows] + [5])
    core = max([len(r["core"]) for r in rows] + [4])
    print(f"{'board':<{wide}} {'core':<{core}} {'clock':>8} {'flash':>9} {'RAM':>9}  run / build")
    for r in rows:
        print(f"{r['board']:<{wide}} {r['core']:<{core}} {r['clock_hz'] / 1e6:>5.0f} MHz "
              f"{r['flash_bytes'] // 1024:>6} KB {r['ram_bytes'] // 1024:>6} KB  {r['run']}")
    return code


def _frontend_config(path: Path | None) -> FrontendConfig | StftConfig | None:
    if path is None:
        return None
    try:
        config = config_from_dict(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError) as exc:
        raise FrontendConfigError(f"{path}: {exc}") from exc
    return config.validate()


def size_table(sizes, board) -> str:
    def pct(used: int, total: int) -> str:
        return f"{100.0 * used / total:5.1f} %"
    return "\n".join([
        f"{'section':<8} {'bytes':>9}",
        f"{'text':<8} {sizes.text:>9}",
        f"{'data':<8} {sizes.data:>9}",
        f"{'bss':<8} {sizes.bss:>9}",
        f"flash {sizes.flash:>9} of {board.flash_bytes:>9}  {pct(sizes.flash, board.flash_bytes)}",
        f"RAM   {sizes.ram:>9} of {board.ram_bytes:>9}  {pct(sizes.ram, board.ram_bytes)}",
    ])


def describe_kernels(kernels: dict, board) -> str:
    """One line on the kernel set a firmware runs (gen-firmware's output)."""
    if kernels.get("note"):
        return kernels["note"]
    if kernels["set"] == "portable":
        return f"portable C (no faster variant for {board.cpu} or for this model's layers)"
    return (f"{board.cpu} DSP extension for {', '.join(kernels['variants'])}, portable C for the "
            f"rest; kernel scratch {kernels['scratch_bytes']:,} bytes of the arena "
            "(--portable-kernels to compare)")


def model_table(report: dict) -> str:
    lines = [f"model    weights {report['weights_bytes']:>9} bytes of flash, "
             f"code and tables {report['code_bytes']:>9} bytes",
             f"arena    {report['arena_bytes']:>9} bytes"]
    tflm = report.get("tflm_arena_bytes")
    if tflm:
        lines[-1] += (f"   (TFLite Micro needs {tflm} bytes for the same model: "
                      f"ours is {report['arena_bytes'] / tflm:.2f}x)")
    if report.get("state_bytes"):
        lines.append(f"state    {report['state_bytes']:>9} bytes   (a streaming model's resource "
                     "variables, beside the arena)")
    return "\n".join(lines)


def _note_missing_labels(model: Path | None, info: dict) -> None:
    """Say so when the firmware names its outputs class0.. for want of labels.json."""
    pipeline = info.get("pipeline")
    if model is None or pipeline is None or ModelBundle(model).labels is not None:
        return
    count = ModelInfo.from_dict(info["model"]).output.count
    print(f"gen-firmware: note: no labels.json beside {model}: the firmware calls its {count} "
          f"outputs class0..class{count - 1}; put a JSON list of {count} label strings there "
          "(kws-train writes it) and render again", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.list_boards:
            return _list_boards(args.json)
        if not args.board:
            _parser().print_usage(sys.stderr)
            print("gen-firmware: give --board (see --list-boards)", file=sys.stderr)
            return EXIT_USAGE
        if args.recognizer is not None and args.no_model:
            _parser().print_usage(sys.stderr)
            print("gen-firmware: --recognizer sets a model's recognizer: drop --no-model",
                  file=sys.stderr)
            return EXIT_USAGE
        board = load_board(args.board)
    except BoardError as exc:
        print(f"gen-firmware: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    out = args.out or Path("build") / board.id
    # The build reads the rendered tree: another render into the folder waits for it.
    with folder_lock(out, say_waiting):
        return _render_and_build(args, board, out)


def _render_and_build(args, board, out: Path) -> int:
    try:
        frontend = _frontend_config(args.frontend)
        if args.model is not None and not args.model.is_file():
            raise FileNotFoundError(f"no model file at {args.model}")
        model = None if args.no_model else (args.model or default_model())
        recognizer = recognizer_for(model, args.recognizer)
        project = render_default(board, out, qemu_port=args.qemu_port, frontend=frontend,
                                 model=model, runner=args.runner, recognizer=recognizer,
                                 force=args.force, portable_kernels=args.portable_kernels)
    except (BoardError, RenderError, FrontendConfigError, ModelError, StreamConfigError,
            LabelsError, OSError) as exc:
        print(f"gen-firmware: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    info = json.loads((project / MANIFEST).read_text())["info"]
    report: dict = {"board": board.id, "project": str(project), "model": info["model"]}
    if info.get("kernels") is not None:
        report["kernels"] = info["kernels"]
    stream = info.get("stream")
    if stream is not None:
        report["recognizer"] = {"from": recognizer.origin, "source": recognizer.source,
                                **recognizer.params.to_dict(), "chosen": recognizer.chosen}
    _note_missing_labels(model, info)
    if model is not None:  # a float32 model: what it costs, and the int8 recipe
        for warning in model_warnings(load_model(model).notes):
            print(f"gen-firmware: warning: {warning}", file=sys.stderr)
    if not args.json:
        print(f"rendered {board.id} project in {project}")
        if info.get("kernels") is not None:
            print(f"kernels: {describe_kernels(info['kernels'], board)}")
        if stream is not None:
            print(f"recognizer: {describe_settings(stream)}\n            from {recognizer.origin}")
    if args.build:
        try:
            result = build_project(project, board, verbose=args.verbose)
        except BuildError as exc:
            print(f"gen-firmware: error: {exc}", file=sys.stderr)
            return EXIT_BUILD
        report.update(firmware=str(result.firmware), build_seconds=round(result.seconds, 2),
                      text=result.sizes.text, data=result.sizes.data, bss=result.sizes.bss,
                      flash_bytes=result.sizes.flash, ram_bytes=result.sizes.ram,
                      board_flash_bytes=board.flash_bytes, board_ram_bytes=board.ram_bytes)
        if info["model"] is not None:
            model_info = ModelInfo.from_dict(info["model"])
            report["weights_bytes"] = model_info.weights_bytes
            report["code_bytes"] = result.sizes.flash - model_info.weights_bytes
            report["arena_bytes"] = model_info.arena_bytes
            report["state_bytes"] = model_info.state_bytes
            if not args.no_tflm_compare:
                model_path = args.model or default_model()
                report["tflm_arena_bytes"] = tflm_arena_bytes(model_path.read_bytes())
        if not args.json:
            print(f"firmware: {result.firmware}  (built in {result.seconds:.1f} s)")
            print(size_table(result.sizes, board))
            if model_info is not None:
                print(model_table(report))
    if args.json:
        print(json.dumps(report, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
