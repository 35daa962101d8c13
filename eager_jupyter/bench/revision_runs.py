"""``eager-jupyter bench --revisions``: the written revision traces (``revision_traces``) replayed in
fresh kernels at several rates, for each revision window K and each ``on_revision`` policy, against
serial; the rows, the table, the plots.

A run replays one trace (written at the run's rate into the output directory, ``traces/RATE/``) with
``%%eager --replay-trace FILE --hold-tokens K --on-revision POLICY`` (or ``--serial``), in a fresh
kernel as ``runner.run_cell`` starts it, with the files the traces read in its working directory. The
runs of one (trace, rate) go back to back: serial, then every (policy, K), so a drift of the shared
machine hits all of a comparison alike. Every figure comes from the run's record:

- ``end_to_end_s``: the engine's own clock, request to last output (``latency.analyse``);
- ``reruns``: statements run again after a revision (``rerun_of`` set);
- ``withdrawn``: statements released, then revised before they started (never ran);
- ``revised_after_run``: statements that had run when a revision touched them (``stop`` fails the
  run on the first: ``stopped``). A serial run counts every statement a revision touched as
  withdrawn: nothing runs before generation ends.

The table compares a (policy, K) with serial on the runs that completed (a stopped run has no
end-to-end to compare). Validate a change with ``pytest tests/test_bench_revisions.py``; the full run
is ``eager-jupyter bench --revisions`` (``--tasks`` picks traces, ``--rates`` rates).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..latency import analyse
from .revision_traces import FILES, TRACES, RevisionTrace, write_trace
from .runner import run_cell, run_jobs

__all__ = ["HOLDS", "POLICIES", "main", "revision_row", "run_revision", "table"]

Row = dict[str, Any]
HOLDS = (0, 8, 32, 128)
POLICIES = ("stop", "rerun")


def cell_for(path: Path, hold: int | None, policy: str | None) -> str:
    """The timed cell: serial when ``hold`` is None."""
    options = "--serial" if hold is None else f"--hold-tokens {hold} --on-revision {policy}"
    return f"%%eager --replay-trace {json.dumps(str(path))} {options} --view plain\n"


def revision_row(record: dict[str, Any], *, trace: RevisionTrace, rate: float, hold: int | None,
                 policy: str | None) -> Row:
    """One row: identity, the latency figures, and the revision counts, all from ``record``."""
    statements = record.get("statements", [])
    revised = [s for s in statements if s.get("revised")]
    after_run = sum(1 for s in revised if s.get("started_at") is not None)
    return {
        "trace": trace.name,
        "origin": "written",
        "rate": rate,
        "mode": "serial" if hold is None else "eager",
        "hold_tokens": hold,
        "policy": policy,
        "status": record.get("status"),
        "error": record.get("error"),
        "tokens_total": trace.tokens,
        "revisions": len(record.get("revisions", [])),
        "reruns": sum(1 for s in statements if s.get("rerun_of") is not None),
        "withdrawn": sum(1 for s in revised if s.get("started_at") is None),
        "revised_after_run": after_run,
        "stopped": policy == "stop" and after_run > 0 and record.get("status") == "error",
        **analyse(record).to_dict(),
    }


def run_revision(trace: RevisionTrace, rate: float, hold: int | None, policy: str | None, *,
                 directory: Path, blas_threads: int = 1) -> tuple[Row, dict[str, Any]]:
    """Replay ``trace`` at ``rate`` once in a fresh kernel: its row and the raw record."""
    path = directory / f"{rate:g}" / f"{trace.name}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_trace(trace, path, rate)
    budget = 2 * trace.tokens / rate + 120.0
    wall0 = time.perf_counter()
    run = run_cell(cell_for(path.resolve(), hold, policy), budget, blas_threads=blas_threads, files=FILES)
    record = run.record
    row = revision_row(record, trace=trace, rate=rate, hold=hold, policy=policy)
    row.update(cell_status=run.reply.get("status"), cell_error=run.reply.get("ename"),
               kernel_start_s=run.kernel_start_s,
               wall_s=time.perf_counter() - wall0)
    return row, record


# ---- the report -------------------------------------------------------------------------------
def _serial(rows: Sequence[Row]) -> dict[tuple[str, float], Row]:
    return {(r["trace"], r["rate"]): r for r in rows if r["mode"] == "serial" and r["status"] == "ok"}


def table(rows: Sequence[Row]) -> list[Row]:
    """One line per (policy, K, rate): E2E against serial on completed runs, and the counts."""
    serial = _serial(rows)
    out = []
    keys = sorted({(r["policy"], r["hold_tokens"], r["rate"]) for r in rows if r["mode"] == "eager"})
    for policy, hold, rate in keys:
        group = [r for r in rows if (r["policy"], r["hold_tokens"], r["rate"]) == (policy, hold, rate)]
        done = [r for r in group if r["status"] == "ok" and (r["trace"], rate) in serial]
        e2e = [r["end_to_end_s"] for r in done]
        base = [serial[(r["trace"], rate)]["end_to_end_s"] for r in done]
        out.append({
            "policy": policy, "hold_tokens": hold, "rate": rate, "runs": len(group),
            "completed": len(done), "stopped": sum(r["stopped"] for r in group),
            "e2e_mean_s": statistics.mean(e2e) if e2e else None,
            "serial_mean_s": statistics.mean(base) if base else None,
            "vs_serial": sum(e2e) / sum(base) - 1 if base and sum(base) > 0 else None,
            "reruns": sum(r["reruns"] for r in group),
            "withdrawn": sum(r["withdrawn"] for r in group),
            "revised_after_run": sum(r["revised_after_run"] for r in group),
        })
    return out


def _f(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def format_table(lines: Sequence[Row]) -> str:
    head = ("| policy | K | tok/s | completed | stopped | E2E mean s | serial mean s | vs serial | "
            "reruns | withdrawn | revised after run |")
    out = [head, "|---" * (head.count("|") - 1) + "|"]
    for x in lines:
        out.append(
            f"| {x['policy']} | {x['hold_tokens']} | {x['rate']:g} | {x['completed']}/{x['runs']} | "
            f"{x['stopped']} | {_f(x['e2e_mean_s'], '.3f')} | {_f(x['serial_mean_s'], '.3f')} | "
            f"{'-' if x['vs_serial'] is None else format(100 * x['vs_serial'], '+.1f') + ' %'} | "
            f"{x['reruns']} | "
            f"{x['withdrawn']} | {x['revised_after_run']} |"
        )
    return "\n".join(out)


def plot(rows: Sequence[Row], path: Path) -> Path:
    """Left: E2E / serial against K (completed runs), per rate and policy; right: reruns and
    statements withdrawn before running (rerun), and runs stopped (stop), against K, per rate."""
    from .plots import _figure

    lines = table(rows)
    fig = _figure(11, 4.2)
    left, right = fig.subplots(1, 2)
    rates = sorted({x["rate"] for x in lines})
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for i, rate in enumerate(rates):
        colour = colours[i % len(colours)]
        for policy, style in (("rerun", "-"), ("stop", ":")):
            pts = [(x["hold_tokens"], x["vs_serial"], x["reruns"], x["withdrawn"]) for x in lines
                   if x["rate"] == rate and x["policy"] == policy]
            ks = [p[0] for p in pts if p[1] is not None]
            left.plot(ks, [1 + p[1] for p in pts if p[1] is not None], style, marker="o", color=colour,
                      label=f"{rate:g} tok/s {policy}")
            if policy == "stop":
                right.plot([p[0] for p in pts], [x["stopped"] for x in lines
                           if x["rate"] == rate and x["policy"] == policy], ":", marker="s", color=colour,
                           label=f"{rate:g} tok/s runs stopped (stop)")
            else:
                right.plot([p[0] for p in pts], [p[2] for p in pts], "-", marker="o", color=colour,
                           label=f"{rate:g} tok/s reruns")
                right.plot([p[0] for p in pts], [p[3] for p in pts], "--", marker="x", color=colour,
                           label=f"{rate:g} tok/s withdrawn")
    for ax in (left, right):
        ax.set_xscale("symlog", linthresh=8)
        ax.set_xticks(list(HOLDS), [str(k) for k in HOLDS])
        ax.set_xlabel("revision window K (hold tokens)")
        ax.grid(alpha=0.3)
    left.axhline(1.0, color="grey", lw=0.8)
    left.set_ylabel("E2E / serial (completed runs)")
    left.set_title("End-to-end against serial (written traces)")
    right.set_ylabel("statements, all traces")
    right.set_title("Reruns, withdrawals (rerun), runs stopped (stop)")
    left.legend(fontsize=7, ncol=2)
    right.legend(fontsize=7, ncol=2)
    fig.savefig(path, dpi=110)
    return path


def _progress(i: int, n: int, row: Row) -> str:
    what = "serial" if row["mode"] == "serial" else f"K={row['hold_tokens']:<3} {row['policy']:<5}"
    return (f"[{i:>3}/{n}] {row['trace']:<14} {row['rate']:>5g} tok/s {what:<11} "
            f"E2E {row['end_to_end_s']:7.3f} s  reruns {row['reruns']} withdrawn {row['withdrawn']} "
            f"{'stopped' if row['stopped'] else row['status']}  [{row['wall_s']:.1f} s]")


def main(args: argparse.Namespace, rates: Sequence[float], argv: Sequence[str] | None = None) -> int:
    """Run the revision bench as ``eager-jupyter bench --revisions`` parsed it."""
    known = {t.name: t for t in TRACES}
    names = args.tasks or list(known)
    if unknown := [n for n in names if n not in known]:
        print(f"unknown revision trace(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    traces = [known[n] for n in names]
    configs: list[tuple[int | None, str | None]] = [(None, None)]
    configs += [(k, p) for p in POLICIES for k in HOLDS]
    jobs = [(t, r, k, p) for t in traces for r in rates for _ in range(args.repeat) for k, p in configs]
    print(f"eager-jupyter {__version__} bench --revisions: {len(traces)} written traces x {len(rates)} "
          f"rates x {len(configs)} (serial, K in {HOLDS} x {POLICIES}) = {len(jobs)} runs, a fresh kernel "
          "each", flush=True)
    def run(job: tuple[RevisionTrace, float, int | None, str | None]) -> Row:
        trace, rate, hold, policy = job
        return run_revision(trace, rate, hold, policy, directory=args.out / "traces",
                            blas_threads=args.blas_threads)[0]

    done = run_jobs(
        jobs,
        run,
        name=lambda job: f"{job[0].name} {job[1]:g} K={job[2]} {job[3]}",
        expected=lambda job, row: row["status"] == "ok" or (job[3] == "stop" and bool(row["stopped"])),
        progress=lambda i, n, row, ok: _progress(i, n, row),
    )
    rows, problems = done.rows, done.problems
    meta = {
        "command": "eager-jupyter bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "version": __version__,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": os.getloadavg(),
        "origin": "written",
        "traces": names, "rates": list(rates), "holds": list(HOLDS), "policies": list(POLICIES),
        "wall_s": done.wall_s,
        "problems": problems,
    }
    lines = table(rows)
    text = format_table(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "table": lines, "runs": rows}
    (args.json or args.out / "revisions.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    md = args.out / "revisions.md"
    md.write_text(f"# Revision bench (written traces)\n\n`{meta['command']}`, {meta['date']}, "
                  f"{meta['machine']}, load {meta['load']}\n\n{text}\n", encoding="utf-8")
    written = [md]
    if not args.no_plots and rows:
        written.append(plot(rows, args.out / "revisions_vs_k.png"))
    print()
    print(text)
    print(f"wall time {meta['wall_s']:.0f} s; load {meta['load']}; wrote {', '.join(map(str, written))}")
    if problems:
        print(f"{problems} run(s) failed or ended otherwise than completing (or stopping)", file=sys.stderr)
    return 1 if problems else 0
