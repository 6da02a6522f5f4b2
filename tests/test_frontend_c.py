"""The C sources themselves: warning-free builds (host gcc and
arm-none-eabi-gcc), AddressSanitizer + UndefinedBehaviorSanitizer runs, the
FFT against an independent model of kissfft's fixed-point recursion, and the
FEATURES command handler driven through harness.features.device_features."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import requires

from generator.frontend import Frontend, FrontendConfig, render_c_tables
from generator.frontend.native import SHARED_DIR, TEMPLATE_DIR
from generator.frontend.tables import fft_factors, fft_scatter_table, fft_super_twiddles, fft_twiddles
from generator.frontend.testsignals import make_clips
from generator.render import contract_header
from harness.features import FeaturesMismatch, chunk_samples, device_features

RUNTIME_DIR = TEMPLATE_DIR.parent / "runtime"
WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
ARM_M7 = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
CC = "cc"
ARM_CC = "arm-none-eabi-gcc"


@pytest.fixture(autouse=True)
def _host_compiler():
    requires.tool(CC)


def _compile(cmd: list[str], cwd: Path) -> None:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stdout}{res.stderr}"
    assert res.stderr.strip() == "", res.stderr


RENDER_CONFIGS = [FrontendConfig(), FrontendConfig(stride_ms=10, output="int8"),
                  FrontendConfig(window_ms=40, channels=64, tables="tflm")]


@pytest.mark.parametrize("arm", [False, True], ids=["host", "arm-m7"])
def test_sources_compile_warning_free(arm, tmp_path):
    if arm:
        requires.tool(ARM_CC)
    cc = [ARM_CC, *ARM_M7] if arm else [CC]
    (tmp_path / "kws_contract.h").write_text(contract_header())  # gen-firmware renders it
    inc = ["-I", str(TEMPLATE_DIR), "-I", str(SHARED_DIR), "-I", str(RUNTIME_DIR), "-I", str(tmp_path)]
    for src in ["kws_frontend.c", "cmd_features.c"] + ([] if arm else ["kws_frontend_host.c"]):
        _compile([*cc, *WARN, *inc, "-c", str(TEMPLATE_DIR / src), "-o", src + ".o"], tmp_path)
    if arm:  # the portable path and a Cortex-M4 build as well
        _compile([*cc, *WARN, *inc, "-DKWS_FE_NO_DSP", "-c", str(TEMPLATE_DIR / "kws_frontend.c"),
                  "-o", "nodsp.o"], tmp_path)
        _compile([ARM_CC, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", *WARN, *inc, "-c",
                  str(TEMPLATE_DIR / "kws_frontend.c"), "-o", "m4.o"], tmp_path)
        _compile([ARM_CC, "-mcpu=cortex-m0", "-mthumb", *WARN, *inc, "-c",
                  str(TEMPLATE_DIR / "kws_frontend.c"), "-o", "m0.o"], tmp_path)
    for i, cfg in enumerate(RENDER_CONFIGS):
        (tmp_path / f"t{i}.c").write_text(render_c_tables(cfg))
        defs = [] if i == 0 else [f"-D{k}={v}" for k, v in
                                  {"KWS_FE_MAX_WINDOW": 640, "KWS_FE_MAX_FFT_SIZE": 1024,
                                   "KWS_FE_MAX_CHANNELS": 64}.items()]
        _compile([*cc, *WARN, *inc, *defs, "-c", f"t{i}.c", "-o", f"t{i}.o"], tmp_path)


def test_rendered_tables_check_state_size(tmp_path):
    (tmp_path / "t.c").write_text(render_c_tables(FrontendConfig(window_ms=40)))
    res = subprocess.run([CC, *WARN, "-I", str(TEMPLATE_DIR), "-I", str(SHARED_DIR), "-c", "t.c"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode != 0 and "KWS_FE_MAX_WINDOW_at_least_640" in res.stderr


# ---------------------------------------------------------------- harness C

PROGRAM = r"""
/* Test driver: includes the frontend to reach its static FFT, plus the
 * FEATURES handler over a fake protocol on stdin/stdout. */
#include <stdio.h>
#include <stdlib.h>
#include "kws_frontend.c"
#include "kws_protocol.h"

