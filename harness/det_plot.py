"""det.png: a DET (harness.det.sweep's result) as a picture.

Miss rate against false accepts per hour, one curve per averaging window, on
a symlog x axis (linear below 1 per hour) so that 0 false accepts per hour
shows. The point in use and the recommended one are marked and labelled.
"""

from __future__ import annotations

from pathlib import Path


def _describe(point: dict) -> str:
    p = point["params"]
    return (f"{p['average_window_ms']} ms, threshold {p['threshold']}: miss "
            f"{point['miss_rate']:.2f}, {point['false_accepts_per_hour']:.1f} FA/h")


def plot_det(det: dict, path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    top = 1.0
    for window in det["windows"]:
        points = [(x, y) for x, y in zip(window["false_accepts_per_hour"], window["miss_rate"])
                  if x is not None and y is not None]
        if not points:
            continue
        xs, ys = zip(*points)
        top = max(top, max(xs))
        ax.plot(xs, ys, linewidth=2.2 if window["in_use"] else 1.2,
                label=f"{window['average_window_ms']} ms"
                      + (" (in use)" if window["in_use"] else ""))
    marks = [("in use", det.get("in_use"), "o", "black"),
             ("recommended", det.get("recommended"), "*", "red")]
    for name, point, marker, colour in marks:
        if not point or point["miss_rate"] is None or point["false_accepts_per_hour"] is None:
            continue
        x, y = point["false_accepts_per_hour"], point["miss_rate"]
        ax.plot([x], [y], marker=marker, markersize=11, color=colour, linestyle="none")
        ax.annotate(f"{name}: {_describe(point)}", (x, y), textcoords="offset points",
                    xytext=(8, 8 if name == "in use" else -14), fontsize=8, color=colour)
    target = det.get("target_fa_per_hour")
    if target is not None:
        ax.axvline(target, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(-0.2, top * 1.2)  # a little below 0, so the points at 0 FA/h show whole
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("false accepts per hour (linear below 1)")
    ax.set_ylabel("miss rate")
    ax.set_title(f"DET: {det['keywords']} keywords, {det['duration_s'] / 60:.1f} min of audio, "
                 "thresholds 0..255")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="averaging window", fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
