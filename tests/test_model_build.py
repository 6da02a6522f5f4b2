"""Builds of the generated model: the device VALIDATE handler on the host,
warning-free Cortex-M7 compiles, and the keyword-spotting targets (arena
against TFLite Micro's minimum, code size beside the weights)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import requires
from model_zoo import ARM_CFLAGS, HOST_CFLAGS, KEYWORD_MODELS, SANITIZE, ZOO, get_zoo, random_inputs, \
    reference_outputs, expose_state, tflm_tensors

from generator.model import KERNELS_DIR, all_kernel_files, tflm_arena_bytes
from generator.model.compiler import project_headers
from generator.model.ops import KERNELS
from generator.model.measure import measure_flash
from generator.render import contract_header
from generator.shared import ZOO as ZOO3P
from generator.shared import missing_reason, shared_path

RUNTIME_DIR = Path(__file__).resolve().parents[1] / "firmware_templates" / "runtime"



@pytest.fixture(scope="session")
def zoo(tmp_path_factory):
    return get_zoo(tmp_path_factory)


_VALIDATE_HARNESS = r"""
/* Stub protocol + HAL around cmd_validate.c: runs VALIDATE once with a
 * wrong-length body, then once per input tensor read from stdin. */
#include <stdio.h>
#include <string.h>
#include "kws_hal.h"
#include "kws_protocol.h"
#include "model.h"

void kws_cmd_validate(const kws_request_t *req);

static uint8_t reply[KWS_MAX_BODY + 16];
static size_t reply_len;
static unsigned reply_declared;
static int reply_type = -1;
static int error_code = 0;
static uint64_t clock_ticks = 5;

void kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len)
{
    (void)seq;
    reply_type = type;
    reply_declared = len;
    reply_len = 0;
}
void kws_reply_write(const void *data, size_t n)
{
    memcpy(reply + reply_len, data, n);
    reply_len += n;
}
void kws_reply_end(void) {}
void kws_reply(const kws_request_t *req, const void *data, uint16_t len)
{
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, len);
    kws_reply_write(data, len);
    kws_reply_end();
}
void kws_reply_error(uint16_t seq, uint8_t code, const char *message)
{
    (void)seq;
    (void)message;
    error_code = code;
}
uint64_t kws_ticks_now(void)
{
    clock_ticks += 1234;
    return clock_ticks;
}

