"""Benchmark: the ahead-of-time model runtime on the keyword-spotting models.

For micro_speech's tiny_conv and the MLPerf-Tiny-like DS-CNN (generated with
Keras at random weights and converted to full int8, exactly as the tests do,
unless .tflite paths are given) it prints:

  * MACs per inference;
  * the activation arena the generator plans vs the smallest arena TFLite
    Micro's own allocator accepts (bisection with the tflite-micro interpreter);
  * flash on the Cortex-M7 build (arm-none-eabi-gcc -O2, object sections):
    weights (all generated const arrays) vs code (kernels + invoke + parameter
    blocks), and the same split from a linked program (the model linked into
    a minimal newlib-nano main vs the main alone, so libc helpers such as
    memcpy are included).

Asserts nothing. Run: .venv/bin/python bench/bench_model.py [model.tflite ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.model import KERNELS_DIR, compile_model, load_model, tflm_arena_bytes  # noqa: E402
from generator.model.measure import CORTEX_M7_FLAGS, measure_flash  # noqa: E402

_MAIN_WITH = """
#include "model.h"
int main(void) { (void)kws_model_invoke(kws_model_input(), 0); return (int)kws_model_output()[0]; }
"""
_MAIN_WITHOUT = "int main(void) { return 0; }\n"


def linked_flash(compiled, work: Path) -> dict[str, int] | None:
    """text+data of a linked Cortex-M7 program with the model minus the same program without it."""
    cc = "arm-none-eabi-gcc"
    if shutil.which(cc) is None or shutil.which("arm-none-eabi-size") is None:
        return None
    src = work / "link"
    compiled.write(src)
    sizes = {}
    for label, main in (("with", _MAIN_WITH), ("without", _MAIN_WITHOUT)):
        (src / f"main_{label}.c").write_text(main)
        files = [str(src / f"main_{label}.c")]
        if label == "with":
            files += [str(src / "model.c")] + [str(p) for p in compiled.c_files()]
        elf = work / f"{label}.elf"
        cmd = [cc, *CORTEX_M7_FLAGS, "-std=c99", "-O2", "-ffunction-sections", "-fdata-sections",
               "-I", str(src), "-I", str(KERNELS_DIR), *files, "-o", str(elf),
               "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"  (link failed: {r.stderr.strip()[:200]})")
            return None
        out = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[1].split()
        sizes[label] = {"text": int(out[0]), "data": int(out[1]), "bss": int(out[2])}
    flash = (sizes["with"]["text"] + sizes["with"]["data"]) - (sizes["without"]["text"] + sizes["without"]["data"])
    return {"flash": flash, "code": flash - compiled.weights_bytes,
            "bss": sizes["with"]["bss"] - sizes["without"]["bss"]}


def zoo_models(work: Path) -> list[tuple[str, bytes]]:
    from bench.common import keras_zoo  # the same builders the tests use

    return [(name, keras_zoo.convert_entry(keras_zoo.ZOO[name])) for name in keras_zoo.KEYWORD_MODELS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", type=Path, help=".tflite files (default: tiny_conv and DS-CNN)")
    ap.add_argument("--no-tflm", action="store_true", help="skip the TFLite Micro arena bisection")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = [(p.stem, p.read_bytes()) for p in args.models] if args.models else zoo_models(work)
        for name, raw in models:
            compiled = compile_model(load_model(raw))
            print(f"{name} (sha256 {compiled.model_hash[:12]}):")
            print(f"  MACs per inference        {compiled.macs:>10,}")
            ops = ", ".join(f"{k} x{v}" for k, v in compiled.op_counts.items())
            print(f"  operators                 {ops}")
            if args.no_tflm:
                print(f"  arena (ours)              {compiled.arena_bytes:>10,} B")
            else:
                tflm = tflm_arena_bytes(raw)
                print(f"  arena ours / TFLM minimum {compiled.arena_bytes:>10,} B / {tflm:,} B "
                      f"= {compiled.arena_bytes / tflm:.2f}")
            d = work / name
            d.mkdir()
            try:
                flash = measure_flash(compiled, workdir=d / "objects")
            except FileNotFoundError:
                print("  flash                     (arm-none-eabi-gcc not installed)")
                continue
            print(f"  Cortex-M7 -O2 objects     weights {flash['weights']:,} B, code {flash['code']:,} B "
                  f"(kernels + invoke + parameters), arena .bss {flash['ram_bss']:,} B")
            for obj, per in flash["objects"].items():
                print(f"      {obj:<28} code {per['code']:>6,} B  weights {per['weights']:>7,} B")
            linked = linked_flash(compiled, d)
            if linked:
                print(f"  linked (with - without)   flash {linked['flash']:,} B = weights "
                      f"{compiled.weights_bytes:,} B + code {linked['code']:,} B (incl. libc helpers), "
                      f"RAM .bss {linked['bss']:,} B")


if __name__ == "__main__":
    main()
