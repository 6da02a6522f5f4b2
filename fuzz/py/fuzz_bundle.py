"""atheris target: the files kws-train writes beside a model (labels.json,
frontend.json, recognizer.json), read as gen-firmware reads them
(`gen-firmware --board host --model DIR/model.tflite`: labels against the
model's outputs, the frontend against its input, the recognizer's range
and its never_trigger names, INFO's size, the rendered project), as
`--recognizer FILE` reads one, and as the host pipeline runs a frontend
(the C frontend through ctypes, on a short clip).

Input: the three files joined by a zero byte (a JSON file has none), in that
order; a part that is the single byte 0xFF stands for "no such file".
Clean ends: exit 0 or 3 from gen-firmware; LabelsError, FrontendConfigError,
StreamConfigError from the loaders. Model: the bundled one (compiled once:
the model is not what this target fuzzes)."""

import contextlib
import functools
import io
import shutil
from pathlib import Path

import atheris
import numpy as np

import jsonmut
from common import fuzz, scratch

with atheris.instrument_imports(include=["generator", "harness"]):
    from generator import cli, firmware
    from generator.bundle import ModelBundle
    from generator.frontend import Frontend, FrontendConfigError, StftFrontend
    from generator.labels import LabelsError
    from generator.stream import SOURCE_OPTION, StreamConfigError, load_recognizer

FILES = ("labels.json", "frontend.json", "recognizer.json")
ABSENT = b"\xff"
WORK = scratch("bundle")
MODEL = WORK / "model" / "model.tflite"
MODEL.parent.mkdir()
MODEL.symlink_to(firmware.default_model())
OUT = WORK / "out"
firmware.load_model = functools.lru_cache(maxsize=1)(firmware.load_model)
firmware.compile_model = functools.lru_cache(maxsize=1)(firmware.compile_model)
CLIP = (np.sin(np.arange(2400) * 0.07) * 8000).astype(np.int16)


def gen_firmware(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(list(argv))


def test_one_input(data: bytes) -> None:
    parts = (data.split(b"\x00", len(FILES) - 1) + [ABSENT] * len(FILES))[:len(FILES)]
    for name, text in zip(FILES, parts):
        path = MODEL.parent / name
        path.unlink(missing_ok=True)
        if text != ABSENT:
            path.write_bytes(text)
    shutil.rmtree(OUT, ignore_errors=True)
    code = gen_firmware("--board", "host", "--model", str(MODEL), "--out", str(OUT))
    assert code in (cli.EXIT_OK, cli.EXIT_INPUT), f"gen-firmware: exit {code}"
    bundle = ModelBundle(MODEL)
    try:
        labels = bundle.labels
        recognizer = MODEL.parent / "recognizer.json"
        if recognizer.is_file():
            load_recognizer(recognizer, labels, SOURCE_OPTION)
        config = bundle.frontend
        if config is not None and config.kind == "stft":
            StftFrontend(config).magnitudes(CLIP)
        elif config is not None and config.output != "float32":
            Frontend(config).compute(CLIP)
    except (LabelsError, FrontendConfigError, StreamConfigError):
        return


if __name__ == "__main__":
    fuzz(test_one_input, lambda data, max_size, seed: jsonmut.mutate_parts(
        data, max_size, seed, len(FILES)))
