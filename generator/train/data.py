"""Data set layout, labels, speaker splits and clip loading.

Layout (Speech Commands / mini_speech_commands)::

    DIR/<label>/<speaker>_nohash_<n>.wav     one 1 s, 16 kHz, mono, 16-bit clip each
    DIR/_background_noise_/*.wav             long noise recordings (optional)

Every folder that is not a wanted keyword (and does not start with ``_``)
becomes ``_unknown_``; a folder named ``_unknown_`` or ``_silence_`` feeds
that class directly. Validation and test sets are chosen by a hash of the
speaker part of the file name, exactly as TensorFlow's speech_commands
``which_set`` does, so a speaker never lands in two splits. A `manifest.csv`
with `path` and `speaker` columns names the speakers where file names do not
(Speech Commands' test split keeps other words as `_unknown_/<word>_<speaker>_...`).

Real recordings (`--real DIR`, a small set of real people's speech such as a
part of Speech Commands' test split) are split by another hash of the
speaker: a share trains, a share joins validation, and the rest is the split
`real`, reported and never trained on (see `real_split`).
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..labels import SILENCE_LABEL, UNKNOWN_LABEL  # noqa: F401  (this module's API too)
from ..speakers import (MAX_NUM_WAVS_PER_CLASS, REAL_SPLIT_SALT, real_split,  # noqa: F401
                        speaker_of, which_set)
from .. import wav
from ..wav import WavFormatError, fit_length, resample_bandlimited  # noqa: F401  (fit_length: this module's API too)
from .errors import TrainError

log = logging.getLogger("kws-train")

BACKGROUND_DIR = "_background_noise_"
LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
SPLITS = ("train", "validation", "test", "heldout", "real")
MANIFEST = "manifest.csv"


# ----------------------------------------------------------------- labels
def sanitize_label(name: str) -> str:
    """A C-identifier-and-file-name-safe version of name (may equal name)."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name.strip())
    if not s:
        s = "_"
    if s[0].isdigit():
        s = "_" + s
    return s[:32]


def check_label(name: str, where: str) -> str:
    """Return a valid label for name; warns with what was changed."""
    if LABEL_RE.match(name):
        return name
    fixed = sanitize_label(name)
    if not LABEL_RE.match(fixed):  # pragma: no cover - sanitize_label guarantees it
        raise TrainError(f"label {name!r} ({where}) cannot be made a valid identifier")
    log.warning("label %r (%s) is not a valid C identifier / file name; using %r "
                "(letters, digits and _ only, not starting with a digit, at most 32 characters)",
                name, where, fixed)
    return fixed


def parse_labels(text: str | None) -> list[str] | None:
    """`yes,no,up` -> ['yes', 'no', 'up'] (None stays None)."""
    if text is None:
        return None
    labels = [t.strip() for t in text.split(",") if t.strip()]
    if not labels:
        raise TrainError("--labels is empty; give keywords separated by commas, e.g. --labels yes,no")
    dup = [k for k, v in Counter(labels).items() if v > 1]
    if dup:
        raise TrainError(f"--labels names {', '.join(dup)} more than once")
    for reserved in (SILENCE_LABEL, UNKNOWN_LABEL):
        if reserved in labels:
            raise TrainError(f"--labels must not include {reserved}: it is always added")
    return labels


