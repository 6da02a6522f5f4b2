"""Confusion matrices and their PNG plots, for training reports and the
harness's device evaluation alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def confusion(y: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    """n x n counts: row = true class, column = predicted class."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y, p), 1)
    return m


def plot_confusion(m: np.ndarray, labels: list[str], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.55 * n), dpi=100)
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    for i in range(n):
        for j in range(n):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
