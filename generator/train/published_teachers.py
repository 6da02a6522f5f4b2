"""Published keyword models as teachers for distillation (`kws-train --teacher-model`).

A model someone else trained on far more real speech than a user has (MLPerf
Tiny's KWS reference DS-CNN learnt from about 85,000 Speech Commands clips of
some 2,000 speakers) knows what real voices sound like. Its scores on our own
augmented training audio become part of the training target, so a student on
tinykws' frontend inherits that knowledge. The teacher runs on the host only,
with its own front end computed here from the same PCM; it never goes into a
firmware. Only the recipes below are known: a teacher is useless unless its
front end is reproduced exactly as it was trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..wav import fit_length, load_wav
from .errors import TrainError

if TYPE_CHECKING:
    from harness.realspeech import RealClip


def mlperf_kws_mfcc(pcm: np.ndarray) -> np.ndarray:
    """MLPerf Tiny KWS features (benchmark/training/keyword_spotting/get_dataset.py,
    feature_type mfcc): each clip divided by its maximum sample (not the
    absolute maximum: that is what the reference does), STFT with a 480-sample
    Hann window, 320-sample step and a 512-point FFT, magnitudes onto 40 mel
    bands of 20-4000 Hz, log(x + 1e-6), first 10 MFCCs. (N, 16000) int16 ->
    (N, 49, 10) float32."""
    import tensorflow as tf

    x = tf.constant(np.asarray(pcm, np.float32))
    peak = tf.reduce_max(x, axis=1, keepdims=True)
    x = x / tf.where(peak > 0, peak, tf.ones_like(peak))   # a silent clip stays zero
    stft = tf.signal.stft(x, frame_length=480, frame_step=320, fft_length=None,
                          window_fn=tf.signal.hann_window)
    mag = tf.abs(stft)
    mel = tf.tensordot(mag, tf.signal.linear_to_mel_weight_matrix(40, int(mag.shape[-1]), 16000,
                                                                  20.0, 4000.0), 1)
    mfcc = tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(mel + 1e-6))[..., :10]
    return mfcc.numpy().astype(np.float32)


def arm_kws_mfcc(pcm: np.ndarray) -> np.ndarray:
    """ARM ML-zoo DS-CNN features (ARM-software/ML-KWS-for-MCU's recipe, which
    the ML-zoo KWS models were trained with): samples / 32768, TensorFlow's
    AudioSpectrogram op (640-sample window = 40 ms, 320-sample stride, squared
    magnitude), then its Mfcc op (40 channels, 20-4000 Hz, 10 coefficients).
    (N, 16000) int16 -> (N, 49, 10) float32."""
    import tensorflow as tf

    x = np.asarray(pcm, np.float32) / np.float32(32768.0)
    if not len(x):
        return np.zeros((0, 49, 10), np.float32)
    # the ops take the clips as channels: (samples, clips) -> (clips, frames, bins)
    spec = tf.raw_ops.AudioSpectrogram(input=x.T, window_size=640, stride=320,
                                       magnitude_squared=True)
    mfcc = tf.raw_ops.Mfcc(spectrogram=spec, sample_rate=16000, upper_frequency_limit=4000.0,
                           lower_frequency_limit=20.0, filterbank_channel_count=40,
                           dct_coefficient_count=10)
    return mfcc.numpy().reshape(len(x), 49, 10).astype(np.float32)


@dataclass(frozen=True)
class Recipe:
    name: str
    labels: tuple[str, ...]      # output order, in tinykws' label names
    features: Callable[[np.ndarray], np.ndarray]
    source: str


RECIPES = {
    "mlperf_kws": Recipe(
        "mlperf_kws",
        ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "_silence_",
         "_unknown_"),
        mlperf_kws_mfcc,
        "MLPerf Tiny KWS reference DS-CNN (mlcommons/tiny, Apache-2.0), trained on Speech "
        "Commands v0.02's training split"),
    "arm_kws": Recipe(
        "arm_kws",
        ("_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop",
         "go"),
        arm_kws_mfcc,
        "ARM ML-zoo DS-CNN keyword spotting models (ARM-software/ML-zoo, Apache-2.0), trained "
        "on Speech Commands v0.02"),
}


def parse_teacher_model(spec: str) -> tuple[str, Path]:
    """`mlperf_kws:PATH.tflite` -> (recipe name, path)."""
    kind, sep, path = spec.partition(":")
    if not sep or not path:
        raise TrainError(f"--teacher-model {spec!r}: give RECIPE:MODEL.tflite, e.g. "
                         "mlperf_kws:kws_ref_model.tflite; recipes: " + ", ".join(RECIPES))
    if kind not in RECIPES:
        raise TrainError(f"--teacher-model {spec!r}: unknown recipe {kind!r}; known: "
                         + ", ".join(RECIPES))
    return kind, Path(path)


class PublishedTeacher:
    """One published int8 or float .tflite with its recipe; scores() gives its
    probabilities mapped onto the student's labels."""

    def __init__(self, spec: str, student_labels: list[str]):
        import tensorflow as tf

        kind, path = parse_teacher_model(spec)
        self.recipe, self.path = RECIPES[kind], path
        try:
            content = path.read_bytes()
        except OSError as e:
            raise TrainError(f"--teacher-model {path}: {e.strerror}") from None
        try:
            self.it = tf.lite.Interpreter(model_content=content, num_threads=2)
            self.it.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise TrainError(f"--teacher-model {path}: not a model TensorFlow Lite can run "
                             f"({e})") from None
        out = self.it.get_output_details()[0]
        if int(out["shape"][-1]) != len(self.recipe.labels):
            raise TrainError(f"--teacher-model {path}: {int(out['shape'][-1])} outputs, but "
                             f"recipe {kind} has {len(self.recipe.labels)} labels")
        missing = [lab for lab in self.recipe.labels if lab not in student_labels
                   and lab not in ("on", "off")]
        extra = [lab for lab in student_labels if lab not in self.recipe.labels]
        if extra:
            raise TrainError(f"--teacher-model {path}: the teacher knows no {', '.join(extra)}; "
                             f"its labels are {', '.join(self.recipe.labels)}")
        if missing:   # pragma: no cover - every recipe label but on/off is a student label
            raise TrainError(f"--teacher-model {path}: labels {missing} have no student label")
        # Teacher labels the student lacks (on/off for the 8-keyword set) are unknown words.
        unknown = student_labels.index("_unknown_")
        self.to_student = np.zeros((len(self.recipe.labels), len(student_labels)), np.float64)
        for i, lab in enumerate(self.recipe.labels):
            j = student_labels.index(lab) if lab in student_labels else unknown
            self.to_student[i, j] = 1.0

    def scores(self, pcm: np.ndarray, batch: int = 256) -> np.ndarray:
        """(N, student labels) probabilities for (N, 16000) int16 clips."""
        it = self.it
        d, o = it.get_input_details()[0], it.get_output_details()[0]
        parts = []
        for start in range(0, len(pcm), batch):
            feats = self.recipe.features(pcm[start:start + batch])
            for f in feats:
                x = f.reshape(d["shape"])
                if d["dtype"] != np.float32:
                    scale, zero = d["quantization"]
                    info = np.iinfo(d["dtype"])
                    x = np.clip(np.round(x / scale + zero), info.min, info.max).astype(d["dtype"])
                it.set_tensor(d["index"], x)
                it.invoke()
                y = it.get_tensor(o["index"]).reshape(-1).astype(np.float64)
                if o["dtype"] != np.float32:
                    scale, zero = o["quantization"]
                    y = (y - zero) * scale
                parts.append(y)
        p = np.stack(parts) @ self.to_student if parts else np.zeros((0, self.to_student.shape[1]))
        return p / np.maximum(p.sum(1, keepdims=True), 1e-12)


