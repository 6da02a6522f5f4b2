"""The fuzz targets: what each one fuzzes, how it is built, run and summed up.

C targets are libFuzzer programs (clang -fsanitize=fuzzer,address,undefined)
built from the sources of a host firmware that gen-firmware renders here with
the bundled model, exactly as `gen-firmware --board host` would, plus a
harness from fuzz/c. Python targets are atheris scripts in fuzz/py. Each
target's seed corpus is tests/data/fuzz_corpus/<name>/ (fuzz/make_corpus.py
writes it; inputs that once crashed a target stay there as regressions).

`python -m fuzz` (make fuzz) runs every target for minutes; tests/test_fuzz.py
runs each for seconds. See docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
C_DIR = REPO / "fuzz" / "c"
PY_DIR = REPO / "fuzz" / "py"
CORPUS = REPO / "tests" / "data" / "fuzz_corpus"

CLANG = "clang"
# The Debian packages that give clang and libFuzzer's runtime (Makefile: system-packages).
CLANG_PACKAGES = "clang libclang-rt-14-dev"
COMMON = ["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-g", "-fno-omit-frame-pointer",
          "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
          "-Wall", "-Wextra", "-Werror"]
# The code under test: coverage feedback for libFuzzer.
INSTRUMENTED = COMMON + ["-O1", "-fsanitize=fuzzer-no-link"]
# The model and its kernels run under the sanitizers but give no coverage
# feedback: they run the same loops whatever the input, and at -O2 an
# inference costs 5 ms instead of 11.
MODEL = COMMON + ["-O2"]
LINK = ["-fsanitize=fuzzer,address,undefined"]
WRAP_MODEL = ["-Wl,--wrap=kws_model_invoke"]
WRAP_REPLIES = ["-Wl,--wrap=kws_reply_begin,--wrap=kws_reply_write,--wrap=kws_reply_end"]
# cmd_*.c whose static state the harness resets: state_<name>.c includes them.
STATEFUL = {"cmd_features.c": "state_features.c", "cmd_classify.c": "state_classify.c",
            "cmd_stream.c": "state_stream.c"}
SUPPORT = ["fuzz_io.c", "fuzz_model.c", "fuzz_replies.c", "fuzz_firmware.c"]


@dataclass(frozen=True)
class Target:
    name: str
    kind: str        # "c" (libFuzzer) or "python" (atheris)
    what: str        # what it fuzzes, for reports
    ci_seconds: int  # how long tests/test_fuzz.py runs it
    max_len: int     # largest input libFuzzer makes
    timeout: int = 10  # seconds one input may take before it counts as a hang
    defines: tuple[str, ...] = ()


COMMANDS = ("PING", "INFO", "FEATURES", "VALIDATE", "TENSOR", "MODEL_RESET", "CLASSIFY", "STREAM",
            "BENCH")
# A CLASSIFY clip that reaches the model takes 49 frames: 15,840 samples, 31.7 KB,
# sent as 8 frames; the frame and command targets may grow inputs past that (a seed
# has the clip, a BENCH and a stream after it).
LONG_INPUT = 50000

TARGETS: tuple[Target, ...] = (
    Target("frames", "c", "wire bytes -> frame decoder -> every command (kws_protocol.c)",
           20, LONG_INPUT),
    Target("commands", "c", "bodies of all commands in turn, state shared (commands.c table)",
           20, LONG_INPUT),
    *(Target(f"cmd_{c.lower()}", "c", f"{c} bodies into its handler", 5 if c in ("PING", "INFO", "TENSOR", "MODEL_RESET")
             else 12, LONG_INPUT if c in ("CLASSIFY", "STREAM") else 8192,
             defines=(f"-DFUZZ_COMMAND=KWS_CMD_{c}",)) for c in COMMANDS),
    Target("mlperf", "c", "MLPerf Tiny runner's text commands (mlperf_runner.c)", 15, 8192),
    Target("frontend", "c", "frontend on arbitrary PCM, 4 configs (kws_frontend.c)", 15, 16384),
    Target("tflite", "python", ".tflite reader, model checks and compiler (generator/model)",
           15, 65536, timeout=30),
    Target("board", "python", "board files: loader, checks, what rendering takes from them",
           10, 8192),
    Target("bundle", "python", "labels.json, frontend.json, recognizer.json beside a model",
           12, 8192),
    Target("reply", "python", "the harness's reply decoder and client (harness/protocol.py)",
           10, 16384),
)
BY_NAME = {t.name: t for t in TARGETS}


class FuzzBuildError(RuntimeError):
    """A fuzz target does not build."""


def clang_missing() -> str | None:
    """Why the C targets cannot be built here, or None."""
    if shutil.which(CLANG) is None:
        return f"{CLANG} is not on PATH: install the Debian packages {CLANG_PACKAGES}"
    probe = subprocess.run([CLANG, "-fsanitize=fuzzer", "-x", "c", "-", "-o", os.devnull],
                           input="int LLVMFuzzerTestOneInput(const char *d, unsigned long n)"
                                 "{(void)d;(void)n;return 0;}", capture_output=True, text=True)
    if probe.returncode != 0:
        return ("clang cannot link libFuzzer (-fsanitize=fuzzer): install the Debian package "
                f"libclang-rt-14-dev\n{probe.stderr[-800:]}")
    return None


def _cc(flags: list[str], src: Path, obj: Path, includes: list[Path]) -> Path:
    cmd = [CLANG, *flags, *(f"-I{d}" for d in includes), "-c", str(src), "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FuzzBuildError(f"{' '.join(cmd)}\n{proc.stderr}")
    return obj


def _link(objects: list[Path], exe: Path, extra: list[str]) -> Path:
    cmd = [CLANG, *LINK, *map(str, objects), *extra, "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FuzzBuildError(f"{' '.join(cmd)}\n{proc.stderr}")
    return exe


def _defines(project: Path) -> list[str]:
    """The -D macros gen-firmware put into the rendered project's build."""
    manifest = json.loads((project / "tinykws.json").read_text(encoding="utf-8"))
    return [flag for flag in manifest["build_flags"] if flag.startswith("-D")]