void kws_cmd_features(const kws_request_t *req);
static uint8_t reply[8192];
static size_t reply_len, reply_want;

void kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len)
{ (void)seq; reply[0] = 0; reply[1] = type; reply_len = 0; reply_want = len; }
void kws_reply_write(const void *data, size_t n)
{ if (reply_len + n > reply_want) abort(); memcpy(reply + 2 + reply_len, data, n); reply_len += n; }
void kws_reply_end(void)
{
    uint8_t hdr[4] = {0, reply[1], (uint8_t)reply_len, (uint8_t)(reply_len >> 8)};
    if (reply_len != reply_want) abort();
    fwrite(hdr, 1, 4, stdout); fwrite(reply + 2, 1, reply_len, stdout); fflush(stdout);
}
void kws_reply_error(uint16_t seq, uint8_t code, const char *message)
{
    size_t n = strlen(message);
    uint8_t hdr[5] = {1, 0x7F, (uint8_t)(n + 1), (uint8_t)((n + 1) >> 8), code};
    (void)seq; fwrite(hdr, 1, 5, stdout); fwrite(message, 1, n, stdout); fflush(stdout);
}

static int rd(void *p, size_t n) { return fread(p, 1, n, stdin) == n; }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fft") == 0) {
        uint32_t n, count, i, k;
        uint16_t *scatter; int16_t *tw, *stw, *x, *buf;
        if (!rd(&n, 4)) return 2;
        scatter = malloc(2 * n); tw = malloc(4 * n); stw = malloc(2 * n);
        x = malloc(4 * n); buf = malloc(4 * (n + 1));
        if (!rd(scatter, 2 * n) || !rd(tw, 4 * n) || !rd(stw, 2 * n) || !rd(&count, 4)) return 3;
        for (k = 0; k < count; ++k) {
            if (!rd(x, 4 * n)) return 4;
            for (i = 0; i < n; ++i) { buf[2 * scatter[i]] = x[2 * i]; buf[2 * scatter[i] + 1] = x[2 * i + 1]; }
            kws_fft16_complex(buf, n, tw);
            kws_fft16_real_split(buf, n, stw);
            fwrite(buf, 2, 2 * (n + 1), stdout);
        }
        free(scatter); free(tw); free(stw); free(x); free(buf);
        return 0;
    }
    for (;;) {
        uint8_t hdr[3], body[KWS_MAX_BODY + 16];
        kws_request_t req;
        if (!rd(hdr, 3)) return 0;
        req.type = hdr[0]; req.seq = 1; req.len = (uint16_t)(hdr[1] | (hdr[2] << 8));
        if (req.len > sizeof(body) || !rd(body, req.len)) return 5;
        req.body = body;
        kws_cmd_features(&req);
    }
}
"""

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]


def _build_driver(tmp_path: Path, cfg: FrontendConfig, sanitize: bool = True) -> Path:
    (tmp_path / "driver.c").write_text(PROGRAM)
    (tmp_path / "kws_contract.h").write_text(contract_header())
    (tmp_path / "tables.c").write_text(render_c_tables(cfg))
    exe = tmp_path / "driver"
    flags = SANITIZE if sanitize else ["-O2"]
    _compile([CC, "-std=c99", "-Wall", "-Wextra", "-Werror", *flags, "-I", str(TEMPLATE_DIR), "-I", str(SHARED_DIR),
              "-I", str(RUNTIME_DIR), "-I", str(tmp_path), "-DKWS_FE_MAX_WINDOW=640u", "-DKWS_FE_MAX_FFT_SIZE=1024u",
              "-DKWS_FE_MAX_CHANNELS=64u", "driver.c", "tables.c",
              str(TEMPLATE_DIR / "cmd_features.c"), "-o", str(exe)], tmp_path)
    return exe


def _require_sanitizers(tmp_path: Path) -> None:
    (tmp_path / "probe.c").write_text("int main(void){return 0;}\n")
    res = subprocess.run([CC, *SANITIZE, "probe.c", "-o", "probe"], cwd=tmp_path, capture_output=True)
    if res.returncode != 0 or subprocess.run([str(tmp_path / "probe")]).returncode != 0:
        pytest.fail("ASan/UBSan do not build or run here: their runtimes (libasan8, libubsan1) "
                    "come with the Debian package gcc (`make setup` installs it)\n"
                    + res.stderr.decode(errors="replace"), pytrace=False)


class DeviceError(RuntimeError):
    pass


class FakeDevice:
    """harness-style client around the driver's stdin/stdout."""

    def __init__(self, exe: Path):
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def request(self, command: int, body: bytes = b"", timeout: float = 5.0) -> bytes:
        self.proc.stdin.write(bytes([command]) + struct.pack("<H", len(body)) + body)
        self.proc.stdin.flush()
        head = self.proc.stdout.read(4)
        if len(head) < 4:
            raise RuntimeError(f"driver died: {self.proc.stderr.read().decode()}")
        status, _type, n = head[0], head[1], head[2] | (head[3] << 8)
        data = self.proc.stdout.read(n)
        if status:
            raise DeviceError(f"error {data[0]}: {data[1:].decode()}")
        return data

    def close(self) -> str:
        self.proc.stdin.close()
        err = self.proc.stderr.read().decode()
        assert self.proc.wait(timeout=30) == 0, err
        return err


