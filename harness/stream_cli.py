"""kws-harness stream and kws-harness make-recording.

harness/cli.py registers them with add_stream_parser(sub, _add_port) and
add_make_recording_parser(sub).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generator.frontend import load_wav
from generator.info import DeviceInfo
from generator.staging import replacing_dir
from generator.stream import (RECOGNIZER_FILE, SOURCE_OPTION, recognizer_differences,
                              write_recognizer)

from .cli_common import EXIT_MISMATCH, EXIT_OK, _check_model, _model_arg, _open, _write_json
from .det import DEFAULT_TARGET_FA_PER_HOUR, DEFAULT_WINDOWS_MS
from .stream import DEFAULT_TOLERANCE_S, MAX_CHUNK_SAMPLES

STREAM_HELP = ("continuous audio through STREAM: detections with time stamps, the same on the "
               "host, scored against a truth CSV, with a DET curve")
REPORT_FILES = ("stream.json", "det.json", "det.png")
RECORDING_HELP = "build a long test recording from keyword clips and noise, with its truth CSV"


def add_stream_parser(sub, add_port) -> argparse.ArgumentParser:
    p = sub.add_parser("stream", help=STREAM_HELP, description=STREAM_HELP + ". Exit 5 when "
                       "the device's detections or scores differ from the host's.")
    add_port(p, required=False)
    p.add_argument("--host-only", action="store_true",
                   help="no device: run the host pipeline alone (instead of --port)")
    p.add_argument("--wav", required=True, help="a long 16-bit mono recording at the model's rate")
    p.add_argument("--truth", help="its ground truth: CSV label,start_s,end_s (make-recording "
                                   "writes one); without it, detections only")
    p.add_argument("--model", help="the model.tflite the firmware runs (labels.json and "
                                   "frontend.json beside it); default: the bundled model")
    p.add_argument("--realtime", action="store_true",
                   help="send the audio at its own rate, as a microphone would; the summary "
                        "says whether real time was kept and by what margin")
    p.add_argument("--max-lag", type=_seconds, metavar="SECONDS",
                   help="how long after its audio a reply may come and real time still count "
                        "as kept (default: one chunk's duration, 0.128 s at 2044 samples: a "
                        "double-buffered microphone)")
    p.add_argument("--chunk", type=int, default=MAX_CHUNK_SAMPLES,
                   help=f"samples per STREAM request (default and maximum {MAX_CHUNK_SAMPLES})")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S,
                   help="seconds after a keyword's end a detection still counts "
                        f"(default {DEFAULT_TOLERANCE_S:g})")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--quiet", action="store_true", help="print the summary only")
    p.add_argument("--json", metavar="OUT", help="write detections and scores as JSON to OUT")
    p.add_argument("--report", metavar="DIR",
                   help="write stream.json, det.json and det.png into DIR (needs --truth), and "
                        "recognizer.json for the recommended point (gen-firmware --recognizer "
                        "renders it); DIR is replaced whole, so it must be new or hold only "
                        "these files")
    p.add_argument("--target-fa-per-hour", type=float, default=DEFAULT_TARGET_FA_PER_HOUR,
                   help="false accepts per hour the recommended operating point may have "
                        f"(default {DEFAULT_TARGET_FA_PER_HOUR:g})")
    p.add_argument("--det-windows", default=",".join(map(str, DEFAULT_WINDOWS_MS)),
                   help="averaging windows of the DET in ms, besides the one in use; rounded "
                        "to the inference period (default %(default)s)")
    p.set_defaults(func=cmd_stream)
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def add_make_recording_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("make-recording", help=RECORDING_HELP, description=RECORDING_HELP + ". "
                       "The same arguments give the same files, byte for byte.")
    p.add_argument("--data", required=True, help="folder of <label>/*.wav clips (16 kHz mono); "
                                                 "_background_noise_/*.wav is the noise if present")
    p.add_argument("--out", required=True, help="the recording to write (.wav)")
    p.add_argument("--truth", required=True, help="the truth CSV to write (label,start_s,end_s)")
    p.add_argument("--seconds", type=float, required=True, help="length of the recording")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels", help="comma-separated keyword folders to place (default: every "
                                    "folder of --data not starting with _)")
    p.add_argument("--snr", type=float, default=10.0,
                   help="dB of each keyword's RMS over the noise RMS (default 10)")
    p.add_argument("--noise-dbfs", type=float, default=-40.0,
                   help="noise RMS in dBFS (default -40)")
    p.add_argument("--min-gap", type=float, default=1.5,
                   help="seconds between two keywords, at least (default 1.5)")
    p.add_argument("--max-gap", type=float, default=4.0, help="... and at most (default 4)")
    p.add_argument("--rate", type=int, default=16000, help="sample rate (default 16000)")
    p.add_argument("--unknown-percent", type=float, default=0.0,
                   help="share of the placed words that are other words (_unknown_/ and the "
                        "folders that are not keywords), never targets (default 0)")
    p.add_argument("--noise-folder", default="_background_noise_",
                   help="folder of --data whose wavs are the noise (default _background_noise_; "
                        "_silence_ for Speech Commands' one-second excerpts)")
    p.set_defaults(func=cmd_make_recording)
    return p


def _describe(d, rate: int, outcome: dict | None) -> str:
    text = f"{d.sample / rate:10.3f} s  {d.name:<12} score {d.score:3d}"
    if outcome is not None:
        text += "  hit" if outcome["outcome"] == "hit" else "  FALSE ACCEPT"
        if outcome["outcome"] == "hit":
            text += f" ({outcome['latency_s']:+.2f} s after the keyword)"
    return text


def _first_difference(a, b) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x.key() != y.key():
            return (f"#{i}: device {x.name} score {x.score} at sample {x.sample}, "
                    f"host {y.name} score {y.score} at sample {y.sample}")
    return f"the device has {len(a)} detections, the host {len(b)}"


def _check_stream_args(args) -> list[int]:
    """Usage errors before any audio is sent; the DET windows in ms."""
    if args.host_only and args.port:
        raise ValueError("--host-only runs no device: give --port or --host-only, not both")
    if not args.host_only and not args.port:
        raise ValueError("give --port (the device) or --host-only (the host pipeline alone)")
    if args.host_only and (args.realtime or args.max_lag is not None):
        raise ValueError("--realtime and --max-lag are about a device's link: they mean nothing "
                         "with --host-only")
    if args.report and not args.truth:
        raise ValueError("--report needs --truth: a DET scores detections against the truth")
    if args.target_fa_per_hour < 0:
        raise ValueError(f"--target-fa-per-hour {args.target_fa_per_hour:g}: must be >= 0")
    try:
        windows = [int(x) for x in args.det_windows.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--det-windows {args.det_windows!r}: give milliseconds such as "
                         "300,500,1000") from None
    if args.report:
        folder = Path(args.report)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"--report {folder}: not a folder")
        ours = (*REPORT_FILES, RECOGNIZER_FILE)   # recognizer.json: the recommended point
        other = sorted(p.name for p in folder.iterdir() if p.name not in ours) \
            if folder.is_dir() else []
        if other:
            raise ValueError(f"--report {folder} holds other files ({', '.join(other[:4])}): "
                             "the report replaces the folder whole; give a new folder")
    return windows


def _describe_point(point: dict) -> str:
    p = point["params"]
    miss, fa_per_hour = point["miss_rate"], point["false_accepts_per_hour"]
    return (f"{p['average_window_ms']} ms window, threshold {p['threshold']}, minimum_count "
            f"{p['minimum_count']}: miss rate " + ("-" if miss is None else f"{miss:.3f}")
            + f" ({point['hits']} of {point['keywords']} keywords hit), "
            + ("-" if fa_per_hour is None else f"{fa_per_hour:.1f}")
            + f" false accepts per hour ({point['false_accepts']})")


def _write_report(folder: Path, stream_report: dict, det: dict, recognizer=None,
                  labels: list[str] | None = None) -> list[str]:
    """stream.json, det.json, det.png and, given `recognizer` (parameters,
    chosen), recognizer.json: all or none. The names written."""
    from .det_plot import plot_det

    with replacing_dir(Path(folder).resolve()) as tmp:
        for name, data in (("stream.json", stream_report), ("det.json", det)):
            (tmp / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        plot_det(det, tmp / "det.png")
        if recognizer is not None:
            write_recognizer(tmp, *recognizer, labels=labels)
    return [*REPORT_FILES, *([RECOGNIZER_FILE] if recognizer is not None else [])]


def cmd_stream(args) -> int:
    from .client import DeviceError
    from .det import recognizer_at, sweep, windows_for
    from .pipeline import HostPipeline
    from .realtime import describe as describe_link
    from .stream import (Inferences, device_stream, host_stream, read_truth, score_detections,
                         settings_for)

    windows_ms = _check_stream_args(args)
    model_path = _model_arg(args.model)
    host = HostPipeline(model_path)
    own_settings = settings_for(host)  # the model's recognizer: any error before streaming
    windows_for(own_settings, windows_ms)  # and the DET's windows: refused before streaming
    rate = host.config.sample_rate
    pcm = load_wav(args.wav, rate)
    truth = read_truth(args.truth) if args.truth else None
    stats: dict = {}
    host_record = Inferences()
    if args.host_only:
        board, info = "host pipeline", None
        settings = own_settings
        host_detections = host_stream(host, pcm, settings, args.chunk, stats=stats,
                                      record=host_record)
        detections, record = host_detections, host_record
    else:
        record = Inferences()
        with _open(args) as device:
            info = DeviceInfo.from_dict(device.info())
            _check_model(info, model_path)
            if not info.has("STREAM"):
                raise DeviceError("STATE", "the firmware has no STREAM: its model does not take "
                                           "the frontend's int8 frames, or it was rendered "
                                           "without it")
            detections = device_stream(device, pcm, args.chunk, args.realtime, info=info,
                                       timeout=args.timeout, stats=stats, max_lag_s=args.max_lag,
                                       record=record)
        board = info.board
        settings = info.stream
        differ = recognizer_differences(settings, own_settings)
        if differ:  # legitimate with gen-firmware --recognizer; the host follows the device
            print(f"warning: the firmware's recognizer differs from the model's, "
                  f"{host.recognizer.origin}: " + "; ".join(differ)
                  + (" (it was rendered with --recognizer)" if settings.get("recognizer_source")
                     == SOURCE_OPTION else "") + ". The host runs with the firmware's.",
                  file=sys.stderr)
        host_detections = host_stream(host, pcm, settings, record=host_record)
    same_detections = [d.key() for d in detections] == [d.key() for d in host_detections]
    difference = None
    if not args.host_only:
        # The first score that differs explains any detection that differs.
        difference = record.first_difference(host_record) or (
            None if same_detections else _first_difference(detections, host_detections))
    same = difference is None
    duration = pcm.size / rate
    scores = (score_detections(detections, truth, rate, tolerance_s=args.tolerance,
                               duration_s=duration) if truth is not None else None)
    outcomes = {}
    if scores is not None:
        outcomes = dict(enumerate(scores["events"]))  # detections come in time order
    if not args.quiet:
        for i, d in enumerate(detections):
            print(_describe(d, rate, outcomes.get(i)))
    print(f"{len(detections)} detections in {duration:.1f} s of audio on {board} "
          f"({stats['inferences']} inferences"
          + (f", {stats['chunks']} chunks, {stats['speed']:.2f}x real time"
             if not args.host_only else "")
          + (f", lag max {stats['lag_s']['max'] * 1e3:.0f} ms" if "lag_s" in stats else "")
          + ")")
    if not args.host_only:
        print(describe_link(stats))
        print("host agrees: " + (f"yes, detection for detection and score for score "
                                 f"({len(record)} inferences)" if same else "NO: " + difference))
    det = None
    if scores is not None:
        lat = scores["latency_s"]
        print(f"keywords {scores['keywords']}: hits {scores['hits']}, misses {scores['misses']} "
              f"(miss rate {scores['miss_rate'] if scores['miss_rate'] is not None else 0:.3f}), "
              f"false accepts {scores['false_accepts']} "
              f"({scores['false_accepts_per_hour']:.1f} per hour)"
              + (f"; latency {lat['min']:+.2f} / {lat['median']:+.2f} / {lat['max']:+.2f} s "
                 "(min / median / max)" if lat else ""))
        for label, s in scores["per_label"].items():
            print(f"  {label:<12} keywords {s['keywords']:4d}  hits {s['hits']:4d}  "
                  f"misses {s['misses']:4d}  false accepts {s['false_accepts']:4d}")
        # From the device's scores: the DET is of what the device computed.
        det = sweep(record.samples, record.scores, settings, truth, host.labels,
                    duration_s=duration, windows_ms=windows_ms, tolerance_s=args.tolerance,
                    target_fa_per_hour=args.target_fa_per_hour)
        print("operating point in use: " + _describe_point(det["in_use"]))
        recommended = det["recommended"]
        print(f"recommended for <= {args.target_fa_per_hour:g} false accepts per hour: "
              + (_describe_point(recommended) if recommended is not None
                 else "none of the windows and thresholds reaches it"))
    report = {
        "board": board, "host_only": args.host_only, "model": str(model_path),
        "model_sha256": info.model.sha256 if info and info.model else None, "wav": str(args.wav),
        "truth": str(args.truth) if args.truth else None, "realtime": args.realtime,
        "seconds": duration, "settings": settings, "link": None if args.host_only else stats,
        "inferences": len(record),
        "agreement_with_host": None if args.host_only else same,
        "detections_agree_with_host": None if args.host_only else same_detections,
        "first_difference": difference,
        "detections": [d.to_dict(rate) for d in detections],
        "host_detections": [d.to_dict(rate) for d in host_detections],
        "scores": scores}
    if args.json:
        _write_json(args.json, report)
    if args.report:
        tuned = None if det["recommended"] is None else recognizer_at(
            settings, det, det["recommended"],
            f"{Path(args.wav).name}, {duration / 60:.1f} min, {det['keywords']} keywords")
        written = _write_report(Path(args.report), report, det, tuned, host.labels)
        print(f"report: {', '.join(str(Path(args.report) / n) for n in written)}")
        if tuned is not None:
            print(f"gen-firmware --recognizer {Path(args.report) / RECOGNIZER_FILE} renders the "
                  "recommended point; it was tuned on this recording, so it is a setting for "
                  "audio like it (the place the device listens), and an upper bound for this "
                  "recording itself")
    return EXIT_OK if same else EXIT_MISMATCH


def cmd_make_recording(args) -> int:
    from .recording import make_recording

    data = Path(args.data)
    if not data.is_dir():
        raise FileNotFoundError(f"--data {data}: no such folder")
    if not 0 <= args.unknown_percent < 100:
        raise ValueError(f"--unknown-percent {args.unknown_percent:g}: must be 0 or more and "
                         "below 100")
    if args.labels:
        labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    else:
        labels = sorted(p.name for p in data.iterdir() if p.is_dir() and not p.name.startswith("_"))
    if not labels:
        raise FileNotFoundError(f"--data {data}: no keyword folders (<label>/*.wav)")
    summary = make_recording(data, labels, args.seconds, args.seed, args.out, args.truth,
                             snr_db=args.snr, noise_dbfs=args.noise_dbfs,
                             min_gap_s=args.min_gap, max_gap_s=args.max_gap, sample_rate=args.rate,
                             unknown_share=args.unknown_percent / 100.0,
                             noise_folder=args.noise_folder)
    print(f"{summary['wav']}: {summary['seconds']:.1f} s, {summary['keywords']} keywords ("
          + ", ".join(f"{k} {v}" for k, v in summary["per_label"].items())
          + f"), {summary['unknown_words']} other words, over {summary['noise']} at "
          f"{args.snr:g} dB SNR")
    print(f"{summary['truth']}: the truth (label,start_s,end_s)")
    return EXIT_OK

