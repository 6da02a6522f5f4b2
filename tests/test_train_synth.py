"""kws-train synth: planning, naming, determinism; a small real build when espeak-ng is here."""

from __future__ import annotations

import csv
import hashlib
import shutil

import pytest

from generator.train.data import scan_dataset, speaker_of
from generator.train.synth import (KEYWORDS, SynthOptions, asterisk_words, finish_clip, plan,
                                   Job)


def test_plan_is_deterministic_and_named_for_the_split():
    a = plan(SynthOptions(out="x", seed=3, engines=["espeak", "flite", "festival", "piper"]))
    b = plan(SynthOptions(out="x", seed=3, engines=["espeak", "flite", "festival", "piper"]))
    c = plan(SynthOptions(out="x", seed=4, engines=["espeak", "flite", "festival", "piper"]))
    key = lambda jobs: [(j.relpath, j.params, j.cents, j.tempo, j.speed, j.peak_dbfs) for j in jobs]
    assert key(a) == key(b) and key(a) != key(c)
    paths = [j.relpath for j in a]
    assert len(paths) == len(set(paths))
    for j in a:
        assert speaker_of(j.relpath) == j.speaker
        engine, voice, variant = j.speaker.split("-")
        assert engine == j.engine and voice.isalnum() and variant.isalnum()
        assert "_nohash_" not in j.speaker
    assert {j.word for j in a} >= set(KEYWORDS)
    assert {j.engine for j in a} == {"espeak", "flite", "festival", "piper"}


def test_asterisk_words_exclude_keywords():
    for _, word in asterisk_words(KEYWORDS):
        for k in KEYWORDS:
            assert word.lower() not in (k,) and not word.lower().startswith(k + "_")


def test_finish_clip_fits_one_second():
    import numpy as np

    j = Job("espeak", "en", "m1", "go", "go", 0, peak_dbfs=-6.0, offset=1.0, seed=1)
    raw = np.concatenate([np.zeros(4000), np.sin(np.arange(30000) / 5) * 9000, np.zeros(3000)])
    out = finish_clip(raw.astype(np.int16), j)
    assert out.shape == (16000,) and out.dtype == np.int16
    assert abs(20 * np.log10(np.abs(out).max() / 32767) + 6) < 0.5


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                    reason="espeak-ng and sox not installed (apt-get install -y espeak-ng sox)")
def test_small_espeak_build_is_deterministic(tmp_path):
    from generator.train.synth import synthesize

    def build(out):
        opts = SynthOptions(out=out, seed=5, engines=["espeak"], espeak_speakers=4, reps=1,
                            unknown_per_speaker=2, noise_seconds=2, jobs=2)
        synthesize(opts, show=False)
        return {p.relative_to(out).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*.wav"))}

    a, b = build(tmp_path / "a"), build(tmp_path / "b")
    assert a == b
    assert sum(1 for k in a if k.startswith("_background_noise_/")) >= 4
    with open(tmp_path / "a" / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * (len(KEYWORDS) + 2)
    assert {r["engine"] for r in rows} == {"espeak"} and all(r["voice"] and r["params"] for r in rows)
    ds = scan_dataset(tmp_path / "a", KEYWORDS)
    assert len(ds.clips) == len(rows) and ds.background
