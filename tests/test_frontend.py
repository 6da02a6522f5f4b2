"""Frontend: config, validation, serialisation, streaming, output types,
rendering and wav reading (no TensorFlow needed)."""

from __future__ import annotations

import dataclasses
import json
import logging
import wave

import numpy as np
import pytest

from generator.frontend import (
    Frontend,
    FrontendConfig,
    FrontendConfigError,
    WavFormatError,
    c_defines,
    c_sources,
    config_id,
    load_wav,
    render_c_tables,
)
from generator.frontend.tables import (
    INT8_DIV,
    compute_tables,
    fft_factors,
    fft_scatter_table,
    int8_divider,
    int8_from_uint16,
    log_lut,
)
from generator.frontend.testsignals import make_clips

# ------------------------------------------------------------------ config


def test_defaults_are_micro_speech():
    c = FrontendConfig()
    assert (c.sample_rate, c.window_ms, c.stride_ms, c.channels) == (16000, 30, 20, 40)
    assert (c.lower_hz, c.upper_hz) == (125.0, 7500.0)
    assert (c.smoothing_bits, c.even_smoothing, c.odd_smoothing, c.min_signal_remaining) == (
        10, 0.025, 0.06, 0.05)
    assert (c.pcan, c.pcan_strength, c.pcan_offset, c.gain_bits) == (True, 0.95, 80.0, 21)
    assert (c.log, c.scale_shift, c.output, c.out_scale, c.tables) == (True, 6, "uint16", 1, "tf")
    assert (c.window_size, c.step_size, c.fft_size) == (480, 320, 512)
    assert c.num_frames(16000) == 49 and c.num_frames(479) == 0 and c.num_frames(480) == 1
    c.validate()


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FrontendConfig().channels = 3  # type: ignore[misc]


@pytest.mark.parametrize("cfg", [
    FrontendConfig(),
    FrontendConfig(stride_ms=10, channels=10, upper_hz=4000.0, pcan=False, log=False,
                   noise_reduction=False, output="int8", out_scale=3, tables="tflm"),
])
def test_round_trips(cfg):
    assert FrontendConfig.from_json(cfg.to_json()) == cfg
    assert FrontendConfig.from_dict(cfg.to_dict()) == cfg
    assert FrontendConfig.from_dict(json.loads(cfg.to_json(indent=None))) == cfg


def test_from_dict_rejects_unknown_and_bad_json():
    with pytest.raises(FrontendConfigError, match="unknown frontend parameter.*chanels"):
        FrontendConfig.from_dict({"chanels": 40})
    with pytest.raises(FrontendConfigError, match="not valid JSON"):
        FrontendConfig.from_json("{")
    assert FrontendConfig.from_dict({}) == FrontendConfig()


@pytest.mark.parametrize("kwargs, name, words", [
    ({"upper_hz": 9000.0}, "upper_hz", "Nyquist"),
    ({"upper_hz": 8000.0}, "upper_hz", "last bin"),
    ({"lower_hz": 7600.0}, "upper_hz", "above lower_hz"),
    ({"lower_hz": -1.0}, "lower_hz", ">= 0"),
    ({"channels": 0}, "channels", "between 1"),
    ({"channels": 2.5}, "channels", "integer"),
    ({"window_ms": 300}, "window_ms", "too big"),
    ({"window_ms": 0}, "window_ms", "positive"),
    ({"sample_rate": 11025}, "window_ms", "whole number of samples"),
    ({"stride_ms": 40}, "stride_ms", "must not exceed"),
    ({"window_ms": 30.5}, "window_ms", "integer"),
    ({"even_smoothing": 1.5}, "even_smoothing", "between 0.0 and 1.0"),
    ({"min_signal_remaining": float("nan")}, "min_signal_remaining", "finite"),
    ({"gain_bits": 14}, "gain_bits", "at least 15"),
    ({"gain_bits": 40}, "gain_bits", "between 0 and 31"),
    ({"smoothing_bits": 1}, "smoothing_bits", "between 3"),
    ({"scale_shift": 12}, "scale_shift", "overflow"),
    ({"out_scale": 0}, "out_scale", "between 1"),
    ({"output": "int16"}, "output", "one of"),
    ({"tables": "numpy"}, "tables", "one of"),
    ({"pcan": 1}, "pcan", "true or false"),
    ({"window_ms": 1, "stride_ms": 1, "sample_rate": 8000}, "window_ms", "longer window"),
])
def test_validate_names_parameter_and_fix(kwargs, name, words):
    with pytest.raises(FrontendConfigError) as ei:
        FrontendConfig(**kwargs).validate()
    msg = str(ei.value)
    assert msg.startswith(name + "="), msg
    assert words in msg, msg
    assert isinstance(ei.value, ValueError)


