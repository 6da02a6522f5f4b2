"""Hard negatives mined from long recordings (`kws-train --mine-percent P`).

Windows cut at random (stream_crops) are mostly easy. The ones that matter
for false accepts are those the model itself gets wrong in a stream. So,
every MINE_EVERY epochs after the first MINE_FROM, a recording of training
words (keywords and, one word in two, other words, close together) over
training noise is streamed through the current model: the same frontend,
streaming, and an inference every `every` frames as on the device (the float
Keras model, batched: a training signal needs no bit-exactness). Every
window whose top label is a keyword with probability PROBABILITY or more,
while the window's own label (stream_crops.window_label of the words in it)
is something else, joins a pool of the newest POOL windows; each epoch then
trains on P % more windows drawn from the pool, with their own labels.
Only training speakers and training noise are ever used.
"""

from __future__ import annotations

import logging

import numpy as np

from .data import UNKNOWN_LABEL
from .stream_crops import Word, window_label

log = logging.getLogger("kws-train")

MINE_FROM = 4          # epochs before the first mining: a model that knows the words
MINE_EVERY = 3
SECONDS = 600          # of recording per mining
PROBABILITY = 0.5
POOL = 4000
GAPS_S = (0.2, 1.5)    # between words: closer than a test recording, more edges
SNR_DB = (5.0, 30.0)


class HardNegatives:
    def __init__(self, words: list[Word], background: list[np.ndarray], labels: list[str],
                 frontend, every: int = 5, sample_rate: int = 16000):
        self.labels, self.frontend, self.every, self.rate = labels, frontend, every, sample_rate
        self.keywords = {lab: [(w.pcm, (w.start, w.end)) for w in words if w.label == lab]
                         for lab in labels[2:]}
        self.keywords = {k: v for k, v in self.keywords.items() if v}
        self.others = [(w.pcm, (w.start, w.end)) for w in words if w.label == UNKNOWN_LABEL]
        self.background = background
        self.pool: list[tuple[np.ndarray, str]] = []
        self.found: list[int] = []    # per mining, for the report

    def due(self, epoch: int) -> bool:
        """Mine before this epoch (counted from 0)?"""
        return epoch >= MINE_FROM and (epoch - MINE_FROM) % MINE_EVERY == 0

    def mine(self, model, rng: np.random.Generator) -> int:
        """Stream a new recording through `model`; add its false keyword windows."""
        from harness.recording import mix_recording, noise_bed

        from .augment import to_model_input

        n = SECONDS * self.rate
        noise = noise_bed(self.background, n, rng, self.rate)
        pcm, rows = mix_recording(self.keywords, self.others, noise, rng,
                                  float(rng.uniform(*SNR_DB)), min_gap_s=GAPS_S[0],
                                  max_gap_s=GAPS_S[1], sample_rate=self.rate,
                                  unknown_share=0.5 if self.others else 0.0)
        spans = [(int(round(r.start_s * self.rate)), int(round(r.end_s * self.rate)), r.label)
                 for r in rows]
        cfg = self.frontend.config
        frames = cfg.num_frames(self.rate)
        self.frontend.reset()
        feats = self.frontend.process(pcm)
        self.frontend.reset()
        ends = np.arange(frames - 1, len(feats), self.every)
        x = np.stack([feats[i - frames + 1:i + 1] for i in ends]).astype(np.int8)
        p = model.predict(to_model_input(x), batch_size=512, verbose=0)
        top = np.argmax(p, 1)
        found = 0
        for k in np.flatnonzero((top >= 2) & (p[np.arange(len(top)), top] >= PROBABILITY)):
            end = cfg.window_size + int(ends[k]) * cfg.step_size
            start = end - self.rate
            if start < 0:
                continue
            own = window_label(spans, start, end)
            if own != self.labels[top[k]]:
                self.pool.append((pcm[start:end].copy(), own))
                found += 1
        self.pool = self.pool[-POOL:]
        self.found.append(found)
        log.info("mined %d false keyword windows from %d s of training speech (pool %d)",
                 found, SECONDS, len(self.pool))
        return found

    def sample(self, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
        if not self.pool or count <= 0:
            return []
        return [self.pool[int(i)] for i in rng.integers(len(self.pool), size=count)]