def published_stream_scores(spec: str, pcm: np.ndarray, ends, labels: list[str],
                            window: int = 16000, batch: int = 256) -> np.ndarray:
    """A published model's scores, its labels mapped onto `labels`, on the `window`
    samples of the stream `pcm` that end at each of `ends` (silence before the
    stream starts): the inferences a device running it would make at those
    moments. int8 [len(ends), labels] on the scale of a tinykws model's output
    (probability x 256 - 128), so that harness.det sweeps them like a device's."""
    teacher = PublishedTeacher(spec, labels)
    padded = np.concatenate([np.zeros(window, np.int16), np.asarray(pcm, np.int16)])
    ends = np.asarray(ends, np.int64)
    out = np.empty((len(ends), len(labels)), np.int8)
    for start in range(0, len(ends), batch):
        part = ends[start:start + batch]   # end e in pcm is end e + window in padded
        p = teacher.scores(np.stack([padded[e:e + window] for e in part]))
        out[start:start + len(part)] = np.clip(np.round(p * 256) - 128, -128, 127)
    return out


def published_top1(spec: str, clips: list[RealClip], labels: list[str]) -> dict:
    """Top-1 of a published model (`kws-train --teacher-model` RECIPE:MODEL, on its own
    front end) over the same clips, its labels mapped onto `labels`: the yardstick of a
    model trained on all of Speech Commands' training speakers."""
    from harness.realspeech import truth_label  # the harness's clip labelling, as its figures use

    pcm = np.stack([fit_length(load_wav(c.path, 16000), 16000) for c in clips])
    pred = PublishedTeacher(spec, labels).scores(pcm).argmax(1)
    right = [labels[int(p)] == truth_label(c.label, labels) for p, c in zip(pred, clips)]
    return {"model": spec, "clips": len(clips), "top1": float(np.mean(right)) if right else None}
