"""Write the seed corpus of every fuzz target: tests/data/fuzz_corpus/<target>/seed-*.

    .venv/bin/python -m fuzz.make_corpus [--target NAME ...]

Seeds are valid inputs, built with the harness's own encoders and the
contract (generator/protocol.py), so the fuzzer starts from requests that
reach deep into each parser: every command with a valid body, a whole clip
for CLASSIFY and STREAM, a full MLPerf session, the bundled model and small
models of every operator family (converted with TensorFlow), every board
file, the bundled model's JSON files, and each kind of device reply.
Files named regress-* (inputs that once made a target fail) and known-*
(fuzz/py/known_faults.py) are kept.
"""

from __future__ import annotations

import argparse
import json
import struct
import tempfile
from pathlib import Path

import numpy as np

from .targets import CORPUS, REPO, TARGETS

U16 = struct.Struct("<H")
TEST_CLIP = REPO / "tests" / "data" / "kws_test_set" / "yes"
# Operator families of the model compiler, one small model each (bench/common/keras_zoo.py).
ZOO_SEEDS = ("conv_valid_s2_relu6", "dw_m2_s2", "dense_per_tensor", "dense_3d", "pooling_same",
             "mean", "residual", "concat", "pad", "misc", "requantize", "activations", "float_io",
             "flatten_dynamic_batch", "resize_modes", "f32_conv_maxpool")


def _u16(v: int) -> bytes:
    return U16.pack(v & 0xFFFF)


def _clip() -> np.ndarray:
    from generator.wav import load_wav
    return load_wav(sorted(TEST_CLIP.glob("*.wav"))[0])


def _firmware_info() -> dict:
    """INFO (as gen-firmware renders it) of the host firmware with the bundled model."""
    from generator.boards import load_board
    from generator.firmware import render_default
    project = render_default(load_board("host"), Path(tempfile.mkdtemp()) / "fw")
    return json.loads((project / "tinykws.json").read_text(encoding="utf-8"))["info"]