# ----------------------------------------------------------------- splits
def manifest_speakers(root: Path) -> dict[str, str]:
    """{relative path: speaker} from root/manifest.csv when it has `path` and
    `speaker` columns (empty speakers are left out); {} otherwise."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"path", "speaker"} <= set(reader.fieldnames):
            return {}
        return {row["path"]: row["speaker"] for row in reader if row.get("speaker")}


def speaker_group(speaker: str) -> str:
    """Group of a speaker id for reports: `engine-voice` of `engine-voice-variant`
    (synthetic data), else 'speakers' (real data with opaque ids)."""
    parts = speaker.split("-")
    if len(parts) >= 2:
        return "-".join(parts[:2])
    return "speakers"


def engine_of(speaker: str) -> str:
    parts = speaker.split("-")
    return parts[0] if len(parts) >= 2 else "speakers"


# ------------------------------------------------------------------- wavs
# The reader, resampler and padding live in generator.wav, shared with the
# harness; `resample` here is the band-limited one training has always used.
BadWav = WavFormatError
resample = resample_bandlimited


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(int16 mono samples, rate); BadWav for anything else, a file that
    cannot be opened included (so --skip-bad-files skips it too)."""
    try:
        return wav.read_wav(path)
    except OSError as e:
        raise BadWav(path, f"not a readable PCM wav file ({e})") from e


# ---------------------------------------------------------------- dataset
@dataclass
class Clip:
    path: Path
    label: str       # final class: a keyword, _unknown_ or _silence_
    folder: str      # the folder it came from (the word)
    speaker: str
    split: str
    real: bool = False   # from a --real folder


@dataclass
class Dataset:
    root: Path
    labels: list[str]                 # [_silence_, _unknown_, keywords...]
    clips: list[Clip]
    background: list[np.ndarray]      # int16 noise recordings at the sample rate
    background_names: list[str]
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def keywords(self) -> list[str]:
        return self.labels[2:]

    def split(self, name: str) -> list[Clip]:
        return [c for c in self.clips if c.split == name]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {s: defaultdict(int) for s in SPLITS}
        for c in self.clips:
            out[c.split][c.label] += 1
        return {s: dict(v) for s, v in out.items()}


def _check_root(root: Path, option: str) -> list[Path]:
    """The label folders of one data folder (errors name the option)."""
    if not root.exists():
        raise TrainError(f"{option} {root}: no such folder")
    if not root.is_dir():
        raise TrainError(f"{option} {root}: not a folder; give the folder holding "
                         "<label>/<clip>.wav")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not any(not p.name.startswith("_") or p.name in (UNKNOWN_LABEL, SILENCE_LABEL)
               for p in folders):
        raise TrainError(f"{option} {root}: no label folders; expected {root}/<label>/<clip>.wav "
                         f"(e.g. {root}/yes/abc123_nohash_0.wav)")
    return folders


def _keywords(names: list[str], wanted: list[str] | None, where: str
              ) -> tuple[list[str], list[str], dict[str, str]]:
    """(wanted folder names, their labels, renamed) for the keyword folders found."""
    if wanted is None:
        wanted = names
    missing = [w for w in wanted if w not in names]
    if missing:
        raise TrainError(f"--labels: no folder {', '.join(repr(m) for m in missing)} in {where}; "
                         f"folders present: {', '.join(names)}")
    if len(wanted) < 1:
        raise TrainError("need at least one keyword")
    renamed: dict[str, str] = {}
    keywords: list[str] = []
    for w in wanted:
        fixed = check_label(w, f"folder {w}")
        if fixed != w:
            renamed[w] = fixed
        if fixed in keywords or fixed in (SILENCE_LABEL, UNKNOWN_LABEL):
            raise TrainError(f"label {w!r} becomes {fixed!r}, which another label already uses; "
                             "rename the folder")
        keywords.append(fixed)
    return list(wanted), keywords, renamed