int main(void)
{
    static uint8_t body[KWS_MODEL_INPUT_BYTES + 1];
    kws_request_t req;
    unsigned char head[3];
    req.type = KWS_CMD_VALIDATE;
    req.seq = 9;
    req.body = body;
    req.len = (uint16_t)(KWS_MODEL_INPUT_BYTES + 1);
    kws_cmd_validate(&req);
    head[0] = (unsigned char)error_code;
    fwrite(head, 1, 1, stdout);
    while (fread(body, 1, KWS_MODEL_INPUT_BYTES, stdin) == KWS_MODEL_INPUT_BYTES) {
        req.len = (uint16_t)KWS_MODEL_INPUT_BYTES;
        reply_len = 0;
        kws_cmd_validate(&req);
        head[0] = (unsigned char)reply_type;
        head[1] = (unsigned char)(reply_declared & 0xFF);
        head[2] = (unsigned char)(reply_declared >> 8);
        fwrite(head, 1, 3, stdout);
        fwrite(reply, 1, reply_len, stdout);
    }
    return 0;
}
"""


@pytest.mark.parametrize("name", ["dense_per_channel", "float_io"])
def test_validate_command_on_host(zoo, tmp_path, name):
    compiled = zoo.compiled(name)
    src = tmp_path / "src"
    compiled.write(src)
    (src / "kws_contract.h").write_text(contract_header())  # gen-firmware renders it beside
    (src / "harness.c").write_text(_VALIDATE_HARNESS)
    exe = tmp_path / "validate"
    cmd = ["cc", *HOST_CFLAGS, *SANITIZE, "-I", str(KERNELS_DIR), "-I", str(RUNTIME_DIR), "-I", str(src),
           str(src / "harness.c"), str(src / "cmd_validate.c"), str(src / "model.c"),
           *[str(p) for p in compiled.c_files()], "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    x = random_inputs(compiled.input, 20, seed=3)
    out = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True, check=True).stdout
    assert out[0] == 6  # KWS_ERR_ARGUMENT for a body of the wrong length
    pos = 1
    ref = reference_outputs(zoo.tflite(name).read_bytes(), x)
    nbytes = compiled.output.nbytes
    for i in range(len(x)):
        rtype, rlen = out[pos], struct.unpack_from("<H", out, pos + 1)[0]
        assert rtype == 0x20 | 0x80 and rlen == 8 + nbytes
        ticks = struct.unpack_from("<Q", out, pos + 3)[0]
        assert ticks == 1234
        y = np.frombuffer(out[pos + 11 : pos + 11 + nbytes], dtype=compiled.output.numpy_dtype)
        assert y.tobytes() == np.asarray(ref[i], dtype=compiled.output.numpy_dtype).tobytes()
        pos += 11 + nbytes
    assert pos == len(out)


def test_kernels_compile_warning_free_host_pedantic(tmp_path):
    for src in all_kernel_files():
        subprocess.run(["cc", *HOST_CFLAGS, "-pedantic", "-I", str(KERNELS_DIR), "-c", str(src),
                        "-o", str(tmp_path / (src.stem + ".o"))], check=True)


def test_each_kernel_builds_from_the_files_a_project_copies(tmp_path):
    """Every kernel (with its support files) compiles, for the host and for a
    Cortex-M7 with the DSP extension (the SIMD branches), in a folder that
    holds only what a rendered project copies (project_headers): a header
    one kernel header includes must come along (kws_lstm.h once did not)."""
    requires.tool("arm-none-eabi-gcc")
    for kernel in KERNELS.values():
        c_files = [KERNELS_DIR / f for f in (kernel.source, *kernel.support)]
        folder = tmp_path / kernel.id
        folder.mkdir()
        for f in c_files + project_headers(c_files, [kernel.header]):
            (folder / f.name).write_bytes(f.read_bytes())
        for cc, flags in (("cc", HOST_CFLAGS), ("arm-none-eabi-gcc", ARM_CFLAGS)):
            for f in c_files:
                r = subprocess.run([cc, *flags, "-fsyntax-only", "-I", str(folder), str(folder / f.name)],
                                   capture_output=True, text=True)
                assert r.returncode == 0, f"{kernel.id}: {f.name} with {cc}:\n{r.stderr}"


@pytest.mark.parametrize("name", ["ds_cnn", "float_io", "concat", "residual"])
def test_cortex_m7_build_is_warning_free(zoo, tmp_path, name):
    requires.tool("arm-none-eabi-gcc")
    compiled = zoo.compiled(name)
    src = tmp_path / "src"
    compiled.write(src)
    (src / "kws_contract.h").write_text(contract_header())
    units = [src / "model.c", src / "cmd_validate.c"] + list(all_kernel_files())
    for u in units:
        r = subprocess.run(["arm-none-eabi-gcc", *ARM_CFLAGS, "-I", str(KERNELS_DIR), "-I", str(RUNTIME_DIR),
                            "-I", str(src), "-c", str(u), "-o", str(tmp_path / (u.stem + ".o"))],
                           capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr, f"{u.name}:\n{r.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("name", KEYWORD_MODELS)
def test_keyword_model_arena_is_well_below_tflite_micro(zoo, name):
    compiled = zoo.compiled(name)
    tflm = tflm_arena_bytes(zoo.tflite(name).read_bytes())
    ratio = compiled.arena_bytes / tflm
    print(f"{name}: arena {compiled.arena_bytes} B vs TFLite Micro minimum {tflm} B ({ratio:.2f}x)")
    assert ratio <= 0.6


@pytest.mark.slow
@pytest.mark.parametrize("name", KEYWORD_MODELS)
def test_keyword_model_code_beside_weights_is_small(zoo, tmp_path, name):
    requires.tool("arm-none-eabi-gcc")
    compiled = zoo.compiled(name)
    flash = measure_flash(compiled, workdir=tmp_path)
    print(f"{name}: weights {flash['weights']} B, code {flash['code']} B, arena {flash['ram_bss']} B")
    assert flash["weights"] == compiled.weights_bytes
    assert flash["ram_bss"] == compiled.arena_bytes
    assert flash["code"] <= 12 * 1024


_M7_MAIN = r"""
/* Bare-metal probe for QEMU mps2-an500 (Cortex-M7): runs the model on the
 * inputs linked in, writes [instructions of the first inference (u32)] +
 * outputs to a host file through semihosting, then exits QEMU. */
