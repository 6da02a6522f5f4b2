"""Did a stream keep real time, and by what margin (docs/stream.md, "Realtime").

A chunk of d seconds of audio (d = chunk samples / rate) must be answered
within a bound after the moment its last sample was recorded. By default the
bound is d: by then the next chunk is complete, and a double-buffered
microphone has only the buffer it is filling to hold it (max_lag_s sets a
device that holds more). Paced (--realtime), the lag of each reply behind
that moment must stay within the bound; within d, every chunk goes out on
time and the lag cannot grow. Not paced, each chunk's round trip must stay
within the bound for pacing to keep real time.

Two margins: the measured one is audio seconds over the seconds the link and
the device were busy (the sum of round trips); the line's is what the line
carries (baud / 10 bytes/s at 8N1) over what the stream sent and received
per second of audio. The host waits for each reply before the next chunk, so
the two directions take turns and their bytes add up.
"""

from __future__ import annotations

import statistics

from generator.boards import BITS_PER_BYTE


def _spread(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"max": max(values), "median": statistics.median(values),
            "mean": statistics.fmean(values)}


def link_report(*, audio_s: float, chunk_s: float, round_trips: list[float],
                lags: list[float] | None, bytes_to_device: int, bytes_to_host: int,
                line_rate: int | None, max_lag_s: float | None = None) -> dict:
    """The `link` figures of a stream. `lags` is None when it was not paced;
    `line_rate` the baud the transport held it to, None when nothing did;
    `max_lag_s` the bound, by default one chunk (chunk_s)."""
    if max_lag_s is not None and max_lag_s <= 0:
        raise ValueError(f"max_lag_s {max_lag_s} is not positive; give the seconds a reply may "
                         "come after its audio")
    bound = chunk_s if max_lag_s is None else max_lag_s
    paced = lags is not None
    late_by = lags if paced else round_trips
    needed = (bytes_to_device + bytes_to_host) / audio_s if audio_s > 0 else None
    line = line_rate / BITS_PER_BYTE if line_rate else None
    busy = sum(round_trips)
    return {
        "chunk_s": chunk_s,
        "round_trip_s": _spread(round_trips),
        "bytes_to_device": bytes_to_device,
        "bytes_to_host": bytes_to_host,
        "needed_bytes_per_s": needed,
        "line_rate_baud": line_rate,
        "line_bytes_per_s": line,
        "line_margin": line / needed if line and needed else None,
        "measured_margin": audio_s / busy if busy > 0 else None,
        "real_time": {
            "paced": paced,
            # paced: whether it was kept; not paced: whether pacing would keep it
            "kept": all(x <= bound for x in late_by),
            "bound_s": bound,
            "worst_s": max(late_by, default=0.0),
            "last_s": late_by[-1] if late_by else 0.0,
            "late_chunks": sum(1 for x in late_by if x > bound),
            "chunks": len(late_by),
        },
    }


def describe(link: dict) -> str:
    """One line for the stream summary."""
    rt, ms = link["real_time"], lambda s: f"{s * 1e3:.0f} ms"
    bound = ms(rt["bound_s"])
    if rt["paced"]:
        head = "real time kept: " + (
            f"yes, every reply within {ms(rt['worst_s'])} of its audio (bound {bound})"
            if rt["kept"] else
            f"NO, {rt['late_chunks']} of {rt['chunks']} replies more than {bound} after their "
            f"audio, the last {rt['last_s']:.2f} s")
    else:
        head = "real time would be kept: " + (
            f"yes, every chunk answered within {ms(rt['worst_s'])} (bound {bound})"
            if rt["kept"] else
            f"NO, {rt['late_chunks']} of {rt['chunks']} chunks took more than {bound}, the "
            f"slowest {ms(rt['worst_s'])}")
    measured = link["measured_margin"]
    margin = f"margin {measured:.2f}x measured" if measured is not None else "no margin measured"
    if link["line_margin"] is not None:
        margin += f", {link['line_margin']:.2f}x on the {link['line_rate_baud']:,}-baud line"
    else:
        margin += " (the link has no line rate: QEMU, the host build or TCP)"
    return f"{head}; {margin}"
