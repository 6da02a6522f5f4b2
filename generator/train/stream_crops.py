"""Training windows cut from continuous speech (`kws-train --stream-crop-percent`).

A clip data set shows a model whole words, alone and near the middle. A
stream shows it every window the audio passes through: the end of one word
and the start of the next, half a keyword, a keyword beside another word.
A model that never saw those fires on them (the first tinykws models heard
"on" in the tails of many other words). So each epoch gets windows cut from
short sequences of training words spoken back to back (small gaps, random
order, keywords and other words mixed), labelled by what lies whole inside:

- exactly one keyword whole inside (at least WHOLE of its speech) and no
  other keyword even in part: that keyword;
- otherwise, any speech in the window: `_unknown_` (a keyword in part is not
  the keyword yet: the recognizer averages over the windows that hold it whole);
- no speech: `_silence_`.

Words are the speech spans (generator.wav.active_span) of training
clips, so no held-out or validation speaker is ever cut into a window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import SILENCE_LABEL, UNKNOWN_LABEL

WHOLE = 0.9          # share of a word's speech in the window for it to count as whole
PART = 0.1           # less than this is not in the window at all
PAD_S = 0.03         # kept around each word's speech span
WORDS = (2, 4)       # words per sequence, inclusive
GAP_S = (0.0, 0.35)  # silence between two words
KEYWORD_SHARE = 0.5  # of the words in a sequence


@dataclass(frozen=True)
class Word:
    pcm: np.ndarray   # the speech span plus PAD_S each side, int16
    start: int        # where the span starts within pcm
    end: int
    label: str        # a keyword or _unknown_


def words_of(clips, pcms, sample_rate: int = 16000) -> list[Word]:
    """Words of training clips (not _silence_): each clip's speech span, padded."""
    from generator.wav import active_span

    pad = int(PAD_S * sample_rate)
    out = []
    for clip, pcm in zip(clips, pcms):
        if clip.label == SILENCE_LABEL:
            continue
        span = active_span(pcm, sample_rate)
        if span is None:
            continue
        a0, a1 = max(0, span[0] - pad), min(pcm.size, span[1] + pad)
        out.append(Word(np.asarray(pcm[a0:a1], np.int16), span[0] - a0, span[1] - a0,
                        clip.label))
    return out


def crop(words: list[Word], rng: np.random.Generator, n: int = 16000,
         sample_rate: int = 16000) -> tuple[np.ndarray, str]:
    """One window of n samples from a random sequence of words, and its label."""
    keywords = [w for w in words if w.label != UNKNOWN_LABEL]
    others = [w for w in words if w.label == UNKNOWN_LABEL] or keywords
    count = int(rng.integers(WORDS[0], WORDS[1] + 1))
    seq: list[tuple[int, Word]] = []   # (offset, word)
    at = 0
    for _ in range(count):
        pool = keywords if keywords and rng.random() < KEYWORD_SHARE else others
        word = pool[int(rng.integers(len(pool)))]
        seq.append((at, word))
        at += word.pcm.size + int(rng.uniform(*GAP_S) * sample_rate)
    # the sequence sits after n samples of silence; the window starts anywhere from half a
    # window before the sequence to half a window before its end
    audio = np.zeros(n + at + n, np.float32)
    for offset, word in seq:
        audio[n + offset:n + offset + word.pcm.size] += word.pcm
    start = n // 2 + int(rng.integers(0, at + 1))
    window = audio[start:start + n]
    label = window_label([(n + offset + w.start, n + offset + w.end, w.label) for offset, w in seq],
                         start, start + n)
    return np.clip(np.round(window), -32768, 32767).astype(np.int16), label


def window_label(spans, w0: int, w1: int) -> str:
    """The label of the window [w0, w1) over words spoken at `spans`, a list of
    (speech start, speech end, label) in samples, by the rules of the module
    docstring."""
    whole, partial, speech = [], [], False
    for a0, a1, label in spans:
        inside = max(0, min(a1, w1) - max(a0, w0)) / max(1, a1 - a0)
        if inside < PART:
            continue
        speech = True
        if label == UNKNOWN_LABEL:
            continue
        (whole if inside >= WHOLE else partial).append(label)
    if len(whole) == 1 and not partial:
        return whole[0]
    return UNKNOWN_LABEL if speech else SILENCE_LABEL