@pytest.mark.parametrize("cfg", [FrontendConfig(), FrontendConfig(stride_ms=10, output="int8"),
                                 FrontendConfig(window_ms=40, channels=64, upper_hz=7900.0,
                                                pcan=False)],
                         ids=["default", "stride10_int8", "win40_64ch"])
def test_features_command_under_sanitizers(cfg, tmp_path):
    _require_sanitizers(tmp_path)
    dev = FakeDevice(_build_driver(tmp_path, cfg))
    host = Frontend(cfg)
    clips = [c for _, c in make_clips(36, seed=99)]
    clips.append(np.full(20000, -32768, np.int16))
    clips.append(np.tile(np.array([32767, -32768], np.int16), 9000))
    for pcm in clips:
        got = device_features(dev, pcm, cfg)
        want = host.compute(pcm)
        assert got.dtype == want.dtype and np.array_equal(got, want)
    # continuing without reset equals host streaming
    host.reset()
    a = device_features(dev, clips[0], cfg)
    b = device_features(dev, clips[1], cfg, reset=False)
    assert np.array_equal(a, host.process(clips[0])) and np.array_equal(b, host.process(clips[1]))
    # errors
    with pytest.raises(DeviceError, match="error 6"):
        dev.request(0x10, b"\x01\x00\x00\x00")  # odd sample bytes
    with pytest.raises(DeviceError, match="unknown flag"):
        dev.request(0x10, b"\x02")
    with pytest.raises(DeviceError, match="error 6"):
        dev.request(0x10, b"")
    too_many = 3 * chunk_samples(cfg) // 2
    if 1 + 2 * too_many <= 4096:
        with pytest.raises(DeviceError, match="fewer samples"):
            dev.request(0x10, b"\x01" + bytes(2 * too_many))
    other = FrontendConfig(channels=cfg.channels, pcan_offset=81.0)
    with pytest.raises(FeaturesMismatch, match="config_id"):
        device_features(dev, clips[0], other)
    assert "runtime error" not in dev.close()


# ---------------------------------------------- FFT vs a kissfft model

def _w16(v: int) -> int:
    return ((v + 32768) & 0xFFFF) - 32768


def _sround(v: int) -> int:
    return _w16((v + 16384) >> 15)


