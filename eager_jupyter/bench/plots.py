"""PNG plots of a benchmark: E2EL against rate, measured/bound per run, and one run's timeline.

Figures are drawn on ``matplotlib.figure.Figure`` with the Agg canvas, never through ``pyplot``, so
calling the benchmark from a notebook does not switch or clutter the notebook's own backend.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .report import EAGER_MODES, pairs

__all__ = ["plot_all", "plot_bound_ratio", "plot_e2el_vs_rate", "plot_timeline", "timeline_choice"]

Row = dict[str, Any]
COLOURS = {"serial": "tab:purple", "eager": "tab:blue", "eager-nogate": "tab:orange"}
MODES = ("serial", *EAGER_MODES)


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_e2el_vs_rate(rows: Sequence[Row], path: Path) -> Path:
    """Left: mean E2EL over tasks per mode (and the mean lower bound); right: median E2EL / serial."""
    fig = _figure(11, 4.2)
    left, right = fig.subplots(1, 2)
    rates = sorted({r["rate"] for r in rows})
    for mode in MODES:
        xs, ys = [], []
        for rate in rates:
            group = [r["end_to_end_s"] for r in rows if r["mode"] == mode and r["rate"] == rate]
            if group:
                xs.append(rate)
                ys.append(statistics.mean(group))
        if xs:
            left.plot(xs, ys, marker="o", color=COLOURS[mode], label=mode)
    bound = [
        (rate, statistics.mean(g))
        for rate in rates
        if (g := [r["lower_bound_s"] for r in rows if r["mode"] == "eager-nogate" and r["rate"] == rate])
    ]
    if bound:
        left.plot(*zip(*bound, strict=True), ls="--", color="k", lw=1, label="lower bound (gate off)")
    left.set(xscale="log", xlabel="tokens/s", ylabel="mean end-to-end latency (s)", title="E2EL against rate")
    left.set_xticks(rates, [f"{r:g}" for r in rates])
    left.set_xticks([], minor=True)
    left.legend()
    for mode in EAGER_MODES:
        matched = pairs(rows, mode)
        xs, ys, bs = [], [], []
        for rate in rates:
            here = [(e, s) for e, s in matched if e["rate"] == rate and s["end_to_end_s"] > 0]
            if here:
                xs.append(rate)
                ys.append(statistics.median(e["end_to_end_s"] / s["end_to_end_s"] for e, s in here))
                bs.append(statistics.median(e["lower_bound_s"] / s["end_to_end_s"] for e, s in here))
        if xs:
            right.plot(xs, ys, marker="o", color=COLOURS[mode], label=mode)
            right.plot(xs, bs, ls="--", color=COLOURS[mode], lw=1, label=f"{mode}: its bound")
    right.axhline(1.0, color=COLOURS["serial"], lw=1, label="serial")
    right.set(xscale="log", xlabel="tokens/s", ylabel="E2EL / serial E2EL (median over tasks)",
              title="Relative to serial")
    right.set_xticks(rates, [f"{r:g}" for r in rates])
    right.set_xticks([], minor=True)
    right.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    return path


def plot_bound_ratio(rows: Sequence[Row], path: Path) -> Path:
    """Measured E2EL / lower bound for every run, against the bound, with the 3 % + 20 ms goal."""
    fig = _figure(8, 4.8)
    ax = fig.subplots()
    for mode in MODES:
        group = [r for r in rows if r["mode"] == mode and r["bound_ratio"] is not None]
        for held, face in ((False, COLOURS[mode]), (True, "none")):
            part = [r for r in group if bool(r["held"]) == held]
            if part:
                label = mode + (" (statements held by the gate)" if held else "")
                ax.scatter([r["lower_bound_s"] for r in part], [r["bound_ratio"] for r in part], s=18,
                           facecolors=face, edgecolors=COLOURS[mode], label=label)
    bounds = [r["lower_bound_s"] for r in rows if r["lower_bound_s"] > 0]
    if bounds:
        lo, hi = min(bounds), max(bounds)
        xs = [lo * (hi / lo) ** (i / 50) for i in range(51)] if hi > lo else [lo]
        ax.plot(xs, [1.03 + 0.02 / x for x in xs], color="k", lw=1, ls="--", label="goal: 1.03 + 20 ms")
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set(xscale="log", xlabel="lower bound (s)", ylabel="measured E2EL / lower bound",
           title="Every run against its critical path")
    from matplotlib.ticker import ScalarFormatter

    for axis_formatter in (ax.xaxis.set_major_formatter, ax.xaxis.set_minor_formatter):
        axis_formatter(ScalarFormatter())
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    return path


def timeline_choice(rows: Sequence[Row], task: str | None = None) -> tuple[str, float] | None:
    """The timeline's run: ``task`` (default kmeans_clusters, else the first) at the middle rate."""
    names = [str(r["task"]) for r in rows]
    if not names:
        return None
    name = names[0]
    for wanted in (task, "kmeans_clusters"):
        if wanted in names:
            name = str(wanted)
            break
    rates = sorted({r["rate"] for r in rows if r["task"] == name})
    return name, rates[len(rates) // 2]


def plot_timeline(rows: Sequence[Row], task: str, rate: float, path: Path) -> Path | None:
    """Generation against execution per statement, one panel per mode, for one task and rate."""
    runs = {r["mode"]: r for r in rows if r["task"] == task and r["rate"] == rate and r.get("repeat", 0) == 0}
    modes = [m for m in MODES if m in runs]
    if not modes:
        return None
    n = max(len(runs[m]["statement_detail"]) for m in modes)
    fig = _figure(11, 1.2 + 0.22 * n * len(modes))
    axes = fig.subplots(len(modes), 1, sharex=True, squeeze=False)[:, 0]
    for ax, mode in zip(axes, modes, strict=True):
        run = runs[mode]
        prev = run["first_token_s"] or 0.0
        for s in run["statement_detail"]:
            y = s["index"]
            ax.barh(y, s["generated_at"] - prev, left=prev, height=0.8, color="0.85")
            prev = s["generated_at"]
            if mode != "serial" and s["started_at"] is not None and s["finished_at"] is not None:
                ax.barh(y, max(s["finished_at"] - s["started_at"], 0.004), left=s["started_at"], height=0.8,
                        color="tab:red" if s["status"] == "error" else COLOURS[mode],
                        hatch="//" if s["held"] else None)
            if s["released_at"] is not None and mode != "serial":
                ax.plot([s["released_at"]] * 2, [y - 0.4, y + 0.4], color="k", lw=0.8)
        if mode == "serial":
            ran = [s for s in run["statement_detail"] if s["started_at"] is not None]
            if ran:
                ax.axvspan(ran[0]["started_at"], max(s["finished_at"] or 0 for s in ran), color=COLOURS[mode],
                           alpha=0.5, label="the whole program runs")
        ax.axvline(run["generation_end_s"], color="k", ls=":", lw=1, label="generation ends")
        ax.axvline(run["end_to_end_s"], color="k", lw=1.2, label=f"end to end {run['end_to_end_s']:.2f} s")
        if mode != "serial":
            ax.axvline(run["lower_bound_s"], color="tab:green", ls="--", lw=1,
                       label=f"lower bound {run['lower_bound_s']:.2f} s")
        ax.invert_yaxis()
        ax.set(ylabel="statement", title=f"{task}, {mode}, {rate:g} tok/s (grey: generating, colour: running,"
               " tick: released)")
        ax.legend(loc="lower right", fontsize="small")
    axes[-1].set_xlabel("seconds since the request")
    fig.savefig(path, dpi=110)
    return path


def plot_all(rows: Sequence[Row], out: Path, timeline_task: str | None = None) -> list[Path]:
    """Every plot into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [
        plot_e2el_vs_rate(rows, out / "e2el_vs_rate.png"),
        plot_bound_ratio(rows, out / "bound_ratio.png"),
    ]
    choice = timeline_choice(rows, timeline_task)
    if choice is not None:
        task, rate = choice
        path = plot_timeline(rows, task, rate, out / f"timeline_{task}_{rate:g}.png")
        if path is not None:
            written.append(path)
    return written
