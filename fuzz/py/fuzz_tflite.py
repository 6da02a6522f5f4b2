"""atheris target: a .tflite file into the model compiler, as gen-firmware
reads a --model: the flatbuffer reader (generator/model/reader.py), lowering
and its checks, the memory plan and the generated C (compile_model), and what
gen-firmware then asks of the compiled model (budget, INFO, the MLPerf
runner's check).

Clean ends: success or ModelError (gen-firmware: exit 3, naming the problem).
Seeds: tests/data/fuzz_corpus/tflite/ (the bundled model, small models of
every operator family).

generator/model/ is being rewritten by its owners and is not edited from
here: faults this target found there were reported to them and are listed in
known_faults.py; a listed fault does not end the run (a new one does).
TINYKWS_FUZZ_STRICT=1 stops at the listed ones too."""

import os
import resource
import traceback
from pathlib import Path

import atheris

from common import fuzz
from known_faults import KNOWN

with atheris.instrument_imports(include=["generator"]):
    from generator.boards import load_board
    from generator.firmware import _check_budget
    from generator.info import ModelInfo, TensorInfo
    from generator.model import ModelError, compile_model, load_model
    from generator.runner import check_model

BOARD = load_board("nucleo_f746")
# A small file that makes the compiler allocate gigabytes is a fault too: under this
# limit the allocation raises MemoryError where it is made, instead of libFuzzer
# stopping the run as out of memory. The bundled model needs a sixth of it.
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
REPO = Path(__file__).resolve().parents[2]
STRICT = os.environ.get("TINYKWS_FUZZ_STRICT", "") not in ("", "0")


def known_fault(exc: BaseException) -> str | None:
    """The KNOWN entry `exc` is, or None."""
    last = traceback.extract_tb(exc.__traceback__)[-1]
    where = Path(last.filename).resolve()
    for name, (kind, path, function) in KNOWN.items():
        if type(exc).__name__ == kind and where == REPO / path and last.name == function:
            return name
    return None


def compile_as_gen_firmware(data: bytes) -> None:
    compiled = compile_model(load_model(data))
    _check_budget(Path("fuzzed.tflite"), compiled, BOARD)
    info = ModelInfo(id="fuzzed", sha256=compiled.model_hash, arena_bytes=compiled.arena_bytes,
                     weights_bytes=compiled.weights_bytes, macs=compiled.macs,
                     input=TensorInfo.of(compiled.input), output=TensorInfo.of(compiled.output),
                     labels=None)
    info.output_labels()
    ModelInfo.from_dict(info.to_dict())
    check_model(info, BOARD)


def test_one_input(data: bytes) -> None:
    try:
        compile_as_gen_firmware(data)
    except ModelError:
        return
    except Exception as exc:  # noqa: BLE001 - sorted into known and new below
        if STRICT or known_fault(exc) is None:
            raise


if __name__ == "__main__":
    fuzz(test_one_input)