#include <stdint.h>
#include "model.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
extern const unsigned char probe_inputs[];
extern const unsigned probe_count;
extern const char probe_out_path[];
int main(void);

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    volatile uint32_t exit_block[2];
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* FPU on before any FP instruction */
    __asm__ volatile("dsb\n isb");
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0u;
    exit_block[0] = 0x20026u;
    exit_block[1] = (uint32_t)main();
    semihost(0x20, (void *)exit_block);
    for (;;) {}
}

void Default_Handler(void)
{
    for (;;) {}
}

__attribute__((section(".isr_vector"))) const void *const vectors[] = {&_estack, Reset_Handler,
                                                                       Default_Handler, Default_Handler};

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

int main(void)
{
    uint32_t open_args[3], write_args[3], t0, t1, instr;
    unsigned i, len = 0;
    int fd;
    while (probe_out_path[len]) ++len;
    open_args[0] = (uint32_t)probe_out_path;
    open_args[1] = 5u; /* "wb" */
    open_args[2] = len;
    fd = semihost(0x01, open_args);
    if (fd < 0) return 1;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 5u; /* core clock: 25 MHz = 40 instructions per tick with -icount shift=0 */
    for (i = 0; i < probe_count; ++i) {
        t0 = SYST_CVR;
        (void)kws_model_invoke((const kws_model_input_t *)(const void *)(probe_inputs + i * KWS_MODEL_INPUT_BYTES), 0);
        t1 = SYST_CVR;
        if (i == 0) {
            instr = ((t0 - t1) & 0xFFFFFFu) * 40u;
            write_args[0] = (uint32_t)fd;
            write_args[1] = (uint32_t)&instr;
            write_args[2] = 4u;
            semihost(0x05, write_args);
        }
        write_args[0] = (uint32_t)fd;
        write_args[1] = (uint32_t)kws_model_output();
        write_args[2] = KWS_MODEL_OUTPUT_BYTES;
        semihost(0x05, write_args);
    }
    write_args[0] = (uint32_t)fd;
    semihost(0x02, write_args);
    return 0;
}
"""

_M7_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M }
_estack = ORIGIN(RAM) + LENGTH(RAM);
SECTIONS {
  .text : { KEEP(*(.isr_vector)) *(.text*) *(.rodata*) } > FLASH
  _sidata = LOADADDR(.data);
  .data : { _sdata = .; *(.data*) _edata = .; } > RAM AT > FLASH
  .bss : { _sbss = .; *(.bss*) *(COMMON) _ebss = .; } > RAM
}
"""


# (QEMU machine, GCC core flags): the two Cortex-M cores of the emulated boards
CORES = {
    "cortex-m7": ("mps2-an500", ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]),
    "cortex-m4": ("mps2-an386", ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]),
}