def test_frontend_rejects_invalid_config():
    with pytest.raises(FrontendConfigError):
        Frontend(FrontendConfig(channels=0))


# ------------------------------------------------------------------ tables


def test_fft_factors_and_scatter_are_permutations():
    assert fft_factors(256) == [(4, 64), (4, 16), (4, 4), (4, 1)]
    assert fft_factors(512) == [(4, 128), (4, 32), (4, 8), (4, 2), (2, 1)]
    for n in (8, 16, 32, 64, 128, 256, 512, 1024, 2048):
        s = fft_scatter_table(n)
        assert sorted(s.tolist()) == list(range(n))


def test_log_lut_shape():
    lut = log_lut()
    assert lut.size == 129 and lut[0] == 0 and lut[128] == 0 and lut.max() == 5641


def test_int8_divider_exact():
    magic, shift = int8_divider()
    assert magic < 2**32
    n = np.arange(65536, dtype=np.uint64) * 256 + 333
    assert np.array_equal((n * np.uint64(magic)) >> np.uint64(shift), n // INT8_DIV)
    assert INT8_DIV == 666


def test_tables_flavors_differ_only_slightly():
    a = compute_tables(FrontendConfig())
    b = compute_tables(FrontendConfig(tables="tflm"))
    assert a.scalars["bin_start"] == b.scalars["bin_start"]
    assert np.count_nonzero(a.window != b.window) <= 5
    assert np.abs(a.window.astype(int) - b.window).max() <= 1
    assert np.count_nonzero(a.weights != b.weights) <= 10


# --------------------------------------------------------------- behaviour


@pytest.fixture(scope="module")
def clips():
    return [c for _, c in make_clips(60, seed=7)]


def test_compute_shape_dtype_and_determinism(clips):
    fe = Frontend()
    for pcm in clips[:12]:
        out = fe.compute(pcm)
        assert out.dtype == np.uint16
        assert out.shape == (FrontendConfig().num_frames(pcm.size), 40)
        assert np.array_equal(out, fe.compute(pcm))
    assert fe.compute(np.zeros(0, np.int16)).shape == (0, 40)


def test_compute_accepts_int_lists_but_not_floats():
    fe = Frontend()
    a = fe.compute(np.arange(1000, dtype=np.int16))
    assert np.array_equal(a, fe.compute(list(range(1000))))
    with pytest.raises(TypeError, match="int16"):
        fe.compute(np.zeros(1000, np.float32) + 0.5)
    with pytest.raises(ValueError, match="1-D"):
        fe.compute(np.zeros((2, 500), np.int16))
    with pytest.raises(ValueError, match="int16 range"):
        fe.compute(np.array([40000]))


@pytest.mark.parametrize("cfg", [FrontendConfig(), FrontendConfig(stride_ms=10, output="int8")])
def test_streaming_equals_whole_clip(cfg, clips):
    fe = Frontend(cfg)
    rng = np.random.default_rng(3)
    for pcm in clips[:20]:
        fe.reset()
        parts, pos = [], 0
        while pos < pcm.size:
            n = int(rng.choice([1, 7, 160, 319, 320, 481, 1000, 4000]))
            parts.append(fe.process(pcm[pos:pos + n]))
            pos += n
        streamed = np.concatenate(parts) if parts else np.zeros((0, cfg.channels))
        assert np.array_equal(streamed, fe.compute(pcm))


def test_streaming_keeps_state_and_reset_clears(clips):
    fe = Frontend()
    a = fe.process(clips[0])
    b = fe.process(clips[0])  # continues: noise/PCAN state and partial window carried
    assert not np.array_equal(a, b[:len(a)]) or len(a) != len(b)
    fe.reset()
    assert np.array_equal(fe.process(clips[0]), a)
    # process() and compute() do not disturb each other
    fe.reset()
    first = fe.process(clips[1][:5000])
    fe.compute(clips[2])
    rest = fe.process(clips[1][5000:])
    assert np.array_equal(np.concatenate([first, rest]), fe.compute(clips[1]))


def test_output_types_and_out_scale(clips):
    pcm = clips[3]
    base = Frontend().compute(pcm)
    i8 = Frontend(FrontendConfig(output="int8")).compute(pcm)
    assert i8.dtype == np.int8 and np.array_equal(i8, int8_from_uint16(base))
    f32 = Frontend(FrontendConfig(output="float32", out_scale=4)).compute(pcm)
    assert f32.dtype == np.float32 and np.array_equal(f32, base.astype(np.float32) / 4)
    u3 = Frontend(FrontendConfig(out_scale=3)).compute(pcm)
    assert np.array_equal(u3, base // 3)


def test_int8_mapping_matches_micro_speech_formula():
    v = np.arange(65536, dtype=np.int64)
    want = np.clip((v * 256 + 333) // 666 - 128, -128, 127)
    assert np.array_equal(int8_from_uint16(v.astype(np.uint16)), want.astype(np.int8))


def test_noise_reduction_off_passes_signal(clips):
    """With noise reduction off the output is the filterbank energy (with
    PCAN and log off too, a plain sqrt of mel energies)."""
    pcm = clips[0]
    raw = Frontend(FrontendConfig(noise_reduction=False, pcan=False, log=False)).compute(pcm)
    nr = Frontend(FrontendConfig(pcan=False, log=False)).compute(pcm)
    assert (raw >= nr).all()


# --------------------------------------------------------------- rendering


def test_render_c_tables_content():
    cfg = FrontendConfig()
    src = render_c_tables(cfg)
    assert "const kws_frontend_config_t kws_frontend_default = {" in src
    assert f"0x{config_id(cfg):08x}u" in src
    assert "KWS_FE_MAX_FFT_SIZE_at_least_512" in src
    assert '"channels": 40' in src
    other = render_c_tables(FrontendConfig(channels=10, upper_hz=4000.0), name="fe_small")
    assert "const kws_frontend_config_t fe_small" in other and "fe_small_window[480]" in other
    with pytest.raises(FrontendConfigError, match="not a C identifier"):
        render_c_tables(cfg, name="1abc")
    with pytest.raises(FrontendConfigError, match="host-only|no floating point"):
        render_c_tables(FrontendConfig(output="float32"))


def test_c_sources_and_defines():
    paths = c_sources()
    assert [p.name for p in paths] == ["kws_frontend.c", "cmd_features.c"]
    assert all(p.is_file() for p in paths)
    assert (paths[0].parent / "kws_frontend.h").is_file()
    assert c_defines(FrontendConfig(window_ms=40)) == {
        "KWS_FE_MAX_WINDOW": "640u", "KWS_FE_MAX_FFT_SIZE": "1024u", "KWS_FE_MAX_CHANNELS": "40u"}


def test_config_id_depends_on_every_field():
    base = config_id(FrontendConfig())
    assert base == config_id(FrontendConfig())
    assert base != config_id(FrontendConfig(tables="tflm"))
    assert base != config_id(FrontendConfig(pcan_offset=81.0))


# --------------------------------------------------------------------- wav


def _write_wav(path, data: bytes, rate=16000, channels=1, width=2):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)


def test_load_wav_ok_and_errors(tmp_path, caplog):
    pcm = (np.arange(1600) * 7 - 5000).astype("<i2")
    ok = tmp_path / "ok.wav"
    _write_wav(ok, pcm.tobytes())
    got = load_wav(ok)
    assert got.dtype == np.int16 and np.array_equal(got, pcm)

    bad8 = tmp_path / "b8.wav"
    _write_wav(bad8, bytes(100), width=1)
    with pytest.raises(WavFormatError, match="8-bit"):
        load_wav(bad8)
    st = tmp_path / "st.wav"
    _write_wav(st, pcm.tobytes(), channels=2)
    with pytest.raises(WavFormatError, match="2 channels"):
        load_wav(st)
    r8 = tmp_path / "r8.wav"
    _write_wav(r8, pcm.tobytes(), rate=8000)
    with pytest.raises(WavFormatError, match="8000 Hz"):
        load_wav(r8)
    with caplog.at_level(logging.WARNING):
        up = load_wav(r8, resample=True)
    assert up.size == 2 * pcm.size and "resampling" in caplog.text
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file at all")
    with pytest.raises(WavFormatError, match="not a PCM wav"):
        load_wav(junk)
