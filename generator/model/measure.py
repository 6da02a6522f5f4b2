"""Flash and RAM of a compiled model, measured from object files.

The generated model.c and the kernels it needs are compiled with the target
compiler and -ffunction-sections -fdata-sections, then every allocated ELF
section is attributed: the const arrays the generator emitted (weights,
biases, multipliers, lookup tables) are "weights"; everything else that lands
in flash (kernel and invoke code, parameter blocks, literal pools) is "code";
.bss is RAM (the arena). Nothing here is estimated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from .compiler import KERNELS_DIR, CompiledModel

CORTEX_M7_FLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
DEFAULT_CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"]


def _array_names(compiled: CompiledModel) -> set[str]:
    names = set()
    for line in compiled.sources["model.c"].splitlines():
        line = line.strip()
        if line.startswith("static const ") and line.endswith("] = {") and "*" not in line.split("[")[0]:
            names.add(line.split()[3].split("[")[0])
    return names


def _sections(obj: Path) -> list[tuple[str, int, int]]:
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        out = []
        for s in elf.iter_sections():
            if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_size"]:
                out.append((s.name, int(s["sh_size"]), int(s["sh_flags"])))
        return out


def measure_flash(
    compiled: CompiledModel,
    cc: str = "arm-none-eabi-gcc",
    cflags: list[str] | None = None,
    workdir: str | os.PathLike | None = None,
    extra_includes: list[str | os.PathLike] = (),
) -> dict[str, Any]:
    """Compile model.c + the model's kernels and split their flash into weights and code.

    Returns bytes: weights, code (kernels + invoke + parameter blocks), ram_bss,
    plus the per-object breakdown. Raises FileNotFoundError if cc is missing.
    """
    if shutil.which(cc) is None:
        raise FileNotFoundError(f"compiler {cc} not found")
    flags = list(cflags) if cflags is not None else CORTEX_M7_FLAGS + DEFAULT_CFLAGS
    flags += ["-ffunction-sections", "-fdata-sections"]
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory()
        workdir = tmp.name
    work = Path(workdir)
    try:
        src_dir = work / "src"
        compiled.write(src_dir)
        weights_names = _array_names(compiled)
        units = [("model.c", src_dir / "model.c")] + [(p.name, p) for p in compiled.c_files()]
        report: dict[str, Any] = {"weights": 0, "code": 0, "ram_bss": 0, "ram_data": 0, "objects": {}}
        incs = ["-I", str(src_dir), "-I", str(KERNELS_DIR)]
        for inc in extra_includes:
            incs += ["-I", str(inc)]
        for name, src in units:
            obj = work / (Path(name).stem + ".o")
            r = subprocess.run([cc, *flags, *incs, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"{cc} failed on {name}:\n{r.stderr}")
            per = {"weights": 0, "code": 0, "bss": 0, "data": 0}
            for sec, size, flags_ in _sections(obj):
                if sec.startswith(".bss") or sec == "COMMON":
                    per["bss"] += size
                elif sec.startswith(".data"):
                    per["data"] += size
                elif sec.startswith(".rodata.") and sec[len(".rodata."):] in weights_names:
                    per["weights"] += size
                elif flags_ & SH_FLAGS.SHF_ALLOC:
                    per["code"] += size
            report["objects"][name] = per
            report["weights"] += per["weights"]
            report["code"] += per["code"] + per["data"]
            report["ram_bss"] += per["bss"]
            report["ram_data"] += per["data"]
        report["compiler"] = cc
        report["cflags"] = flags
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()
