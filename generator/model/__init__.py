"""Ahead-of-time int8 (and float32) model runtime: .tflite -> C that is bit-exact with TFLite Micro.

    from generator.model import load_model, compile_model
    model = load_model("kws.tflite")          # parse + validate (ModelError if unusable)
    compiled = compile_model(model)           # memory plan + generated C
    compiled.sources["model.c"], compiled.c_files(), compiled.arena_bytes
"""

from .compiler import (
    KERNEL_FILES,
    KERNELS_DIR,
    CompiledModel,
    Model,
    TensorSpec,
    all_kernel_files,
    compile_model,
    load_model,
)
from .errors import ModelError
from .lower import model_warnings
from .ops import KERNELS, SUPPORTED_OPS
from .tflm import Reference, tflm_arena_bytes

__all__ = [
    "CompiledModel",
    "KERNEL_FILES",
    "KERNELS",
    "KERNELS_DIR",
    "Model",
    "ModelError",
    "Reference",
    "SUPPORTED_OPS",
    "TensorSpec",
    "all_kernel_files",
    "compile_model",
    "load_model",
    "model_warnings",
    "tflm_arena_bytes",
]