def command_bodies(info: dict) -> dict[str, list[list[bytes]]]:
    """Per command, a few sequences of request bodies (one sequence: one seed)."""
    from generator.protocol import MAX_BODY, flag
    from harness.pipeline import CHUNK_HEAD as CLASSIFY_HEAD
    from harness.stream import CHUNK_HEAD as STREAM_HEAD
    pcm = _clip()
    first, last = flag("CLASSIFY", "FIRST"), flag("CLASSIFY", "LAST")
    reset, scores = flag("STREAM", "RESET"), flag("STREAM", "SCORES")
    per_chunk = (MAX_BODY - CLASSIFY_HEAD.size) // 2
    max_samples = info["stream"]["max_samples"]
    input_bytes = int(np.prod(info["model"]["input"]["shape"]))

    def classify(clip: int, samples: np.ndarray) -> list[bytes]:
        starts = list(range(0, len(samples), per_chunk)) or [0]
        return [CLASSIFY_HEAD.pack((first if i == 0 else 0) | (last if i == len(starts) - 1 else 0),
                                   clip, s) + samples[s:s + per_chunk].astype("<i2").tobytes()
                for i, s in enumerate(starts)]

    def stream(number: int, samples: np.ndarray, flags: int = 0) -> list[bytes]:
        return [STREAM_HEAD.pack((reset if s == 0 else 0) | flags, number, s)
                + samples[s:s + max_samples].astype("<i2").tobytes()
                for s in range(0, len(samples), max_samples)]

    features = [bytes([1]) + pcm[:800].astype("<i2").tobytes(),
                bytes([0]) + pcm[800:1500].astype("<i2").tobytes()]
    rng = np.random.default_rng(1)
    return {
        "PING": [[b"tinykws"], [b"", bytes(range(256)) * 16]],
        "INFO": [[b""]],
        "FEATURES": [features, [bytes([1])]],
        "VALIDATE": [[rng.integers(-128, 128, input_bytes, dtype=np.int8).tobytes()],
                     [bytes(input_bytes - 1)]],
        # the input in two parts, a run on it, the output read back; a write past the end
        "TENSOR": [[struct.pack("<BI", 0, 0) + bytes(input_bytes // 2),
                    struct.pack("<BI", 0, input_bytes // 2) + bytes(input_bytes - input_bytes // 2),
                    struct.pack("<BIH", 1, 0, 4)],
                   [struct.pack("<BI", 0, input_bytes - 1) + b"\x01\x02"]],
        "MODEL_RESET": [[b""], [b"\x00"]],
        "CLASSIFY": [classify(1, pcm), classify(2, pcm[:900])],
        "STREAM": [stream(1, pcm[:6000]), stream(2, pcm[:3000], scores)],
        "BENCH": [[_u16(1)], [_u16(64)], [_u16(0)]],
    }


# --- frames: the record format of fuzz/c/fuzz_frames.c ---

def frame_record(ftype: int, seq: int, body: bytes) -> bytes:
    return bytes([1, ftype]) + _u16(seq) + _u16(len(body)) + body


def frames_seeds(info: dict) -> dict[str, bytes]:
    from generator.protocol import COMMAND, MAX_BODY
    bodies = command_bodies(info)
    seeds = {}
    for name, sequences in bodies.items():
        for k, sequence in enumerate(sequences):
            seeds[f"{name.lower()}-{k}"] = b"".join(
                frame_record(COMMAND[name], seq, body) for seq, body in enumerate(sequence, 1))
    # CLASSIFY then BENCH on the window it left, then a STREAM: commands that share the pipeline.
    seeds["classify-bench-stream"] = (seeds.pop("classify-0")
                                      + frame_record(COMMAND["BENCH"], 99, _u16(2))
                                      + seeds["stream-0"])
    seeds["bad-crc"] = bytes([2 | 4, COMMAND["PING"]]) + _u16(7) + _u16(3) + b"abc"
    seeds["bad-header"] = (bytes([3, 9, COMMAND["PING"]]) + _u16(8) + _u16(0) + _u16(0)
                           + bytes([3, 1, COMMAND["PING"]]) + _u16(9) + _u16(5) + _u16(2) + b"hi")
    noise = np.random.default_rng(2).integers(0, 256, 600, dtype=np.uint8).tobytes()
    seeds["noise"] = b"".join(bytes([0, 200]) + noise[i:i + 200] for i in range(0, 600, 200))
    # no delimiter for longer than the longest frame: TOO_LONG
    seeds["too-long"] = b"".join(bytes([0, 255]) + b"\x11" * 255 for _ in range(18))
    seeds["max-body"] = frame_record(COMMAND["PING"], 3, bytes(range(256)) * (MAX_BODY // 256))
    return seeds


def commands_seeds(info: dict) -> dict[str, dict[str, bytes]]:
    """Seeds of the all-commands target and of each cmd_<name> target."""
    order = info["commands"]
    bodies = command_bodies(info)
    out: dict[str, dict[str, bytes]] = {"commands": {}}
    for name, sequences in bodies.items():
        target = f"cmd_{name.lower()}"
        out[target] = {}
        for k, sequence in enumerate(sequences):
            out[target][f"{k}"] = b"".join(_u16(len(b)) + b for b in sequence)
            out["commands"][f"{name.lower()}-{k}"] = b"".join(
                bytes([order.index(name)]) + _u16(len(b)) + b for b in sequence)
    out["commands"]["classify-bench-stream"] = b"".join(
        bytes([order.index(name)]) + _u16(len(b)) + b
        for name, b in [*(("CLASSIFY", b) for b in bodies["CLASSIFY"][0]), ("BENCH", _u16(3)),
                        *(("STREAM", b) for b in bodies["STREAM"][1]),
                        *(("FEATURES", b) for b in bodies["FEATURES"][0])])
    del out["commands"]["classify-0"]  # the clip is in classify-bench-stream
    return out


def mlperf_seeds(info: dict) -> dict[str, bytes]:
    input_bytes = int(np.prod(info["model"]["input"]["shape"]))
    data = np.random.default_rng(3).integers(0, 256, input_bytes, dtype=np.uint8).tobytes()
    load = [f"db load {input_bytes}%"] + [f"db {data[i:i + 31].hex()}%"
                                           for i in range(0, input_bytes, 31)]
    session = ["name%", "profile%", "timestamp%", *load, "db print%", "infer 2 1%", "results%"]
    # More hex than announced: the runner keeps what it asked for, as the reference does.
    overfull = [f"db load {input_bytes}%"] + [f"db {(data + data[:38])[i:i + 38].hex()}%"
                                              for i in range(0, input_bytes, 38)]
    return {
        "session": "".join(session).encode(),
        "overfull": "".join(overfull + ["db print%", "infer 1 0%"]).encode(),
        "help": b"help%%\r\n",
        "errors": (b"infer%db load 0%db load 99999999999%db zz%db 123%results%bogus cmd%"
                   + b"x" * 90 + b"%"),
    }


def frontend_seeds() -> dict[str, bytes]:
    from .targets import frontend_configs
    pcm = _clip()[3000:8000].astype("<i2").tobytes()
    loud = (np.sin(np.arange(3000) * 0.3) * 32767).astype("<i2").tobytes()
    return {f"config{i}": bytes([i, 2, 100, 7, 255]) + (pcm if i % 2 == 0 else loud)
            for i in range(len(frontend_configs()))}


def tflite_seeds() -> dict[str, bytes]:
    from bench.common.keras_zoo import ZOO, convert_entry
    from generator.firmware import default_model
    seeds = {"bundled": default_model().read_bytes()}
    for name in ZOO_SEEDS:
        seeds[name] = convert_entry(ZOO[name])
    return seeds


def board_seeds() -> dict[str, bytes]:
    from generator.boards import BOARDS_DIR
    return {p.stem: p.read_bytes() for p in sorted(BOARDS_DIR.glob("*.json"))}


def bundle_seeds() -> dict[str, bytes]:
    from generator.firmware import DEFAULT_MODEL_DIR
    from generator.frontend import FrontendConfig
    from generator.stream import RecognizerParams
    labels, frontend, recognizer = (
        (DEFAULT_MODEL_DIR / name).read_bytes() for name in ("labels.json", "frontend.json",
                                                              "recognizer.json"))
    absent = b"\xff"
    return {
        "bundled": b"\x00".join([labels, frontend, recognizer]),
        "no-recognizer": b"\x00".join([labels, frontend, absent]),
        "labels-only": b"\x00".join([labels, absent, absent]),
        "nothing": b"\x00".join([absent, absent, absent]),
        "defaults": b"\x00".join([labels, FrontendConfig(output="int8").to_json().encode(),
                                  RecognizerParams().to_json().encode()]),
        "stft": b"\x00".join([labels, b'{"kind": "stft", "frame_length": 255, "frame_step": 128, '
                                       b'"fft_length": 256}', absent]),
    }


def reply_seeds(info: dict) -> dict[str, bytes]:
    """Control byte (fuzz/py/fuzz_reply.py) + what a device answers, as frame records."""
    from generator.frontend import FrontendConfig, config_id
    from harness import protocol as p
    from harness.features import HEADER as FEATURES_HEADER
    from harness.pipeline import RESULT
    from harness.stream import EVENT, HEAD, INFERENCE_SAMPLE
    labels = len(info["pipeline"]["labels"])
    config = FrontendConfig(**info["frontend"])

    def reply(command: int, body: bytes, seq: int = 1) -> bytes:
        return frame_record(command | p.REPLY, seq, body)

    doc = dict(info, ticks="host_ns", ticks_hz=1000000000)
    stream_scores = (HEAD.pack(1, 1) + EVENT.pack(3, 200, 640) + INFERENCE_SAMPLE.pack(640)
                     + bytes(range(labels)))
    error = frame_record(p.ERROR, 1, bytes([7]) + b"clip too short")
    fault = frame_record(p.EVT_FAULT, 0, struct.pack("<7I", *range(7)))
    ready = frame_record(p.EVT_READY, 0, b"tinykws host")
    garbage = bytes([0, 9]) + b"\x05garbage\x00"
    return {
        "ping": bytes([0 | 8 << 3]) + reply(p.PING, b"tinykws"),
        "ping-retry": bytes([0 | 3 << 3]) + garbage + reply(p.PING, b"tinykws", seq=2),
        "info": bytes([1 | 31 << 3]) + reply(p.INFO, json.dumps(doc).encode()),
        "bench": bytes([2]) + reply(p.BENCH, struct.pack("<HQQQQ", 4, 10, 20, 30, 100)),
        "classify": bytes([3 | 16 << 3]) + reply(p.CLASSIFY, RESULT.pack(49, 3, 0, labels, 5, 6)
                                                 + bytes(range(labels))),
        "stream": bytes([4 | 2 << 3]) + reply(p.STREAM, HEAD.pack(0, 0)),
        "stream-scores": bytes([4 | 1 << 3]) + reply(p.STREAM, stream_scores),
        "features": bytes([5 | 4 << 3]) + reply(p.FEATURES, FEATURES_HEADER.pack(
            1, config.channels, 1, 0, config_id(config)) + bytes(config.channels)),
        "error": bytes([3]) + error,
        "fault": bytes([0]) + fault,
        "ready": bytes([2]) + ready,
        "decoder": bytes([7 | 5 << 3]) + ready + garbage + error + bytes([0, 2, 0, 0]) + fault,
    }


def write(target: str, seeds: dict[str, bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)
    print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values())):,} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.make_corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", choices=[t.name for t in TARGETS],
                        help="only this target (repeatable; default: all)")
    args = parser.parse_args(argv)
    wanted = set(args.target or [t.name for t in TARGETS])
    info = _firmware_info()
    makers = {
        "frames": lambda: frames_seeds(info),
        "mlperf": lambda: mlperf_seeds(info),
        "frontend": frontend_seeds,
        "tflite": tflite_seeds,
        "board": board_seeds,
        "bundle": bundle_seeds,
        "reply": lambda: reply_seeds(info),
    }
    for target, make in makers.items():
        if target in wanted:
            write(target, make())
    if wanted & ({"commands"} | {t.name for t in TARGETS if t.name.startswith("cmd_")}):
        for target, seeds in commands_seeds(info).items():
            if target in wanted:
                write(target, seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