def kiss_fftr_model(x: list[int]) -> list[tuple[int, int]]:
    """kissfft's FIXED_POINT=16 real FFT, transcribed recursively (as kf_work
    does it) with every 16-bit store made explicit."""
    n = len(x) // 2
    tw = [tuple(map(int, t)) for t in fft_twiddles(n)]
    stw = [tuple(map(int, t)) for t in fft_super_twiddles(n)]
    factors = fft_factors(n)
    fin = [(x[2 * q], x[2 * q + 1]) for q in range(n)]
    out: list[tuple[int, int]] = [(0, 0)] * n

    def fixdiv(c, k):
        return (_sround(c[0] * (32767 // k)), _sround(c[1] * (32767 // k)))

    def cmul(a, b):
        return (_sround(a[0] * b[0] - a[1] * b[1]), _sround(a[0] * b[1] + a[1] * b[0]))

    def add(a, b):
        return (_w16(a[0] + b[0]), _w16(a[1] + b[1]))

    def sub(a, b):
        return (_w16(a[0] - b[0]), _w16(a[1] - b[1]))

    def work(o, f, fstride, level):
        p, m = factors[level]
        if m == 1:
            for j in range(p):
                out[o + j] = fin[f + j * fstride]
        else:
            for j in range(p):
                work(o + j * m, f + j * fstride, fstride * p, level + 1)
        for k in range(m):
            if p == 2:
                a, b = fixdiv(out[o + k], 2), fixdiv(out[o + k + m], 2)
                t = cmul(b, tw[k * fstride])
                out[o + k + m], out[o + k] = sub(a, t), add(a, t)
            else:
                f0, f1, f2, f3 = (fixdiv(out[o + k + j * m], 4) for j in range(4))
                s0, s1, s2 = (cmul(f1, tw[k * fstride]), cmul(f2, tw[2 * k * fstride]),
                              cmul(f3, tw[3 * k * fstride]))
                s5 = sub(f0, s1)
                f0 = add(f0, s1)
                s3, s4 = add(s0, s2), sub(s0, s2)
                out[o + k + 2 * m] = sub(f0, s3)
                out[o + k] = add(f0, s3)
                out[o + k + m] = (_w16(s5[0] + s4[1]), _w16(s5[1] - s4[0]))
                out[o + k + 3 * m] = (_w16(s5[0] - s4[1]), _w16(s5[1] + s4[0]))

    work(0, 0, 1, 0)
    res = [(0, 0)] * (n + 1)
    tdc = fixdiv(out[0], 2)
    res[0] = (_w16(tdc[0] + tdc[1]), 0)
    res[n] = (_w16(tdc[0] - tdc[1]), 0)
    for k in range(1, n // 2 + 1):
        fpk = fixdiv(out[k], 2)
        fpnk = fixdiv((out[n - k][0], _w16(-out[n - k][1])), 2)
        f1k, f2k = add(fpk, fpnk), sub(fpk, fpnk)
        t = cmul(f2k, stw[k - 1])
        res[k] = (_w16((f1k[0] + t[0]) >> 1), _w16((f1k[1] + t[1]) >> 1))
        res[n - k] = (_w16((f1k[0] - t[0]) >> 1), _w16((t[1] - f1k[1]) >> 1))
    return res


@pytest.mark.parametrize("fft_size", [16, 32, 64, 256, 512, 1024, 2048])
def test_fft_bit_identical_to_kissfft_model(fft_size, tmp_path):
    _require_sanitizers(tmp_path)
    exe = _build_driver(tmp_path, FrontendConfig(), sanitize=True)
    n = fft_size // 2
    rng = np.random.default_rng(fft_size)
    vectors = [np.full(fft_size, -32768, np.int16), np.full(fft_size, 32767, np.int16),
               np.tile(np.array([32767, -32768], np.int16), n),
               np.tile(np.array([-32768, -32768, 32767, 32767], np.int16), n // 2)]
    for amp in (1, 100, 16384, 32768):
        for _ in range(3 if fft_size > 512 else 6):
            vectors.append(rng.integers(-amp, amp, fft_size).astype(np.int16))
    vectors.append((32767 * np.cos(2 * np.pi * 3 * np.arange(fft_size) / fft_size)).astype(np.int16))
    payload = (struct.pack("<I", n) + fft_scatter_table(n).astype("<u2").tobytes()
               + fft_twiddles(n).astype("<i2").tobytes()
               + fft_super_twiddles(n).astype("<i2").tobytes()
               + struct.pack("<I", len(vectors)) + b"".join(v.astype("<i2").tobytes() for v in vectors))
    res = subprocess.run([str(exe), "fft"], input=payload, capture_output=True)
    assert res.returncode == 0, res.stderr.decode()
    got = np.frombuffer(res.stdout, dtype="<i2").reshape(len(vectors), n + 1, 2)
    for i, v in enumerate(vectors):
        want = np.array(kiss_fftr_model([int(s) for s in v]), dtype=np.int64)
        assert np.array_equal(got[i], want), f"vector {i} differs"
