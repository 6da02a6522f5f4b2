"""What a board's CPU core offers the kernels: the features that select
kernel variants (generator/model/ops, ``Variant.feature``).

Keyed by the board file's ``build.cpu`` (GCC's -mcpu), so the kernels follow
the board's core, not a hand-set option; ``gen-firmware --portable-kernels``
forces the portable C kernels for comparison. A core not listed gets the
portable kernels.
"""

from __future__ import annotations

# "dsp": the Armv7E-M / Armv8-M DSP extension (SMLAD, SXTB16, ...). GCC
# enables it by default for these -mcpu values and defines __ARM_FEATURE_DSP,
# which kws_simd.h checks.
CORE_FEATURES: dict[str, tuple[str, ...]] = {
    "cortex-m0": (),
    "cortex-m0plus": (),
    "cortex-m3": (),
    "cortex-m23": (),
    "cortex-m4": ("dsp",),
    "cortex-m7": ("dsp",),
    "cortex-m33": ("dsp",),
    "cortex-m35p": ("dsp",),
    "cortex-m55": ("dsp",),
    "cortex-m85": ("dsp",),
}


def core_features(cpu: str | None) -> frozenset[str]:
    """The kernel features of a core (GCC -mcpu name); none for others."""
    return frozenset(CORE_FEATURES.get((cpu or "").lower(), ()))
