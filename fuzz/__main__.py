"""make fuzz: every fuzz target for a while (default 10 minutes each), one after another,
then (--frames N) N frames over every command into the host firmware under ASan/UBSan.

    .venv/bin/python -m fuzz [--seconds 600] [--target NAME ...] [--frames 100000]
                             [--out build/fuzz]

Each target starts from its seed corpus (tests/data/fuzz_corpus/<name>) and
from what earlier runs found (OUT/runs/<name>/corpus, kept between runs). An
input that makes a target fail is saved in OUT/runs/<name>/artifacts/ and the
command exits 1; put it into the seed corpus as regress-<what> once the bug
is fixed. The figures (executions, coverage; the frames' replies) go to OUT/summary.json.
--seconds 0 runs no fuzz target.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from .targets import BY_NAME, TARGETS, build_c_targets, clang_missing, run_target


def _table(results: list[dict]) -> str:
    rows = [f"{'target':<13} {'seconds':>7} {'execs':>11} {'exec/s':>7} {'cov':>6} {'ft':>7} "
            f"{'corpus':>6}  result"]
    for r in results:
        rows.append(f"{r['target']:<13} {r['seconds']:>7} {r['execs'] or 0:>11,} "
                    f"{r['exec_per_sec'] or 0:>7,} {r['cov'] or 0:>6} {r['ft'] or 0:>7} "
                    f"{r['corpus'] or 0:>6}  {'ok' if r['ok'] else 'FAILED'}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=600, help="per target (default 600)")
    parser.add_argument("--target", action="append", choices=list(BY_NAME),
                        help="only this target (repeatable; default: all)")
    parser.add_argument("--frames", type=int, default=0,
                        help="then send this many frames over every command into the host "
                             "firmware under ASan/UBSan (fuzz/wire.py); default none")
    parser.add_argument("--frames-seed", type=int,
                        help="seed of the frames (default: a new one each run, in summary.json)")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"),
                        help="builds, the growing corpus, failing inputs, summary.json")
    args = parser.parse_args(argv)
    targets = [BY_NAME[n] for n in args.target] if args.target else list(TARGETS)
    if args.seconds <= 0:
        targets = []
    if any(t.kind == "c" for t in targets):
        missing = clang_missing()
        if missing:
            print(f"fuzz: {missing}", file=sys.stderr)
            return 2
    out = args.out.resolve()
    started = time.monotonic()
    built = build_c_targets(out / "bin", [t.name for t in targets])
    if built:
        print(f"built {len(built)} libFuzzer targets in {time.monotonic() - started:.0f} s",
              flush=True)
    results = []
    for target in targets:
        print(f"fuzzing {target.name} ({target.what}) for {args.seconds} s", flush=True)
        work = out / "runs" / target.name
        result = run_target(target, built, work, args.seconds)
        # The corpus grows across runs: work/corpus is read again next time.
        (work / "log.txt").write_text(result.log, encoding="utf-8")
        results.append(result.summary())
        if not result.ok:
            print(result.failure(), file=sys.stderr)
    summary: dict = {"targets": results}
    if results:
        print(_table(results))
    ok = all(r["ok"] for r in results)
    if args.frames > 0:
        seed = args.frames_seed if args.frames_seed is not None else random.randrange(1 << 31)
        ok = _frames(out / "wire", args.frames, seed, summary) and ok
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"summary: {out / 'summary.json'}; logs: {out / 'runs'}/<target>/log.txt")
    return 0 if ok else 1


def _frames(out: Path, count: int, seed: int, summary: dict) -> bool:
    from . import wire
    print(f"{count:,} frames (seed {seed}) over every command into the host firmware under "
          "ASan/UBSan", flush=True)
    started = time.monotonic()
    exe = wire.build_sanitized_host(out)
    info = json.loads((out / "project" / "tinykws.json").read_text(encoding="utf-8"))["info"]
    try:
        figures = wire.run(exe, count, seed=seed, info=info)
    except AssertionError as exc:
        print(f"frames: FAILED: {exc}\nagain: python -m fuzz --seconds 0 --frames {count} "
              f"--frames-seed {seed}", file=sys.stderr)
        summary["frames"] = {"frames": count, "seed": seed, "ok": False, "error": str(exc)[:2000]}
        return False
    figures.update(seed=seed, ok=True, seconds=round(time.monotonic() - started))
    summary["frames"] = figures
    print(f"frames: {figures['frames']:,} frames, {figures['replies']:,} replies (one per "
          f"non-empty frame), {figures['error_replies']:,} of them errors, 0 sanitizer reports, "
          f"{figures['seconds']} s; answered per command: {figures['answered']}")
    return True


if __name__ == "__main__":
    sys.exit(main())
