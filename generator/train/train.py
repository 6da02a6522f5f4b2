"""kws-train's training run: data -> features -> Keras -> int8 .tflite -> report."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .arch import ARCHS, build_model, count_macs
from .augment import AugmentConfig, augment_clip, features, spec_augment, to_model_input
from .data import (REAL_SPLIT_SALT, SILENCE_LABEL, UNKNOWN_LABEL, Clip, Dataset, ceil_pct,
                   data_fingerprint, load_clips, scan_dataset, scan_negatives)
from . import stream_crops
from .hard_negatives import HardNegatives
from .errors import TrainError
from ..bundle import FRONTEND_FILE, MODEL_FILE, ModelBundle
from ..labels import LABELS_FILE, LabelsError
from ..staging import replacing_dir, replacing_file
from ..progress import progress

log = logging.getLogger("kws-train")


@dataclass
class TrainOptions:
    data: list[Path]
    out: Path
    arch: str = "ds_cnn"
    labels: list[str] | None = None
    epochs: int = 30
    frontend: Path | None = None
    seed: int = 0
    batch_size: int = 64
    learning_rate: float = 3e-3
    patience: int = 6
    average: int = 5          # average the weights of the N best epochs (1: off)
    teachers: list[Path] = field(default_factory=list)   # kws-train OUT folders to distil
    teacher_models: list[str] = field(default_factory=list)   # RECIPE:published.tflite
    teacher_weight: float = 0.5   # share of the teachers' mean scores in the training target
    real: list[Path] = field(default_factory=list)   # real recordings, split by real_split
    real_train_percentage: float = 50.0
    real_validation_percentage: float = 10.0
    real_repeat: int = 1          # real training clips appear this many times an epoch
    target_fa_per_hour: float | None = 1.0   # recognizer.json chosen for it; None: not chosen
    stream_seconds: float = 1200.0   # of validation stream per SNR for that choice
    stream_crop_percentage: float = 0.0   # extra windows of continuous speech, % of an epoch
    mine_percentage: float = 0.0  # extra windows from the mined hard negatives, % of an epoch
    negatives: list[Path] = field(default_factory=list)   # folders of words that are no keyword
    negative_percentage: float = 20.0   # extra _unknown_ clips from them, % of an epoch
    mix_prob: float = 0.0         # share of clips with another training clip mixed in, quieter
    place_prob: float = 0.0       # share of clips whose speech goes anywhere in the window
    lead_in_prob: float = 0.0     # share of clips featurised after a lead-in of their noise
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    silence_percentage: float = 10.0
    unknown_percentage: float = 10.0
    train_unknown_percentage: float | None = None   # per training epoch; None: unknown_percentage
    holdout: list[str] = field(default_factory=list)
    augment: bool = True
    cache_dir: Path | None = Path("build/kws-train-cache")
    skip_bad_files: bool = False
    command: str = ""
    show_progress: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.data, (str, Path)):   # one folder
            self.data = [Path(self.data)]


def load_frontend_config(path: Path | None):
    from generator.frontend import FrontendConfig, FrontendConfigError

    if path is None:
        return FrontendConfig(output="int8")
    try:
        cfg = FrontendConfig.from_json(Path(path).read_text())
        cfg.validate()
    except FileNotFoundError:
        raise TrainError(f"--frontend {path}: no such file") from None
    except (FrontendConfigError, TypeError) as e:
        raise TrainError(f"--frontend {path}: {e}") from None
    if cfg.output != "int8":
        log.warning("--frontend %s: output=%r changed to 'int8' (the int8 model takes the "
                    "frontend's int8 output unchanged)", path, cfg.output)
        import dataclasses
        cfg = dataclasses.replace(cfg, output="int8")
    return cfg


def _eval_set(ds: Dataset, split: str, pcm_by_path: dict, rng: np.random.Generator,
              opts: TrainOptions) -> tuple[np.ndarray, np.ndarray, list[Clip]]:
    """Clips of one split: every keyword clip, unknown and silence sampled to
    the given percentages of the keyword count (as TensorFlow's speech_commands)."""
    clips = ds.split(split)
    if split == "real":   # real recordings are measured as they come, every clip
        if not clips:
            return np.zeros((0, 16000), np.int16), np.zeros(0, np.int64), []
        return (np.stack([pcm_by_path[c.path] for c in clips]),
                np.array([ds.labels.index(c.label) for c in clips], dtype=np.int64), clips)
    kw = [c for c in clips if c.label not in (UNKNOWN_LABEL, SILENCE_LABEL)]
    unk = [c for c in clips if c.label == UNKNOWN_LABEL]
    sil = [c for c in clips if c.label == SILENCE_LABEL]
    n_unk = min(len(unk), ceil_pct(len(kw), opts.unknown_percentage)) if kw else len(unk)
    unk = [unk[i] for i in sorted(rng.permutation(len(unk))[:n_unk])]
    chosen = kw + unk + sil
    pcm = [pcm_by_path[c.path] for c in chosen]
    labels = [c.label for c in chosen]
    if split != "heldout":
        n_sil = ceil_pct(len(kw), opts.silence_percentage)
        for i in range(n_sil):
            pcm.append(augment_clip(np.zeros(16000, np.int16), SILENCE_LABEL, ds.background, rng,
                                    AugmentConfig()))
            labels.append(SILENCE_LABEL)
            chosen.append(Clip(Path(f"<silence {i}>"), SILENCE_LABEL, SILENCE_LABEL, "silence", split))
    y = np.array([ds.labels.index(l) for l in labels], dtype=np.int64)
    return (np.stack(pcm) if pcm else np.zeros((0, 16000), np.int16)), y, chosen


def train_unknown_percentage(opts: TrainOptions) -> float:
    """The _unknown_ share of each training epoch (the evaluation splits keep
    opts.unknown_percentage, so their figures stay comparable)."""
    if opts.train_unknown_percentage is None:
        return opts.unknown_percentage
    return opts.train_unknown_percentage


def _train_epoch_set(ds: Dataset, train_pcm: np.ndarray, train_clips: list[Clip],
                     rng: np.random.Generator, opts: TrainOptions, frontend, aug: AugmentConfig,
                     show, words: list | None = None, miner=None,
                     negatives: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One epoch's (features, labels, teachers' PCM, own-label-only): every keyword clip,
    _unknown_ sampled, every _silence_ clip plus generated ones; real clips
    opts.real_repeat times; then windows of continuous speech cut from `words`
    (stream_crops), opts.stream_crop_percentage of that many, and windows from the
    miner's pool of hard negatives, opts.mine_percentage of it; before those,
    opts.negative_percentage of it drawn from `negatives` (clips of other words, as
    _unknown_). The last array marks the windows that keep their own label in
    distillation: the crops, the negatives (known not to be keywords) and the clips
    whose speech placement moved (teachers learnt words near the middle).
    The teachers' PCM is each window before its background noise: the student
    learns to hear through noise what the teachers say of the speech itself
    (MLPerf Tiny's DS-CNN, one of the default teachers, is right on 92 % of the
    held-out real clips but on 40 % of them at 10 dB SNR, so its view of a noisy
    clip taught the student that noisy keywords are other words)."""
    kw_idx = [i for i, c in enumerate(train_clips) if c.label not in (UNKNOWN_LABEL, SILENCE_LABEL)]
    unk_idx = [i for i, c in enumerate(train_clips) if c.label == UNKNOWN_LABEL]
    sil_idx = [i for i, c in enumerate(train_clips) if c.label == SILENCE_LABEL]
    n_unk = min(len(unk_idx), ceil_pct(len(kw_idx), train_unknown_percentage(opts)))
    chosen = kw_idx + list(rng.permutation(unk_idx)[:n_unk]) + sil_idx
    # Real speech is scarce beside synthetic: its clips come again, differently augmented.
    chosen += [i for i in range(len(train_clips)) if train_clips[i].real
               for _ in range(opts.real_repeat - 1)]
    n_sil = ceil_pct(len(kw_idx), opts.silence_percentage)
    n = len(chosen) + n_sil
    samples = train_pcm.shape[1]
    frames = frontend.config.num_frames(samples)
    lead = int(aug.lead_in_ms * frontend.config.sample_rate / 1000) // frontend.config.step_size \
        * frontend.config.step_size   # whole frame steps: the clip's frames stay where they were
    items = [(train_pcm[i], train_clips[i].label) for i in chosen]
    items += [(np.zeros(samples, np.int16), SILENCE_LABEL)] * n_sil
    n_crops = ceil_pct(len(items), opts.stream_crop_percentage) if words else 0
    crops = [stream_crops.crop(words, rng, samples, frontend.config.sample_rate)
             for _ in range(n_crops)]
    if miner is not None:
        crops += miner.sample(ceil_pct(len(items), opts.mine_percentage), rng)
        n_crops = len(crops)
    n_neg = ceil_pct(len(items), opts.negative_percentage) if negatives is not None else 0
    if n_neg:
        items += [(negatives[i], UNKNOWN_LABEL) for i in rng.integers(len(negatives), size=n_neg)]
    items += crops
    n = len(items)
    pcm = np.empty((n, samples), np.int16)
    feats = np.empty((n, frames, frontend.channels), np.int8)
    y = np.empty(n, np.int64)
    is_crop = np.arange(n) >= n - n_crops
    # a crop's words are where the window put them: no shift, placement or speed change
    crop_aug = dataclasses.replace(aug, time_shift_ms=0.0, place_prob=0.0, speed_prob=0.0)
    # negatives and crops (and below, placed clips): teachers do not label them, and
    # no keyword is mixed into them
    own_label = np.arange(n) >= n - n_crops - n_neg
    it = range(n) if show is None else show(range(n))
    for j in it:
        x, label = items[j]
        if opts.mix_prob > 0 and not own_label[j] and rng.random() < opts.mix_prob:
            x = _mixed(x, train_pcm[int(rng.integers(len(train_pcm)))], rng)
        info: dict = {}
        if not opts.augment:
            full = x
        else:
            warm = aug.lead_in_prob > 0 and rng.random() < aug.lead_in_prob
            full = augment_clip(x, label, ds.background, rng, crop_aug if is_crop[j] else aug,
                                lead_in=lead if warm else 0, info=info)
            own_label[j] |= info.get("placed", False)
        pcm[j] = info.get("clean", full)[-samples:]
        feats[j] = frontend.compute(full)[-frames:]
        y[j] = ds.labels.index(label)
    if opts.augment:
        spec_augment(feats, rng, aug)
    return feats, y, pcm, own_label


MIX_DB = (-20.0, -6.0)   # the mixed-in clip's level against the clip's own


def _mixed(x: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x with `other` added MIX_DB below it (RMS): a voice in the background. The
    label stays x's; the teachers hear the mix, so they say how much it changed."""
    a, b = x.astype(np.float32), other.astype(np.float32)
    ra, rb = float(np.sqrt(np.mean(a * a)) + 1e-6), float(np.sqrt(np.mean(b * b)) + 1e-6)
    y = a + b * (ra / rb) * np.float32(10 ** (rng.uniform(*MIX_DB) / 20))
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def _load_pcm(clips: list[Clip], opts: TrainOptions, sample_rate: int, show):
    """The clips' PCM, through a .npz cache keyed by the files' names, sizes and times."""
    cache = None
    if opts.cache_dir is not None:
        key = data_fingerprint(clips, f"{sample_rate}|{opts.skip_bad_files}")
        cache = Path(opts.cache_dir) / f"pcm-{key}.npz"
        if cache.exists():
            try:
                z = np.load(cache, allow_pickle=False)
                paths = [str(p) for p in z["paths"]]
                by = {str(c.path): c for c in clips}
                kept = [by[p] for p in paths]
                log.info("loaded %d clips from cache %s", len(kept), cache)
                return z["pcm"], kept
            except Exception as e:  # a stale or broken cache is rebuilt
                log.warning("ignoring cache %s (%s)", cache, e)
    pcm, kept = load_clips(clips, sample_rate, sample_rate, opts.skip_bad_files,
                           progress=progress("reading wavs", show))
    if cache is not None:
        try:
            with replacing_file(cache) as tmp:   # runs sharing a cache folder may write at once
                np.savez(tmp, pcm=pcm, paths=np.array([str(c.path) for c in kept]))
        except OSError as e:
            log.warning("could not write cache %s (%s)", cache, e)
    return pcm, kept


class _Teachers:
    """Models whose mean scores become part of the target: previous kws-train
    models (on our features) and published models (each on its own front end,
    from the PCM), all from TensorFlow Lite's interpreter: its optimized kernels
    score a whole epoch in seconds, and a training target needs no bit-exactness."""

    def __init__(self, dirs: list[Path], labels: list[str], published: list[str] = ()):
        import tensorflow as tf

        from .published_teachers import PublishedTeacher

        self.its, self.labels = [], labels
        self.published = [PublishedTeacher(spec, labels) for spec in published]
        for d in dirs:
            d = Path(d)
            bundle = ModelBundle(d / MODEL_FILE)
            try:
                tfl = bundle.model.read_bytes()
                theirs = bundle.labels
            except OSError as e:
                raise TrainError(f"--teachers {d}: {e.strerror}; give kws-train output folders") \
                    from None
            except LabelsError as e:
                raise TrainError(f"--teachers {d}: {e}") from None
            if theirs is None:
                raise TrainError(f"--teachers {d}: no {LABELS_FILE}; give kws-train output folders")
            if theirs != labels:
                raise TrainError(f"--teachers {d}: labels {theirs} differ from {labels}")
            it = tf.lite.Interpreter(model_content=tfl, num_threads=2)
            self.its.append(it)

    def scores(self, x: np.ndarray, pcm: np.ndarray | None = None, batch: int = 256) -> np.ndarray:
        """Mean of the teachers' scores for features x of clips pcm (which only
        published teachers need), rows normalized to 1."""
        total = np.zeros((len(x), len(self.labels)))
        for it in self.its:
            p = _tflite_scores(it, x, batch)
            total += p / np.maximum(p.sum(1, keepdims=True), 1e-12)
        for teacher in self.published:
            total += teacher.scores(pcm, batch)
        return total / np.maximum(total.sum(1, keepdims=True), 1e-12)


def _tflite_scores(it, x: np.ndarray, batch: int) -> np.ndarray:
    """Dequantized outputs of an int8 model for x, in batches where the model's
    graph allows another batch size (models with a fixed-shape RESHAPE do not)."""
    d, o = it.get_input_details()[0], it.get_output_details()[0]
    one = [1, *d["shape"][1:]]
    try:
        it.resize_tensor_input(d["index"], [batch, *one[1:]])
        it.allocate_tensors()
    except (RuntimeError, ValueError):
        batch = 1
        it.resize_tensor_input(d["index"], one)
        it.allocate_tensors()
    scale, zero = o["quantization"]
    parts = []
    for start in range(0, len(x), batch):
        xb = x[start:start + batch].reshape(-1, *one[1:]).astype(np.int8)
        if len(xb) < batch:   # the last, short batch: pad to the allocated shape
            xb = np.concatenate([xb, np.zeros((batch - len(xb), *one[1:]), np.int8)])
        it.set_tensor(d["index"], xb)
        it.invoke()
        parts.append(it.get_tensor(o["index"])[:len(x) - start].reshape(-1, o["shape"][-1]))
    return (np.concatenate(parts).astype(np.float64) - zero) * scale


def _choose_recognizer(folder: Path, ds: Dataset, pcm_by_path: dict, opts: TrainOptions,
                       sample_rate: int) -> dict | None:
    """recognizer.json for the model written in `folder`, chosen on validation
    streams (recognizer_choice); det_validation.json/.png show the trade-off.
    None (and the firmware's defaults) when not asked for or no validation."""
    from generator.stream import write_recognizer
    from harness.det_plot import plot_det

    from .recognizer_choice import choose_recognizer, validation_stream

    if opts.target_fa_per_hour is None:
        return None
    try:
        pcm, truth, what = validation_stream(ds.split("validation"), pcm_by_path, ds.background,
                                             ds.labels, opts.stream_seconds, opts.seed,
                                             sample_rate)
    except ValueError as e:
        log.warning("recognizer.json not chosen (%s): the firmware uses its defaults", e)
        return None
    log.info("choosing the recognizer on %s", what)
    params, chosen, det = choose_recognizer(folder, pcm, truth, what, opts.target_fa_per_hour)
    write_recognizer(folder, params, chosen, ds.labels)
    (folder / "det_validation.json").write_text(json.dumps(det) + "\n")
    plot_det(det, folder / "det_validation.png")
    return {"params": params.to_dict(), "chosen": chosen}


def _accuracy(model, xy) -> float:
    p = model.predict(to_model_input(xy[0]), batch_size=256, verbose=0)
    return float(np.mean(np.argmax(p, 1) == xy[1]))


def train(opts: TrainOptions) -> dict:
    """Run the whole pipeline; returns the report dict. Writes OUT only at the end."""
    import keras
    import tensorflow as tf

    from generator.frontend import Frontend

    from . import report as report_mod
    from .quantize import check_io, int8_predict, model_ops, quantize

    if opts.arch not in ARCHS:
        raise TrainError(f"--arch {opts.arch!r}: choose one of {', '.join(ARCHS)}")
    if opts.epochs < 1:
        raise TrainError("--epochs must be at least 1")
    if not 0.0 <= opts.teacher_weight <= 1.0:
        raise TrainError(f"--teacher-weight {opts.teacher_weight:g}: must be between 0 and 1 "
                         "(the teachers' share of the training target)")
    for flag, value in (("--silence-percent", opts.silence_percentage),
                        ("--unknown-percent", opts.unknown_percentage),
                        ("--train-unknown-percent", train_unknown_percentage(opts))):
        if value < 0:
            raise TrainError(f"{flag} {value:g}: must be 0 or more")
    out = Path(opts.out)
    if out.exists() and not out.is_dir():
        raise TrainError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MODEL_FILE).exists():
        raise TrainError(f"--out {out}: folder is not empty and not a previous kws-train output; "
                         "choose a new or empty folder")
    show = opts.show_progress
    t0 = time.time()
    fe_cfg = load_frontend_config(opts.frontend)
    frontend = Frontend(fe_cfg)
    sr = fe_cfg.sample_rate
    if sr != 16000:
        log.warning("frontend sample_rate is %d Hz: clips are resampled to it", sr)

    ds = scan_dataset(opts.data, opts.labels, opts.validation_percentage, opts.testing_percentage,
                      opts.holdout, sr, opts.skip_bad_files, opts.real,
                      opts.real_train_percentage, opts.real_validation_percentage)
    counts = ds.counts()
    log.info("labels: %s", ", ".join(ds.labels))
    for split in ("train", "validation", "test", "heldout", "real"):
        if counts[split]:
            log.info("%-10s %s", split, ", ".join(f"{k}={v}" for k, v in sorted(counts[split].items())))

    pcm_all, kept = _load_pcm(ds.clips, opts, sr, show)
    ds.clips = kept
    pcm_by_path = {c.path: pcm_all[i] for i, c in enumerate(kept)}
    train_clips = [c for c in kept if c.split == "train"]
    train_pcm = np.stack([pcm_by_path[c.path] for c in train_clips])
    negatives = None
    if opts.negatives:
        negatives, neg_clips = _load_pcm(scan_negatives(opts.negatives, ds.keywords), opts, sr, show)
        if not neg_clips:
            raise TrainError(f"--negatives {', '.join(map(str, opts.negatives))}: none of its "
                             "clips could be read")
        log.info("negatives: %d clips of %d words by %d speakers, %g %% of each epoch", len(neg_clips),
                 len({c.folder for c in neg_clips}), len({c.speaker for c in neg_clips}),
                 opts.negative_percentage)

    rng_eval = np.random.default_rng(opts.seed + 1)
    eval_sets = {}
    # Real noise excerpts that train are background noise for augmentation too.
    ds.background += [pcm_by_path[c.path] for c in train_clips
                      if c.real and c.label == SILENCE_LABEL]
    for split in ("validation", "test", "heldout", "real"):
        pcm, y, clips = _eval_set(ds, split, pcm_by_path, rng_eval, opts)
        if len(y):
            feats = features(frontend, pcm, progress(f"features {split}", show))
            eval_sets[split] = (feats, y, clips)
    if "validation" not in eval_sets:
        log.warning("no validation clips (too few speakers): early stopping watches training loss")
    selection = eval_sets["validation"][:2] if "validation" in eval_sets else None

    # ---------------------------------------------------------------- train
    try:  # the thread counts the default model was trained with (2 cores)
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already running in this process: keep its threads
        log.info("TensorFlow is already initialised; keeping its thread settings")
    frames, channels = fe_cfg.num_frames(sr), fe_cfg.channels
    model = build_model(opts.arch, (frames, channels), len(ds.labels), opts.seed)
    rng = np.random.default_rng(opts.seed)
    aug = AugmentConfig(place_prob=opts.place_prob, lead_in_prob=opts.lead_in_prob)
    words = (stream_crops.words_of(train_clips, train_pcm, sr)
             if opts.stream_crop_percentage > 0 or opts.mine_percentage > 0 else None)
    miner = (HardNegatives(words, ds.background, ds.labels, Frontend(fe_cfg))
             if opts.mine_percentage > 0 else None)
    rng_mine = np.random.default_rng(opts.seed + 2)   # apart, so that the other draws repeat
    x0, y0, pcm0, crop0 = _train_epoch_set(ds, train_pcm, train_clips, rng, opts, frontend, aug,
                                           progress("features train", show),
                                           words if opts.stream_crop_percentage > 0 else None,
                                           negatives=negatives)
    steps = int(np.ceil(len(y0) / opts.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(opts.learning_rate, steps * opts.epochs,
                                                      alpha=0.02)
    teachers = (_Teachers(opts.teachers, ds.labels, opts.teacher_models)
                if opts.teachers or opts.teacher_models else None)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="categorical_crossentropy" if teachers else "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    best, best_epoch, best_weights, wait = -np.inf, 0, model.get_weights(), 0
    history = []
    snapshots: list = []      # (validation score, epoch, weights) of the best epochs
    bar = progress("training", show)(range(opts.epochs), total=opts.epochs)
    for epoch in bar:
        if miner is not None and miner.due(epoch):
            miner.mine(model, rng_mine)
        x, y, pcm, own_label = (x0, y0, pcm0, crop0) if epoch == 0 else _train_epoch_set(
            ds, train_pcm, train_clips, rng, opts, frontend, aug, None,
            words if opts.stream_crop_percentage > 0 else None, miner, negatives)
        target = y
        if teachers is not None:
            w = opts.teacher_weight
            onehot = np.eye(len(ds.labels), dtype=np.float32)[y]
            target = (1 - w) * onehot + w * teachers.scores(x, pcm)
            # teachers learnt whole words near the middle: elsewhere a window's label is its own
            target[own_label] = onehot[own_label]
        h = model.fit(to_model_input(x), target, batch_size=opts.batch_size, epochs=1, verbose=0,
                      shuffle=True)
        loss, acc = float(h.history["loss"][-1]), float(h.history["accuracy"][-1])
        if selection is not None:
            score = _accuracy(model, selection)
        else:
            score = -loss
        history.append({"epoch": epoch + 1, "loss": loss, "accuracy": acc, "val_accuracy":
                        score if "validation" in eval_sets else None})
        log.info("epoch %d/%d: loss %.4f, train acc %.4f%s", epoch + 1, opts.epochs, loss, acc,
                 f", val acc {score:.4f}" if "validation" in eval_sets else "")
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{loss:.3f}", val=f"{score:.3f}")
        warm = epoch + 1 >= min(10, opts.epochs // 3)
        if warm:
            snapshots.append((score, epoch + 1, model.get_weights()))
            snapshots = sorted(snapshots, key=lambda t: -t[0])[:opts.average]
        if score > best or not warm:   # a lucky warm-up epoch is never kept
            best, best_epoch, best_weights, wait = score, epoch + 1, model.get_weights(), 0
        else:   # after warm-up: count the epochs without improvement
            wait += 1
            if wait >= opts.patience:
                log.info("early stop: no better validation accuracy for %d epochs (best %d)",
                         opts.patience, best_epoch)
                break
    model.set_weights(best_weights)
    averaged_epochs: list[int] = []
    if opts.average > 1 and len(snapshots) > 1 and "validation" in eval_sets:
        # weight averaging of the best epochs (a "model soup"): kept only if
        # validation accuracy does not drop
        avg = [np.mean([w[i] for _, _, w in snapshots], axis=0) for i in range(len(best_weights))]
        model.set_weights(avg)
        avg_score = _accuracy(model, selection)
        if avg_score >= best:
            averaged_epochs = sorted(e for _, e, _ in snapshots)
            log.info("averaged the weights of epochs %s: validation accuracy %.4f (best single "
                     "epoch %.4f)", averaged_epochs, avg_score, best)
        else:
            log.info("weight average of the best epochs scored %.4f < %.4f: keeping epoch %d",
                     avg_score, best, best_epoch)
            model.set_weights(best_weights)
    train_seconds = time.time() - t0

    # ------------------------------------------------------------- quantize
    log.info("quantizing to full int8 (representative data: training features)")
    export = build_model(opts.arch, (frames, channels), len(ds.labels), opts.seed, batch_size=1)
    export.set_weights(model.get_weights())
    tfl = quantize(export, x0, seed=opts.seed)
    io = check_io(tfl)

    results = {}
    for split, (fx, fy, clips) in eval_sets.items():
        fp = model.predict(to_model_input(fx), batch_size=256, verbose=0)
        qp = int8_predict(tfl, fx, progress(f"int8 {split}", show))
        results[split] = {"y": fy, "float_pred": np.argmax(fp, 1), "int8_pred": np.argmax(qp, 1),
                          "clips": clips}
        log.info("%s: float %.4f, int8 %.4f (%d clips)", split,
                 np.mean(results[split]["float_pred"] == fy), np.mean(results[split]["int8_pred"] == fy),
                 len(fy))

    meta = {
        "arch": opts.arch, "seed": opts.seed, "epochs_max": opts.epochs, "epochs_run": len(history),
        "best_epoch": best_epoch, "averaged_epochs": averaged_epochs, "history": history, "train_seconds": round(train_seconds, 1),
        "macs": count_macs(model), "params": int(model.count_params()),
        "tflite_bytes": len(tfl), "ops": model_ops(tfl), "io": io,
        "labels": ds.labels, "renamed_labels": ds.renamed,
        "holdout": opts.holdout, "teachers": [str(t) for t in opts.teachers],
        "teacher_weight": opts.teacher_weight if opts.teachers or opts.teacher_models else None,
        "counts": counts, "data": [str(d) for d in opts.data],
        "real": [str(d) for d in opts.real],
        "real_split": ({"train": opts.real_train_percentage,
                        "validation": opts.real_validation_percentage,
                        "salt": REAL_SPLIT_SALT} if opts.real else None),
        "teacher_models": list(opts.teacher_models), "real_repeat": opts.real_repeat,
        "stream_augment": {"place": opts.place_prob, "lead_in": opts.lead_in_prob,
                           "crops": opts.stream_crop_percentage,
                           "mined": opts.mine_percentage, "mixed": opts.mix_prob,
                           "mined_per_round": miner.found if miner is not None else []},
        "negatives": ({"folders": [str(d) for d in opts.negatives], "clips": len(negatives),
                       "percent": opts.negative_percentage} if negatives is not None else None),
        "background": ds.background_names, "command": opts.command,
        "frontend": fe_cfg.to_dict(),
        "model_sha256": hashlib.sha256(tfl).hexdigest(),
        "augment": opts.augment,
        "percentages": {"validation": opts.validation_percentage, "test": opts.testing_percentage,
                        "silence": opts.silence_percentage, "unknown": opts.unknown_percentage,
                        "train_unknown": train_unknown_percentage(opts)},
    }

    # ---------------------------------------------------------- write OUT
    with replacing_dir(out) as tmp:
        (tmp / MODEL_FILE).write_bytes(tfl)
        (tmp / LABELS_FILE).write_text(json.dumps(ds.labels, indent=1) + "\n")
        (tmp / FRONTEND_FILE).write_text(fe_cfg.to_json() + "\n")
        meta["recognizer"] = _choose_recognizer(tmp, ds, pcm_by_path, opts, sr)
        rep = report_mod.write_report(tmp, meta, results, ds.labels)
    log.info("wrote %s (model.tflite %d bytes, %d MACs)", out, len(tfl), meta["macs"])
    return rep