def scan_dataset(root: str | Path | list, wanted: list[str] | None = None,
                 validation_percentage: float = 10.0, testing_percentage: float = 10.0,
                 holdout: list[str] | None = None, sample_rate: int = 16000,
                 skip_bad_files: bool = False, real: list | None = None,
                 real_train_percentage: float = 50.0,
                 real_validation_percentage: float = 10.0) -> Dataset:
    """Find the clips of one or more data set folders and assign classes and splits.

    wanted: keyword folders (None: every folder not starting with '_' in any root).
    holdout: fnmatch patterns of speaker ids (e.g. 'piper-*') kept out of
    training and validation and reported as split 'heldout'.
    real: folders of real recordings, split by `real_split` instead of which_set.
    """
    roots = [Path(r) for r in (root if isinstance(root, (list, tuple)) else [root])]
    real_roots = [Path(r) for r in (real or [])]
    if not roots and not real_roots:
        raise TrainError("no data folder; give --data DIR (or --real DIR)")
    for pct, flag in ((real_train_percentage, "--real-train-percent"),
                      (real_validation_percentage, "--real-validation-percent")):
        if not 0 <= pct <= 100:
            raise TrainError(f"{flag} {pct:g}: must be between 0 and 100")
    if real_train_percentage + real_validation_percentage > 100:
        raise TrainError("--real-train-percent plus --real-validation-percent exceed 100")
    sources = [(r, False, _check_root(r, "--data")) for r in roots]
    sources += [(r, True, _check_root(r, "--real")) for r in real_roots]
    names = sorted({p.name for _, _, folders in sources for p in folders
                    if not p.name.startswith("_")})
    where = ", ".join(str(r) for r, _, _ in sources)
    wanted, keywords, renamed = _keywords(names, wanted, where)
    labels = [SILENCE_LABEL, UNKNOWN_LABEL] + keywords

    holdout = holdout or []
    clips: list[Clip] = []
    ignored: list[Path] = []
    for src, is_real, folders in sources:
        speakers = manifest_speakers(src)
        for folder in folders:
            if folder.name.startswith("_") and folder.name not in (UNKNOWN_LABEL, SILENCE_LABEL):
                continue   # _background_noise_ and other special folders
            files = sorted(folder.iterdir())
            wavs = [f for f in files if f.is_file() and f.suffix.lower() == ".wav"]
            ignored += [f for f in files if not (f.is_file() and f.suffix.lower() == ".wav")]
            if folder.name in wanted:
                label = keywords[wanted.index(folder.name)]
            elif folder.name == SILENCE_LABEL:
                label = SILENCE_LABEL
            else:
                label = UNKNOWN_LABEL
            for f in wavs:
                spk = speakers.get(f.relative_to(src).as_posix()) or speaker_of(f)
                if is_real:
                    split = real_split(spk, real_train_percentage, real_validation_percentage)
                elif any(fnmatch.fnmatchcase(spk, pat) for pat in holdout):
                    split = "heldout"
                else:
                    split = which_set(f, validation_percentage, testing_percentage)
                clips.append(Clip(f, label, folder.name, spk, split, is_real))
    for kw, folder in zip(keywords, wanted):
        if not any(c.label == kw for c in clips):
            raise TrainError(f"label {kw!r}: the folder(s) {folder!r} in {where} have no .wav files")
    if ignored:
        log.warning("ignored %d entries that are not .wav files, e.g. %s", len(ignored),
                    ", ".join(str(p) for p in ignored[:3]))
    if holdout and not any(c.split == "heldout" for c in clips):
        raise TrainError(f"--holdout {','.join(holdout)} matches no speaker; speaker ids look like "
                         f"{', '.join(sorted({c.speaker for c in clips})[:5])}")
    for kw in keywords:
        if not any(c.label == kw and c.split == "train" for c in clips):
            raise TrainError(f"label {kw!r}: no training clips left after the speaker split "
                             "(every speaker went to validation/test/held-out); add speakers")

    background, bg_names = [], []
    for src, _, _ in sources:
        bg_dir = src / BACKGROUND_DIR
        for f in sorted(bg_dir.glob("*.wav")) if bg_dir.is_dir() else []:
            try:
                pcm, rate = read_wav(f)
            except BadWav as e:
                if not skip_bad_files:
                    raise TrainError(f"{f}: {e.reason}; fix or remove it, or pass --skip-bad-files") from None
                log.warning("%s: skipped (%s)", f, e.reason)
                continue
            if rate != sample_rate:
                log.warning("%s: resampling background noise %d Hz -> %d Hz", f, rate, sample_rate)
                pcm = resample(pcm, rate, sample_rate)
            if pcm.size >= sample_rate:
                background.append(pcm)
                bg_names.append(f.name)
    if not background and not any(c.real and c.label == SILENCE_LABEL and c.split == "train"
                                  for c in clips):
        # (a --real folder's _silence_ clips that train become the noise: see train.py)
        log.warning("no %s folder with wav files of at least 1 s in %s: training without noise "
                    "augmentation, _silence_ is digital silence plus synthetic white noise",
                    BACKGROUND_DIR, where)
    return Dataset(roots[0] if roots else real_roots[0], labels, clips, background, bg_names,
                   renamed)


