"""``eager-jupyter bench --agent``: rows (``agent_runs.row_from_episode``) to a summary, JSON, Markdown
and one plot. An eager run is paired with the serial run of the same episode, rate, time to first
token and repeat; reductions read as in ``report`` (``(eager - serial) / serial``).

To validate a change: ``pytest tests/test_bench_agent.py``.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .numbers import largest, median, ms, pct, reduction, secs, smallest

__all__ = ["agent_pairs", "format_agent_summary", "plot_agent", "summarise_agent", "write_agent_reports"]

Row = dict[str, Any]


def agent_pairs(rows: Sequence[Row]) -> list[tuple[Row, Row]]:
    """(eager run, its serial run) for every eager run that has one."""
    def key(r: Row) -> tuple[Any, ...]:
        return r["episode"], r["rate"], r.get("ttft"), r.get("repeat", 0)

    serial = {key(r): r for r in rows if r["mode"] == "serial"}
    return [(r, serial[key(r)]) for r in rows if r["mode"] == "eager" and key(r) in serial]


def _group(rows: Sequence[Row], pairs: list[tuple[Row, Row]]) -> dict[str, Any]:
    eager = [e for e, _ in pairs] or [r for r in rows if r["mode"] == "eager"]
    reductions = [reduction(e["end_to_end_s"], s["end_to_end_s"]) for e, s in pairs]
    repaired = [e for e in eager if e["failed_steps"]]
    return {
        "eager_runs": len(eager),
        "e2e_serial_mean_s": statistics.mean(s["end_to_end_s"] for _, s in pairs) if pairs else None,
        "e2e_eager_mean_s": statistics.mean(e["end_to_end_s"] for e in eager) if eager else None,
        "bound_mean_s": statistics.mean(e["bound_s"] for e in eager) if eager else None,
        "e2e_reduction_median": median(reductions),
        "e2e_reduction_best": smallest(reductions),
        "e2e_reduction_worst": largest(reductions),
        "bound_reduction_median": median(reduction(e["bound_s"], s["end_to_end_s"]) for e, s in pairs),
        "worst_bound_ratio": largest(e["bound_ratio"] for e in eager),
        "overhead_per_step_median_s": median(e["overhead_per_step_s"] for e in eager),
        "overhead_per_step_max_s": largest(e["overhead_per_step_s"] for e in eager),
        "within_goal": sum(1 for e in eager if e["within_goal"]),
        "never_generated_share_median": median(
            e["tokens_never_generated"] / e["failed_step_tokens"] for e in repaired if e["failed_step_tokens"]
        ),
        "never_generated_tokens": sum(e["tokens_never_generated"] for e in repaired),
    }


def summarise_agent(rows: Sequence[Row]) -> dict[str, Any]:
    """Per rate and over all runs; clean episodes and episodes with a repair apart."""
    pairs = agent_pairs(rows)
    rates = sorted({r["rate"] for r in rows})
    return {
        "runs": len(rows),
        "episodes": len({r["episode"] for r in rows}),
        "rates": rates,
        "all": _group(rows, pairs),
        "clean": _group([], [(e, s) for e, s in pairs if not e["failed_steps"]]),
        "repair": _group([], [(e, s) for e, s in pairs if e["failed_steps"]]),
        "by_rate": {f"{rate:g}": _group([r for r in rows if r["rate"] == rate],
                                        [(e, s) for e, s in pairs if e["rate"] == rate]) for rate in rates},
        "kernel_start_median_s": median(r.get("kernel_start_s") for r in rows),
    }


def format_agent_summary(summary: dict[str, Any]) -> str:
    a, c, r = summary["all"], summary["clean"], summary["repair"]
    lines = [
        f"{summary['runs']} runs, {summary['episodes']} episodes, rates {summary['rates']} tok/s",
        f"  eager within 1.03 x bound + 20 ms/step: {a['within_goal']}/{a['eager_runs']}; "
        f"worst measured/bound {secs(a['worst_bound_ratio'])}; beyond the bound per step: median "
        f"{ms(a['overhead_per_step_median_s'])}, worst {ms(a['overhead_per_step_max_s'])}",
        f"  episode E2E vs the serial agent: median {pct(a['e2e_reduction_median'])} (the bound allows "
        f"{pct(a['bound_reduction_median'])}), best {pct(a['e2e_reduction_best'])}, worst "
        f"{pct(a['e2e_reduction_worst'])}",
        f"    episodes that end well: median {pct(c['e2e_reduction_median'])}; with a failing step and "
        f"its repair: median {pct(r['e2e_reduction_median'])}, best {pct(r['e2e_reduction_best'])}",
        f"  early repair: {r['never_generated_tokens']} tokens never generated over "
        f"{r['eager_runs']} runs, a median "
        f"{pct(r['never_generated_share_median']).lstrip('+')} of the failing step's tool input",
    ]
    for rate, g in summary["by_rate"].items():
        lines.append(
            f"  {rate:>4} tok/s: serial {secs(g['e2e_serial_mean_s'], 2)} s, "
            f"eager {secs(g['e2e_eager_mean_s'], 2)} s "
            f"(bound {secs(g['bound_mean_s'], 2)} s) mean; median {pct(g['e2e_reduction_median'])}; "
            f"within goal {g['within_goal']}/{g['eager_runs']}, worst ratio {secs(g['worst_bound_ratio'])}"
        )
    return "\n".join(lines)


def _markdown(rows: Sequence[Row], meta: dict[str, Any], summary: dict[str, Any]) -> str:
    lines = [
        "# Agent benchmark (written episodes)",
        "",
        f"{meta.get('command', '')}  ",
        f"{summary['runs']} runs over {summary['episodes']} episodes written by hand (origin \"written\": "
        "replays that cannot react to different outputs) at "
        f"{summary['rates']} tokens/s, {meta.get('ttft', '-')} s to each step's first token; "
        f"{meta.get('machine', '')}; load {meta.get('load', '-')}",
        "",
        "```",
        format_agent_summary(summary),
        "```",
        "",
        "| Rate | Serial agent E2E (mean s) | Eager E2E (mean s) | Bound (mean s) | Median vs serial |"
        " Worst E2E/bound | Within goal |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rate, g in summary["by_rate"].items():
        lines.append(
            f"| {rate} | {secs(g['e2e_serial_mean_s'], 2)} | {secs(g['e2e_eager_mean_s'], 2)} | "
            f"{secs(g['bound_mean_s'], 2)} | {pct(g['e2e_reduction_median'])} | "
            f"{secs(g['worst_bound_ratio'])} | {g['within_goal']}/{g['eager_runs']} |"
        )
    lines += [
        "",
        "## Every run",
        "",
        "| Episode | Mode | Rate | Steps | Failed steps | Status | E2E (s) | Bound (s) | Ratio | Goal | "
        "Tokens never generated |",
        "|---|---|---:|---:|---|---|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        goal = "-" if r["within_goal"] is None else ("yes" if r["within_goal"] else "NO")
        lines.append(
            f"| {r['episode']} | {r['mode']} | {r['rate']:g} | {r['steps']} | "
            f"{','.join(map(str, r['failed_steps'])) or '-'} | {r['status']} | {r['end_to_end_s']:.3f} | "
            f"{secs(r['bound_s'])} | {secs(r['bound_ratio'])} | {goal} | "
            f"{r['tokens_never_generated']}/{r['tokens_total']} |"
        )
    return "\n".join(lines) + "\n"


def plot_agent(rows: Sequence[Row], path: Path) -> Path:
    """Mean episode E2E against rate: the serial agent, eager, and eager's bound."""
    from .plots import COLOURS, _figure

    fig = _figure(7, 4.2)
    ax = fig.subplots()
    rates = sorted({r["rate"] for r in rows})
    for mode, key, style in (("serial", "end_to_end_s", "-"), ("eager", "end_to_end_s", "-"),
                             ("eager", "bound_s", "--")):
        xs = [x for x in rates if any(r["mode"] == mode and r["rate"] == x for r in rows)]
        ys = [statistics.mean(r[key] for r in rows if r["mode"] == mode and r["rate"] == x) for x in xs]
        label = f"{mode} agent" if key == "end_to_end_s" else "eager: its critical-path bound"
        ax.plot(xs, ys, style, marker="o" if style == "-" else None, color=COLOURS[mode], label=label)
    ax.set(xscale="log", xlabel="tokens/s", ylabel="mean episode end-to-end (s)",
           title="Agent episodes (written traces) against rate")
    ax.set_xticks(rates, [f"{r:g}" for r in rates])
    ax.set_xticks([], minor=True)
    ax.legend()
    fig.savefig(path, dpi=110)
    return path


def write_agent_reports(
    rows: Sequence[Row], meta: dict[str, Any], out: Path, *, json_path: Path | None = None, plots: bool = True
) -> list[Path]:
    """``bench_agent.json``, ``bench_agent.md`` and (``plots``) ``bench_agent.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise_agent(rows)
    json_path = json_path or out / "bench_agent.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({"meta": meta, "summary": summary, "runs": list(rows)}, indent=1) + "\n",
                         encoding="utf-8")
    md = out / "bench_agent.md"
    md.write_text(_markdown(rows, meta, summary), encoding="utf-8")
    written = [json_path, md]
    if plots and rows:
        written.append(plot_agent(rows, out / "bench_agent.png"))
    return written
