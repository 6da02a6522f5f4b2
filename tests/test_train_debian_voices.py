"""kws-train synth's RHVoice and pico engines (Debian non-free, unpacked into the venv)."""

from __future__ import annotations

import csv
import hashlib
import io

import numpy as np
import pytest
import requires

from generator.train import debian_voices
from generator.train.errors import SynthError
from generator.train.synth import DEFAULT_ENGINES, SynthOptions, plan

def test_plan_adds_the_debian_voices_only_when_named_and_last():
    key = lambda j: (j.relpath, j.params, j.cents, j.tempo, j.speed, j.seed)
    base = plan(SynthOptions(out="x", seed=1, engines=["espeak", "flite"], variants=2))
    more = plan(SynthOptions(out="x", seed=1, engines=["espeak", "flite", "rhvoice", "pico"],
                             variants=2))
    assert [key(j) for j in more[:len(base)]] == [key(j) for j in base]
    added = {j.speaker for j in more[len(base):]}
    assert added == {f"rhvoice-{v}-v{k}" for v in ("alan", "bdl", "clb") for k in (0, 1)} | {
        f"pico-{v}-v{k}" for v in ("enus", "engb") for k in (0, 1)}
    assert "rhvoice" not in DEFAULT_ENGINES and "pico" not in DEFAULT_ENGINES
    assert not any(j.engine in ("rhvoice", "pico") for j in plan(SynthOptions(out="x")))
    assert all(0.75 < j.params["rate"] < 1.32 for j in more[len(base):])


def test_fetch_refuses_a_file_that_is_not_the_pinned_one(tmp_path, monkeypatch):
    monkeypatch.setattr(debian_voices.urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(b"not a deb"))
    root = tmp_path / "voices"
    with pytest.raises(SynthError, match="SHA-256"):
        debian_voices.fetch(root)
    assert not root.exists() and not list(tmp_path.iterdir())   # nothing half-written


def test_missing_files_name_the_fix(tmp_path):
    with pytest.raises(SynthError, match="make setup"):
        debian_voices.RHVoice(tmp_path)
    with pytest.raises(SynthError, match="make setup"):
        debian_voices.Pico(tmp_path, "en-US")


@pytest.mark.slow
def test_small_debian_voice_build_is_deterministic(tmp_path):
    requires.tool("sox")
    requires.debian_voices_root()
    from generator.train.data import read_wav
    from generator.train.synth import synthesize

    def build(out):
        opts = SynthOptions(out=out, seed=3, engines=["rhvoice", "pico"], keywords=["yes", "go"],
                            reps=1, unknown_per_speaker=1, variants=1, noise_seconds=1, jobs=2)
        synthesize(opts, show=False)
        return {p.relative_to(out).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*.wav")) if "_background_noise_" not in p.parts}

    a, b = build(tmp_path / "a"), build(tmp_path / "b")
    assert a == b and len(a) == 3 * (3 + 2)
    with open(tmp_path / "a" / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["engine"], r["voice"]) for r in rows} == {
        ("rhvoice", "alan"), ("rhvoice", "bdl"), ("rhvoice", "clb"), ("pico", "en-US"),
        ("pico", "en-GB")}
    for r in rows:   # speech: a loud part well above the floor
        pcm, rate = read_wav(tmp_path / "a" / r["path"])
        frames = pcm[: 16000 // 160 * 160].astype(np.float64).reshape(-1, 160)
        rms = np.sqrt(np.mean(frames ** 2, axis=1))
        assert rate == 16000 and rms.max() > 30 * np.percentile(rms, 10), r["path"]


def test_engines_speak_at_their_rates():
    # TensorFlow exports an FFT under the names pico's own uses: both loaded in one process
    # must still work (pico is deep-bound to its own symbols)
    import tensorflow  # noqa: F401

    root = requires.debian_voices_root()
    tts = debian_voices.RHVoice(root)
    slow, fast = tts.speak("stop", "bdl", 0.8), tts.speak("stop", "bdl", 1.25)
    assert tts.rate == 24000 and len(slow) > 1.2 * len(fast) > 0
    pico = debian_voices.Pico(root, "en-GB")
    slow, fast = pico.speak("stop", 0.8), pico.speak("stop", 1.25)
    assert len(slow) > 1.2 * len(fast) > 0