def scan_negatives(roots: list, keywords: list[str]) -> list[Clip]:
    """The clips of `--negatives` folders (same layout as --data): every word folder
    that is not a keyword trains as _unknown_, in the split 'train' only, so that
    validation, the recognizer's choice and the reports stay on the data proper.
    Keyword folders, phrases holding a keyword ("go_on": a stream may rightly hear
    "go" in it) and special folders other than _unknown_ are left out: such a
    folder says what is not a keyword, never what one is."""
    clips: list[Clip] = []
    for root in map(Path, roots):
        speakers = manifest_speakers(root)
        for folder in _check_root(root, "--negatives"):
            if (folder.name.startswith("_") and folder.name != UNKNOWN_LABEL) \
                    or sanitize_label(folder.name) in keywords \
                    or any(w in keywords for w in folder.name.split("_")):
                continue
            for f in sorted(folder.glob("*.wav")):
                spk = speakers.get(f.relative_to(root).as_posix()) or speaker_of(f)
                clips.append(Clip(f, UNKNOWN_LABEL, folder.name, spk, "train"))
    if roots and not clips:
        raise TrainError(f"--negatives {', '.join(map(str, roots))}: no .wav files in word "
                         f"folders other than the keywords ({', '.join(keywords)})")
    return clips


def load_clips(clips: list[Clip], sample_rate: int = 16000, clip_samples: int = 16000,
               skip_bad_files: bool = False, progress=None) -> tuple[np.ndarray, list[Clip]]:
    """(N, clip_samples) int16 of the clips (padded/trimmed, resampled with a
    warning) and the clips actually loaded."""
    out, kept, bad = [], [], []
    rates: Counter = Counter()
    it = progress(clips) if progress else clips
    for c in it:
        try:
            pcm, rate = read_wav(c.path)
        except BadWav as e:
            bad.append((c.path, e.reason))
            continue
        if rate != sample_rate:
            rates[rate] += 1
            pcm = resample(pcm, rate, sample_rate)
        out.append(fit_length(pcm, clip_samples))
        kept.append(c)
    if bad:
        listing = "; ".join(f"{p}: {r}" for p, r in bad[:5])
        if not skip_bad_files:
            raise TrainError(f"{len(bad)} unreadable wav file(s): {listing}"
                             f"{' ...' if len(bad) > 5 else ''}. Fix or remove them, or pass "
                             "--skip-bad-files to leave them out")
        log.warning("skipped %d unreadable wav file(s): %s", len(bad), listing)
    for rate, n in sorted(rates.items()):
        log.warning("resampled %d clip(s) from %d Hz to %d Hz (FFT resampling); "
                    "convert the data set to %d Hz to avoid this", n, rate, sample_rate, sample_rate)
    arr = np.stack(out) if out else np.zeros((0, clip_samples), np.int16)
    return arr, kept


def data_fingerprint(clips: list[Clip], extra: str = "") -> str:
    h = hashlib.sha1(extra.encode())
    for c in clips:
        st = c.path.stat()
        h.update(f"{c.path}|{st.st_size}|{st.st_mtime_ns}|{c.label}|{c.split}\n".encode())
    return h.hexdigest()[:16]


def ceil_pct(n: int, pct: float) -> int:
    return int(math.ceil(n * pct / 100.0))