def _probe_cases():
    """The portable kernels on a few models; the DSP kernels (what a board
    with these cores runs) on every zoo model, on both cores."""
    cases = [pytest.param(name, "cortex-m7", frozenset(), id=f"{name}-m7-portable")
             for name in ["ds_cnn", "tiny_conv", "float_io", "residual", "concat"]]
    cases += [pytest.param(name, core, frozenset({"dsp"}), id=f"{name}-{core[7:]}-dsp")
              for core in CORES for name in ZOO]
    return cases


def _run_in_qemu(compiled, x: np.ndarray, core: str, tmp_path: Path) -> tuple[int, np.ndarray]:
    """The compiled model on the emulated core, inputs in order in one run:
    (instructions per inference, outputs)."""
    requires.tool("arm-none-eabi-gcc")
    requires.tool("qemu-system-arm")
    machine, core_flags = CORES[core]
    src = tmp_path / "src"
    compiled.write(src)
    out_path = tmp_path / "out.bin"
    blob = ", ".join(str(b) for b in x.tobytes())
    (src / "probe_data.c").write_text(
        f"const unsigned char probe_inputs[] __attribute__((aligned(4))) = {{{blob}}};\n"
        f"const unsigned probe_count = {len(x)}u;\nconst char probe_out_path[] = \"{out_path}\";\n")
    (src / "probe_main.c").write_text(_M7_MAIN)
    (src / "probe.ld").write_text(_M7_LD)
    elf = tmp_path / "probe.elf"
    cmd = ["arm-none-eabi-gcc", *core_flags, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
           "-nostartfiles", "-T", str(src / "probe.ld"), "-I", str(KERNELS_DIR),
           "-I", str(src), str(src / "probe_main.c"), str(src / "probe_data.c"), str(src / "model.c"),
           *[str(p) for p in compiled.c_files()], "-o", str(elf), "-lc", "-lnosys"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    subprocess.run(["qemu-system-arm", "-M", machine, "-display", "none", "-monitor", "none",
                    "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
                    "-serial", "null", "-kernel", str(elf)], check=True, timeout=120, cwd=tmp_path)
    data = out_path.read_bytes()
    instructions = struct.unpack_from("<I", data, 0)[0]
    y = np.frombuffer(data[4:], dtype=compiled.output.numpy_dtype).reshape((len(x),) + compiled.output.shape)
    return instructions, y


@pytest.mark.slow
@pytest.mark.parametrize("name,core,features", _probe_cases())
def test_cortex_m_in_qemu_is_bit_exact_and_lean(zoo, tmp_path, name, core, features):
    """The kernels on a Cortex-M7 (QEMU mps2-an500) and a Cortex-M4 (mps2-an386):
    bit-exact, and instructions per MAC well below TFLite Micro's reference
    kernels (16.5 on a DS-CNN)."""
    compiled = zoo.compiled(name, features)
    x = random_inputs(compiled.input, 24, seed=11)
    instructions, y = _run_in_qemu(compiled, x, core, tmp_path)
    ref = reference_outputs(zoo.tflite(name).read_bytes(), x).reshape(y.shape)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(y, ref))
    print(f"{name} ({core}, {sorted(features) or 'portable'}): {instructions:,} instructions per "
          f"inference, {compiled.macs:,} MACs")
    if compiled.macs > 100_000:
        assert instructions / compiled.macs < 16.5


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("core", list(CORES))
def test_published_float32_model_in_qemu(tmp_path, core):
    """MLTK's float32 pacman model (shared zoo3p) on both cores: the float
    kernels give every .npz row bit for bit as TFLite Micro computed it (no
    fused multiply-adds; SOFTMAX's exp is glibc's algorithm, not newlib's)."""
    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    from generator.model import compile_model, load_model

    name = "mltk_kws_pacman_float32"
    compiled = compile_model(load_model((root / f"{name}.tflite").read_bytes()), features=frozenset({"dsp"}))
    data = np.load(root / f"{name}.npz")
    instructions, y = _run_in_qemu(compiled, data["x"], core, tmp_path)
    assert y.reshape(data["y"].shape).tobytes() == data["y"].astype(np.float32).tobytes()
    print(f"{name} ({core}): {instructions:,} instructions per inference, {compiled.macs:,} MACs, "
          f"arena {compiled.arena_bytes:,} bytes")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("core", list(CORES))