def frontend_configs():
    """The frontend target's configurations: the bundled model's and three unlike it
    (output type, tables, window, channels, rate, stages switched off)."""
    from generator.firmware import default_model, frontend_for
    from generator.frontend import FrontendConfig
    return [frontend_for(default_model()),
            FrontendConfig(),
            FrontendConfig(window_ms=40, channels=64, tables="tflm", log=False, out_scale=3),
            FrontendConfig(sample_rate=8000, stride_ms=10, channels=20, upper_hz=3800.0, pcan=False,
                           noise_reduction=False, output="int8")]


def build_c_targets(out: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Render the host firmware (and its MLPerf runner) with the bundled model into
    `out` and build the C targets there; name -> executable."""
    from generator.boards import load_board
    from generator.firmware import render_default
    from generator.frontend import render_c_tables
    from generator.model import KERNELS_DIR

    wanted = [t for t in TARGETS if t.kind == "c" and (names is None or t.name in names)]
    if not wanted:
        return {}
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    host = load_board("host")
    kernels = {p.name for p in KERNELS_DIR.glob("*.c")}
    objs = out / "obj"
    objs.mkdir(exist_ok=True)
    built: dict[str, Path] = {}

    def compile_project(project: Path, tag: str, skip: set[str]) -> list[Path]:
        src = project / "src"
        flags = _defines(project)
        result = []
        for c in sorted(src.glob("*.c")):
            if c.name in skip:
                continue
            base = MODEL if c.name in kernels or c.name == "model.c" else INSTRUMENTED
            result.append(_cc(base + flags, c, objs / f"{tag}-{c.stem}.o", [src]))
        return result

    binary = [t for t in wanted if t.name not in ("mlperf", "frontend")]
    # Rendered anew every time: a build must never take sources of an earlier render.
    project = render_default(host, out / "firmware")
    if binary:
        src, flags = project / "src", _defines(project)
        firmware = compile_project(project, "fw", {"main.c", "host.c", *STATEFUL})
        firmware += [_cc(INSTRUMENTED + flags, C_DIR / name, objs / f"fw-{Path(name).stem}.o",
                         [src, C_DIR]) for name in [*STATEFUL.values(), *SUPPORT]]
        for t in binary:
            main = "fuzz_frames.c" if t.name == "frames" else "fuzz_commands.c"
            obj = _cc(INSTRUMENTED + flags + list(t.defines), C_DIR / main,
                      objs / f"main-{t.name}.o", [src, C_DIR])
            built[t.name] = _link([*firmware, obj], out / f"fuzz_{t.name}",
                                  WRAP_MODEL + WRAP_REPLIES)
    if "mlperf" in {t.name for t in wanted}:
        project = render_default(host, out / "mlperf", runner="mlperf")
        src, flags = project / "src", _defines(project)
        model = [_cc(MODEL + flags, c, objs / f"ml-{c.stem}.o", [src])
                 for c in sorted(src.glob("*.c")) if c.name in kernels or c.name == "model.c"]
        support = [_cc(INSTRUMENTED + flags, C_DIR / name, objs / f"ml-{Path(name).stem}.o",
                       [src, C_DIR]) for name in ("fuzz_io.c", "fuzz_model.c", "fuzz_mlperf.c")]
        built["mlperf"] = _link([*model, *support], out / "fuzz_mlperf", WRAP_MODEL)
    if "frontend" in {t.name for t in wanted}:
        configs = frontend_configs()
        tables = out / "frontend"
        tables.mkdir(exist_ok=True)
        maxima = [f"-DKWS_FE_MAX_WINDOW={max(c.window_size for c in configs)}u",
                  f"-DKWS_FE_MAX_FFT_SIZE={max(c.fft_size for c in configs)}u",
                  f"-DKWS_FE_MAX_CHANNELS={max(c.channels for c in configs)}u"]
        names_c = [f"fuzz_frontend_{i}" for i in range(len(configs))]
        for name, config in zip(names_c, configs):
            (tables / f"{name}.c").write_text(render_c_tables(config, name), encoding="utf-8")
        (tables / "frontend_configs.c").write_text(
            '#include "kws_frontend.h"\n'
            + "".join(f"extern const kws_frontend_config_t {n};\n" for n in names_c)
            + "const kws_frontend_config_t *const fuzz_frontend_configs[] = {"
            + ", ".join(f"&{n}" for n in names_c) + "};\n"
            + f"const size_t fuzz_frontend_config_count = {len(configs)}u;\n", encoding="utf-8")
        fe_src = project / "src"  # kws_frontend.c, kws_contract.h, kws_hal.h as rendered
        sources = [fe_src / "kws_frontend.c", C_DIR / "fuzz_io.c", C_DIR / "fuzz_frontend.c",
                   *(tables / f"{n}.c" for n in names_c), tables / "frontend_configs.c"]
        fe_objs = [_cc(INSTRUMENTED + maxima, s, objs / f"fe-{s.stem}.o", [fe_src, C_DIR])
                   for s in sources]
        built["frontend"] = _link(fe_objs, out / "fuzz_frontend", [])
    return built


# ---------------------------------------------------------------------------- running


@dataclass
class RunResult:
    target: str
    seconds: int
    returncode: int
    execs: int | None = None
    cov: int | None = None         # libFuzzer's cov: edges (C) or branches (atheris) reached
    features: int | None = None    # libFuzzer's ft:
    corpus: int | None = None      # inputs in the corpus at the end
    exec_per_sec: int | None = None
    peak_rss_mb: int | None = None
    log: str = ""
    artifacts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """What went wrong, for a person: the crash report and the input that caused it."""
        return (f"fuzz target {self.target} failed (exit {self.returncode}); "
                f"inputs saved: {', '.join(self.artifacts) or 'none'}\n" + self.log[-6000:])

    def summary(self) -> dict:
        return {"target": self.target, "seconds": self.seconds, "ok": self.ok,
                "execs": self.execs, "exec_per_sec": self.exec_per_sec, "cov": self.cov,
                "ft": self.features, "corpus": self.corpus, "peak_rss_mb": self.peak_rss_mb}


_STATUS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")
_STAT = re.compile(r"stat::(\w+):\s+(\d+)")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


def parse_log(result: RunResult) -> RunResult:
    """Fill execs, coverage and corpus size from libFuzzer's output."""
    for m in _STATUS.finditer(result.log):
        result.execs, result.cov, result.features, result.corpus = map(int, m.groups())
    stats = {k: int(v) for k, v in _STAT.findall(result.log)}
    result.execs = stats.get("number_of_executed_units", result.execs)
    result.exec_per_sec = stats.get("average_exec_per_sec")
    result.peak_rss_mb = stats.get("peak_rss_mb")
    result.artifacts = _ARTIFACT.findall(result.log)
    return result


def fuzz_command(target: Target, built: dict[str, Path]) -> list[str]:
    if target.kind == "c":
        return [str(built[target.name])]
    return [sys.executable, str(PY_DIR / f"fuzz_{target.name}.py")]


def run_target(target: Target, built: dict[str, Path], work: Path, seconds: int,
               extra: list[str] = ()) -> RunResult:
    """Fuzz `target` for `seconds`, starting from its seed corpus; new inputs go to
    work/corpus, inputs that fail to work/artifacts. extra: more libFuzzer flags."""
    work = Path(work)
    corpus, artifacts = work / "corpus", work / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    seeds = CORPUS / target.name
    cmd = [*fuzz_command(target, built), str(corpus), str(seeds),
           f"-max_total_time={seconds}", f"-max_len={target.max_len}",
           f"-timeout={target.timeout}", "-rss_limit_mb=2048", "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/", *extra]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # Leaks are faults too; halt_on_error: the first report ends the run.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                          errors="replace", timeout=seconds + 300)
    return parse_log(RunResult(target.name, seconds, proc.returncode,
                               log=proc.stdout + proc.stderr))
