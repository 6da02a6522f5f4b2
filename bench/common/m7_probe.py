"""The frontend alone on a Cortex-M7 in QEMU (mps2-an500), fed by semihosting
files instead of the UART: fast enough for hundreds of clips, and the
instruction count per frame comes from SysTick under -icount shift=0.
Used by tests/test_frontend_arm.py (bit-exactness) and
bench/bench_frontend_m7.py (figures)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

from generator.frontend import FrontendConfig, c_defines, render_c_tables
from generator.frontend.native import SHARED_DIR, TEMPLATE_DIR

ARM_CC = shutil.which("arm-none-eabi-gcc")
QEMU = shutil.which("qemu-system-arm")

INSTR_PER_TICK = 40  # SysTick at 25 MHz, one instruction per ns (-icount shift=0)
CHUNK = 1024

MAIN = r"""
#include <stdint.h>
#include <stddef.h>
#include "kws_frontend.h"
extern const kws_frontend_config_t kws_frontend_default;
static kws_frontend_state_t st;
static int16_t pcm[1024];
static uint8_t outbuf[16384];
static int semi(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
static int sopen(const char *n, int mode)
{
    size_t l = 0;
    uintptr_t a[3];
    while (n[l]) l++;
    a[0] = (uintptr_t)n; a[1] = (uintptr_t)mode; a[2] = l;
    return semi(1, a);
}
static int sread(int h, void *b, size_t n)
{ uintptr_t a[3] = {(uintptr_t)h, (uintptr_t)b, n}; return (int)n - semi(6, a); }
static void swrite(int h, const void *b, size_t n)
{ uintptr_t a[3] = {(uintptr_t)h, (uintptr_t)b, n}; semi(5, a); }
static void sexit(int code)
{ uintptr_t a[2] = {0x20026, (uintptr_t)code}; semi(0x20, a); for (;;) {} }
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
int main(void)
{
    const kws_frontend_config_t *cfg = &kws_frontend_default;
    int hi = sopen("in.bin", 1), ho = sopen("out.bin", 5);
    uint32_t ticks = 0, frames = 0, chunk;
    size_t vs = kws_frontend_value_size(cfg) * cfg->num_channels;
    if (hi < 0 || ho < 0) sexit(2);
    if (kws_frontend_check(cfg)) sexit(3);
    kws_frontend_reset(&st, cfg);
    SYST_RVR = 0xFFFFFF; SYST_CVR = 0; SYST_CSR = 5;
    for (;;) {
        uint8_t h[4];
        uint32_t t0, t1;
        size_t used, f;
        if (sread(hi, h, 4) != 4) break;
        chunk = h[0] | (h[1] << 8) | (h[2] << 16) | ((uint32_t)h[3] << 24);
        if (chunk == 0xFFFFFFFFu) { kws_frontend_reset(&st, cfg); continue; }
        if (chunk > 1024 || sread(hi, pcm, chunk * 2) != (int)chunk * 2) sexit(4);
        t0 = SYST_CVR;
        f = kws_frontend_process(&st, cfg, pcm, chunk, outbuf, sizeof(outbuf) / vs, &used);
        t1 = SYST_CVR;
        ticks += (t0 - t1) & 0xFFFFFFu;
        frames += (uint32_t)f;
        if (used != chunk) sexit(5);
        swrite(ho, outbuf, f * vs);
    }
    swrite(ho, &frames, 4);
    swrite(ho, &ticks, 4);
    sexit(0);
    return 0;
}
extern uint32_t __bss_start__, __bss_end__, __stack_top__;
void reset_handler(void)
{
    uint32_t *p;
    for (p = &__bss_start__; p < &__bss_end__; ++p) *p = 0;
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* FPU on */
    __asm__ volatile("dsb\n isb");
    main();
}
void fault(void) { sexit(99); }
__attribute__((section(".vectors"), used)) const uintptr_t vectors[16] = {
    (uintptr_t)&__stack_top__, (uintptr_t)reset_handler, (uintptr_t)fault, (uintptr_t)fault,
    (uintptr_t)fault, (uintptr_t)fault, (uintptr_t)fault};
"""

LINKER = """
MEMORY { CODE (rx) : ORIGIN = 0x00000000, LENGTH = 4M  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > CODE
  .data : { *(.data*) } > RAM
  .bss (NOLOAD) : { __bss_start__ = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end__ = .; } > RAM
  __stack_top__ = ORIGIN(RAM) + LENGTH(RAM);
}
"""

CFLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-O2",
          "-std=c99", "-ffunction-sections"]


def run_on_m7(tmp_path: Path, cfg: FrontendConfig, clips: list[np.ndarray],
              extra: tuple[str, ...] = ()) -> tuple[np.ndarray, float]:
    (tmp_path / "main.c").write_text(MAIN)
    (tmp_path / "link.ld").write_text(LINKER)
    (tmp_path / "tables.c").write_text(render_c_tables(cfg))
    defs = [f"-D{k}={v}" for k, v in c_defines(cfg).items()]
    cmd = [ARM_CC, *CFLAGS, *extra, *defs, "-I", str(TEMPLATE_DIR), "-I", str(SHARED_DIR), "main.c", "tables.c",
           str(TEMPLATE_DIR / "kws_frontend.c"), "-T", "link.ld", "-nostartfiles",
           "--specs=nano.specs", "-Wl,--gc-sections", "-o", "fw.elf"]
    res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr)
    with open(tmp_path / "in.bin", "wb") as f:
        for pcm in clips:
            f.write(struct.pack("<I", 0xFFFFFFFF))
            for i in range(0, pcm.size, CHUNK):
                part = pcm[i:i + CHUNK]
                f.write(struct.pack("<I", part.size) + part.astype("<i2").tobytes())
    res = subprocess.run([QEMU, "-M", "mps2-an500", "-display", "none", "-monitor", "none",
                          "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
                          "-kernel", "fw.elf"], cwd=tmp_path, capture_output=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError(f"firmware exit {res.returncode}: {res.stderr.decode()[-500:]}")
    data = (tmp_path / "out.bin").read_bytes()
    frames, ticks = struct.unpack("<II", data[-8:])
    dtype = "i1" if cfg.output == "int8" else "<u2"
    out = np.frombuffer(data[:-8], dtype=dtype).reshape(-1, cfg.channels)
    if out.shape[0] != frames:
        raise RuntimeError(f"{out.shape[0]} frames written, {frames} counted")
    return out, ticks * INSTR_PER_TICK / max(frames, 1)