@pytest.mark.parametrize("name", ["mww_v1_okay_nabu", "mww_v2_alexa", "mww_v2_hey_jarvis",
                                  "mww_v2_okay_nabu", "mww_v2_vad", "mww_v2x_okay_computer"])
def test_streaming_models_in_qemu_row_by_row(tmp_path, name, core):
    """microWakeWord's streaming models (shared zoo3p) with the DSP kernels on
    both cores: each .npz row, in order, as TFLite Micro computed it."""
    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    from generator.model import compile_model, load_model

    compiled = compile_model(load_model((root / f"{name}.tflite").read_bytes()),
                             features=frozenset({"dsp"}))
    data = np.load(root / f"{name}.npz")
    instructions, y = _run_in_qemu(compiled, data["x"], core, tmp_path)
    assert y.tobytes() == data["y"].astype(np.uint8).tobytes()
    print(f"{name} ({core}): {instructions:,} instructions per inference, arena "
          f"{compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("core", list(CORES))
def test_keyword_scrambled_svdf_in_qemu_row_by_row(tmp_path, core):
    """TFLite Micro's keyword benchmark (SVDF with int16 state, int16 input,
    int32 output; shared zoo3p) with the DSP kernels on both cores: the .npz
    rows in order as TFLite Micro computed them, every SVDF's state after
    each row of a longer stream, and the outputs of a variant whose scores
    vary."""
    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    from generator.model import compile_model, load_model
    from test_streaming_models import KEYWORD_STATES, keyword_inputs, keyword_unsaturated

    raw = (root / "tflm_keyword_scrambled.tflite").read_bytes()
    compiled = compile_model(load_model(raw), features=frozenset({"dsp"}))
    data = np.load(root / "tflm_keyword_scrambled.npz")
    instructions, y = _run_in_qemu(compiled, data["x"], core, tmp_path / "model")
    assert y.tobytes() == data["y"].astype(np.int32).tobytes()
    x = keyword_inputs(data)
    _, state = _run_in_qemu(expose_state(compiled), x, core, tmp_path / "state")
    want = tflm_tensors(raw, x, KEYWORD_STATES)
    assert np.array_equal(state.reshape(want.shape), want)
    varied = keyword_unsaturated(raw)  # scores that vary: int16 SOFTMAX, int32 QUANTIZE
    _, y = _run_in_qemu(compile_model(load_model(varied), features=frozenset({"dsp"})), x, core,
                        tmp_path / "varied")
    assert np.array_equal(y.reshape(len(x), -1), tflm_tensors(varied, x, [53]))
    print(f"tflm_keyword_scrambled ({core}): {instructions:,} instructions per inference, arena "
          f"{compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("core", list(CORES))
def test_micro_speech_lstm_in_qemu_row_by_row(tmp_path, core):
    """TFLite Micro's LSTM micro_speech (integer UNIDIRECTIONAL_SEQUENCE_LSTM,
    int8 hidden and int16 cell state; shared zoo3p) on both cores: the .npz
    rows in order as TFLite Micro computed them, and the hidden and cell
    state after each row of a longer stream."""
    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    from generator.model import compile_model, load_model
    from test_streaming_models import LSTM, lstm_inputs, lstm_state_bytes

    raw = (root / f"{LSTM}.tflite").read_bytes()
    compiled = compile_model(load_model(raw), features=frozenset({"dsp"}))
    data = np.load(root / f"{LSTM}.npz")
    instructions, y = _run_in_qemu(compiled, data["x"], core, tmp_path / "model")
    assert y.tobytes() == data["y"].astype(np.int8).tobytes()
    x = lstm_inputs(data)
    _, state = _run_in_qemu(expose_state(compiled), x, core, tmp_path / "state")
    want = lstm_state_bytes(raw, x)
    assert np.array_equal(state.view(np.uint8).reshape(want.shape), want)
    print(f"{LSTM} ({core}): {instructions:,} instructions per inference, {compiled.macs:,} MACs, arena "
          f"{compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes")


@pytest.mark.slow
@pytest.mark.parametrize("core", list(CORES))
def test_int16_network_in_qemu(tmp_path, core):
    """A 16x8 network (int16 FULLY_CONNECTED, ADD, MUL, LOGISTIC, TANH,
    SOFTMAX; tests/test_int16_models.py's gate_model) on both cores,
    bit-exact."""
    from generator.model import compile_model, load_model
    from generator.model.reader import read_graph
    from test_int16_models import gate_model, int16_inputs

    raw = gate_model(softmax=True)
    assert "SOFTMAX" in {op.opcode for op in read_graph(raw).operators}
    compiled = compile_model(load_model(raw), features=frozenset({"dsp"}))
    x = int16_inputs(tuple(compiled.input.shape))
    instructions, y = _run_in_qemu(compiled, x, core, tmp_path)
    want = tflm_tensors(raw, x, read_graph(raw).outputs)
    assert np.array_equal(y.reshape(want.shape), want)
    print(f"16x8 gate network ({core}): {instructions:,} instructions per inference, {compiled.macs:,} MACs")


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("core", list(CORES))
def test_signal_audio_preprocessor_in_qemu_row_by_row(tmp_path, core):
    """TFLite Micro's Signal-op audio front end (int16 audio in, int8 features
    out, a noise estimate kept between rows; shared zoo3p): the .npz rows in
    order as TFLite Micro computed them."""
    root = shared_path(ZOO3P)
    if root is None:
        pytest.skip(missing_reason(ZOO3P))
    from generator.model import compile_model, load_model

    compiled = compile_model(load_model(root / "tflm_audio_preproc_int8.tflite"), features=frozenset({"dsp"}))
    data = np.load(root / "tflm_audio_preproc_int8.npz")
    instructions, y = _run_in_qemu(compiled, data["x"], core, tmp_path / "model")
    assert y.tobytes() == data["y"].astype(np.int8).tobytes()
    print(f"tflm_audio_preproc_int8 ({core}): {instructions:,} instructions per invoke, arena "
          f"{compiled.arena_bytes:,} + state {compiled.state_bytes:,} bytes")


@pytest.mark.parametrize("core", list(CORES))
def test_float_kernels_have_no_fused_multiply_add(tmp_path, core):
    """The float kernel files turn contraction off themselves (kws_f32_impl.h):
    even a GNU C build that asks for contraction (-std=gnu99
    -ffp-contract=fast) emits no fused multiply-add, which would round once
    where TFLite Micro's reference rounds twice."""
    requires.tool("arm-none-eabi-gcc")
    _, core_flags = CORES[core]
    sources = sorted(KERNELS_DIR.glob("kws_*_f32.c"))
    assert len(sources) >= 9
    asm = ""
    for source in sources:
        r = subprocess.run(["arm-none-eabi-gcc", *core_flags, "-std=gnu99", "-O3", "-ffp-contract=fast", "-Wall",
                            "-Wextra", "-Werror", "-I", str(KERNELS_DIR), "-S", str(source), "-o", "-"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        asm += r.stdout
    assert "vmul.f32" in asm
    fused = [line for line in asm.splitlines() if line.strip().split("\t")[0] in
             ("vfma.f32", "vfms.f32", "vfnma.f32", "vfnms.f32", "vfma.f64", "vfms.f64")]
    assert not fused, fused[:5]
