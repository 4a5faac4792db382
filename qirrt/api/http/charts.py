"""The dashboard's charts as server-side SVG (matplotlib's object API, no pyplot, no JavaScript library).

Each builder takes plain data and returns SVG text; matplotlib escapes every label it writes.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC

from qirrt.errors import require

_LOCK = threading.Lock()  # matplotlib's text and font caches are not thread-safe
STATE_COLOURS = {"queued": "#9aa5b1", "running": "#3b82f6", "done": "#16a34a", "failed": "#dc2626",
                 "cancelled": "#a16207"}
MAX_BARS = 64


def _figure(width_in: float = 7.0, height_in: float = 3.0, rows: int = 1):
    require("matplotlib", extra="dashboard", feature="the dashboard's charts")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    return figure, figure.subplots(rows, 1, squeeze=False)[:, 0]


def _svg(figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg")
    return out.getvalue()


def empty(message: str) -> str:
    with _LOCK:
        figure, (axes,) = _figure(6.0, 1.2)
        axes.set_axis_off()
        axes.text(0.5, 0.5, message, ha="center", va="center")
        return _svg(figure)


def histogram(counts: dict[str, int], title: str) -> str:
    """The counts of a result as bars, most frequent first (at most `MAX_BARS`, the rest summed)."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > MAX_BARS:
        items = items[:MAX_BARS - 1] + [("other", sum(v for _, v in items[MAX_BARS - 1:]))]
    with _LOCK:
        figure, (axes,) = _figure(max(4.0, min(12.0, 0.45 * len(items) + 2.0)), 3.2)
        axes.bar(range(len(items)), [v for _, v in items], color="#3b82f6")
        axes.set_xticks(range(len(items)), [k for k, _ in items], rotation=90 if len(items) > 8 else 0,
                        fontfamily="monospace")
        axes.set_ylabel("counts")
        axes.set_title(title)
        return _svg(figure)


def _grid(history: list[tuple], start: float, end: float, bins: int):
    """Jobs by state at each of `bins` moments, and jobs finished in each bin."""
    step = (end - start) / bins
    moments = [start + step * (i + 1) for i in range(bins)]
    states = {s: [0] * bins for s in STATE_COLOURS}
    finished = [0] * bins
    for submitted, started, ended, final in history:
        for i, t in enumerate(moments):
            if submitted > t:
                continue
            if ended is not None and ended <= t:
                states[final][i] += 1
            elif started is not None and started <= t:
                states["running"][i] += 1
            else:
                states["queued"][i] += 1
        if ended is not None and start <= ended < end:
            finished[min(bins - 1, int((ended - start) / step))] += 1
    return moments, states, finished


def overview(history: list[tuple], window_s: float, now: float | None = None, bins: int = 60) -> str:
    """Jobs by state over the last `window_s` (stacked), and throughput (jobs finished per minute)."""
    now = time.time() if now is None else now
    start = now - window_s
    moments, states, finished = _grid(history, start, now, bins)
    minutes = [(t - now) / 60.0 for t in moments]
    per_min = 60.0 / (window_s / bins)
    with _LOCK:
        figure, (top, bottom) = _figure(8.0, 5.0, rows=2)
        top.stackplot(minutes, *states.values(), labels=list(states), colors=list(STATE_COLOURS.values()))
        top.set_ylabel("jobs")
        top.set_title("jobs by state")
        top.legend(loc="upper left", fontsize="small", ncols=5)
        bottom.bar(minutes, [f * per_min for f in finished], width=(minutes[1] - minutes[0]) * 0.9 if bins > 1 else 1,
                   color="#16a34a")
        bottom.set_ylabel("jobs / min")
        bottom.set_xlabel("minutes ago")
        bottom.set_title("throughput")
        return _svg(figure)


def calibration(points: list[dict], drift: list[dict], target: str) -> str:
    """T1/T2, gate errors and readout error per epoch over time, drift events as dashed red lines."""
    from datetime import datetime

    when = [datetime.fromtimestamp(p["timestamp_s"], UTC) for p in points]
    panels = (("coherence (µs)", ("t1_us", "t2_us")), ("gate error", ("gate_error_1q", "gate_error_2q")),
              ("readout error", ("readout_error",)))
    with _LOCK:
        figure, rows = _figure(8.0, 6.5, rows=3)
        for axes, (label, metrics) in zip(rows, panels):
            for metric in metrics:
                values = [p.get(metric) for p in points]
                if any(v is not None for v in values):
                    axes.plot(when, [float("nan") if v is None else v for v in values], marker="o", label=metric)
            for event in drift:
                axes.axvline(datetime.fromtimestamp(event["timestamp_s"], UTC), color="#dc2626",
                             linestyle="--", linewidth=1)
            axes.set_ylabel(label)
            if axes.get_legend_handles_labels()[0]:
                axes.legend(loc="upper left", fontsize="small")
        rows[0].set_title(f"{target}: mean over qubits (dashed: drift past thresholds)")
        figure.autofmt_xdate()
        return _svg(figure)
