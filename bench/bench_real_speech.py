"""Benchmark: a model on real speech it never trained on.

Reads the shared real speech (Speech Commands v0.02 test split, part, CC BY 4.0;
$TINYKWS_SHARED/speech_commands_dev or shared/ beside the checkout) and prints,
for the bundled model (or --model DIR):

  * clip top-1 over the unseen clips, per class, and _unknown_ recall
    (words the model does not know count as _unknown_);
  * streaming: a 30-minute recording of unseen clips (keywords and other words in
    the proportion the unseen clips hold them, with the folder's _silence_ noise)
    at 20 and 10 dB SNR,
    through the host pipeline with the model's own recognizer parameters
    (recognizer.json): keywords hit, false accepts per hour, latency;
  * the yardstick: the published models the default model learns from (MLPerf
    Tiny's and ARM's DS-CNN, trained on every Speech Commands training speaker,
    each on its own front end), on the same clips and, tuned on each stream
    like the model's upper bound, on the same streams.

"Unseen": when the model's report says it trained on part of the folder
(kws-train --real), only the speakers of its held-out split. Everything runs on
the host (the same C frontend, TFLite Micro's interpreter): the device agrees
with it bit for bit (tests/test_stream.py, tests/test_hil.py). Without the
shared folder it says it skipped. Asserts nothing.

Run: .venv/bin/python bench/bench_real_speech.py [--model DIR] [--seconds 1800] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.firmware import DEFAULT_MODEL_DIR  # noqa: E402
from generator.shared import (ATTRIBUTION, SPEECH_COMMANDS_DEV, ZOO, missing_reason,  # noqa: E402
                              shared_path)
from generator.train.make_default import PUBLISHED_MODELS  # noqa: E402
from harness.pipeline import HostPipeline  # noqa: E402
from generator.train.published_teachers import (published_stream_scores,  # noqa: E402
                                                published_top1)
from harness.realspeech import (clip_accuracy, is_unseen, other_word_share,  # noqa: E402
                                real_clips, stream_figures, unseen_split)
from harness.stream import settings_for  # noqa: E402

SNRS = (20.0, 10.0)
SEED = 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR,
                    help="a kws-train output folder (default: the bundled model)")
    ap.add_argument("--seconds", type=float, default=1800.0,
                    help="length of each streaming recording (default 1800)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    root = shared_path(SPEECH_COMMANDS_DEV)
    if root is None:
        print(f"real-speech benchmark skipped: {missing_reason(SPEECH_COMMANDS_DEV)}")
        return 0
    pipeline = HostPipeline(args.model / "model.tflite")
    split, which = unseen_split(args.model, root)
    clips = [c for c in real_clips(root) if is_unseen(c, split)]
    speakers = {c.speaker for c in clips if c.label != "_silence_"}
    print(f"model {args.model} ({len(pipeline.labels)} labels: {', '.join(pipeline.labels)})")
    print(f"real speech: {ATTRIBUTION}")
    print(f"unseen clips: {which}: {len(clips)} clips, {len(speakers)} speakers")

    t0 = time.monotonic()
    clip = clip_accuracy(pipeline, clips)
    print(f"\nclip top-1: {100 * clip['top1']:.1f} % of {clip['clips']} clips; _unknown_ recall "
          f"{100 * clip['unknown_recall']:.1f} % ({time.monotonic() - t0:.0f} s)")
    for label, c in clip["per_class"].items():
        print(f"  {label:<10} {100 * c['recall']:5.1f} %  ({c['clips']} clips)")
    print("  most frequent confusions: " + ", ".join(
        f"{c['truth']}->{c['predicted']} {c['count']}" for c in clip["confusions"][:6]))
    published = []
    zoo = shared_path(ZOO)
    if zoo is None:
        print(f"  published models skipped: {missing_reason(ZOO)}")
    specs = tuple(f"{recipe}:{zoo / name}" for recipe, name in PUBLISHED_MODELS) if zoo else ()
    for spec, (recipe, name) in zip(specs, PUBLISHED_MODELS):
        published.append(published_top1(spec, clips, pipeline.labels))
        print(f"  on the same clips, {recipe} ({name}, trained on every Speech Commands "
              f"training speaker): {100 * published[-1]['top1']:.1f} %")

    settings = settings_for(pipeline)
    keywords = [k for k in pipeline.labels if not k.startswith("_")]
    share = other_word_share(clips, keywords)
    print(f"\nstreaming ({args.seconds / 60:g} min each; words drawn from the unseen clips, "
          f"{100 * share:.0f} % of them other words as in the data; _silence_ noise), "
          f"recognizer: window {settings['average_window_ms']} "
          f"ms, threshold {settings['threshold']}, minimum count {settings['minimum_count']}, "
          f"suppression {settings['suppression_ms']} ms ({pipeline.recognizer.origin})")
    streams = []
    for snr in SNRS:
        t0 = time.monotonic()
        s = stream_figures(pipeline, root, split, snr, args.seconds, SEED, settings,
                           yardsticks={spec: partial(published_stream_scores, spec,
                                                     labels=pipeline.labels)
                                       for spec in specs})
        streams.append(s)
        lat = s["latency_s"]
        print(f"  {snr:4.0f} dB SNR: {s['hits']}/{s['keywords']} keywords hit "
              f"({100 * s['hit_rate']:.1f} %), {s['false_accepts']} false accepts "
              f"({s['false_accepts_per_hour']:.1f} per hour) among {s['other_words']} other "
              f"words" + (f", latency median {lat['median']:+.2f} s" if lat else "")
              + f" ({time.monotonic() - t0:.0f} s)")
        print("        tuned on this stream itself (an upper bound): "
              + trade_off_text(s["tuned_on_this_stream"]))
        for (recipe, _), p in zip(PUBLISHED_MODELS, s["published"]):
            print(f"        {recipe} on the same stream, tuned on it: "
                  + trade_off_text(p["tuned_on_this_stream"]))
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "attribution": ATTRIBUTION,
                                         "unseen": which, "clips": clip, "published": published,
                                         "streams": streams,
                                         "recognizer": settings}, indent=1) + "\n")
    return 0


def trade_off_text(trade_off: list[dict]) -> str:
    return "; ".join(
        f"<= {t['fa_per_hour_at_most']:g} FA/h: {100 * t['hit_rate']:.1f} % hit "
        f"({t['params']['average_window_ms']} ms, threshold {t['params']['threshold']})"
        for t in trade_off) or "no point within the budgets"


if __name__ == "__main__":
    sys.exit(main())
