"""``eager-jupyter bench``: arguments, the run loop with progress, and the reports at the end.

Runs are ordered task by task, rate by rate, and the modes of one (task, rate) run back to back, so a
slow drift of the machine (others' jobs on a shared 2-core box) hits all modes of a comparison alike.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from .._version import __version__
from .corpus import QUICK_TASKS, Task, load_tasks
from .report import format_summary, summarise, write_json, write_markdown
from .runner import MODES, run_jobs, run_one

__all__ = ["main", "parser"]

DEFAULT_RATES = (20.0, 50.0, 100.0, 200.0)
QUICK_RATES = (100.0, 200.0)
Job = tuple[Task, float, int, str]  # task, rate, repeat, mode


def _floats(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"rates must be positive, not {text!r}")
    return values


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="eager-jupyter bench",
        description="Run the task corpus in fresh kernels (serial, eager, eager with the gate off) at "
        "several token rates; report E2EL, NEL, the paper's prediction and the critical-path bound.",
    )
    p.add_argument("--rates", type=_floats, help="tokens/s, comma-separated (default 20,50,100,200)")
    p.add_argument("--ttft", type=float, default=0.5, help="time to first token, seconds (default 0.5)")
    p.add_argument(
        "--modes", type=_names, default=list(MODES), help="serial,eager,eager-nogate (default: all)"
    )
    p.add_argument("--tasks", type=_names, help="task names, comma-separated (default: the whole corpus)")
    p.add_argument("--quick", action="store_true",
                   help=f"{len(QUICK_TASKS)} tasks at {','.join(f'{r:g}' for r in QUICK_RATES)} tok/s "
                   "(under 3 minutes)")
    p.add_argument("--repeat", type=int, default=1, help="runs of each (task, mode, rate) (default 1)")
    p.add_argument("--out", type=Path, default=Path("bench_output"),
                   help="directory for the Markdown report and the PNGs (default bench_output/)")
    p.add_argument("--json", type=Path, help="JSON report (default OUT/bench.json)")
    p.add_argument("--timeline", metavar="TASK", help="task for the timeline plot (default kmeans_clusters)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="BLAS/OpenMP threads in each kernel (default 1, steadier on a shared machine; "
                   "0 leaves the libraries' default)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNGs")
    p.add_argument("--revisions", action="store_true", help="the written revision traces instead of the "
                   "tasks (--tasks names traces): K in 0,8,32,128 x stop,rerun against serial")
    p.add_argument("--list", action="store_true", help="list the tasks and exit")
    p.add_argument("--agent", action="store_true",
                   help="written agent episodes (--tasks names them): the serial agent against eager, each "
                   "against its critical path (bench/agent_runs.py)")
    p.add_argument("--from-json", type=Path, nargs="+", metavar="FILE",
                   help="run nothing: merge these JSON reports (e.g. parts of a run split with --tasks) "
                   "and write the Markdown, the plots and the summary from them")
    return p


def _expected(task: Task, row: dict[str, Any]) -> bool:
    if task.expect == "ok":
        return bool(row["status"] == "ok")
    return row["status"] == "error" and task.expect in str(row.get("error") or "")


def _progress(i: int, n: int, row: dict[str, Any], ok: bool) -> str:
    ratio = f"x{row['bound_ratio']:.3f}" if row["bound_ratio"] is not None else "-"
    held = f" held {row['held']}" if row["held"] else ""
    flag = "" if ok else f"  UNEXPECTED ({row['status']}: {row.get('error')})"
    return (
        f"[{i:>3}/{n}] {row['task']:<22} {row['mode']:<12} {row['rate']:>5g} tok/s  "
        f"E2EL {row['end_to_end_s']:7.3f} s  bound {row['lower_bound_s']:7.3f} ({ratio})  "
        f"pred {row['predicted_s']:7.3f}  NEL {row['non_overlapped_s']:6.3f} s  "
        f"{row['status']}{held}  [{row['wall_s']:.1f} s]{flag}"
    )


def _merge(paths: list[Path]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    metas = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows += data["runs"]
        metas.append(data.get("meta", {}))
    meta = dict(metas[0]) if metas else {}
    meta["merged_from"] = [str(p) for p in paths]
    meta["wall_s"] = sum(float(m.get("wall_s", 0.0)) for m in metas)
    meta["problems"] = sum(int(m.get("problems", 0)) for m in metas)
    return rows, meta


def _report(rows: list[dict[str, Any]], meta: dict[str, Any], args: argparse.Namespace) -> None:
    json_path = args.json or args.out / "bench.json"
    write_json(json_path, rows, meta)
    write_markdown(args.out / "bench.md", rows, meta)
    written = [json_path, args.out / "bench.md"]
    if not args.no_plots and rows:
        from .plots import plot_all

        written += plot_all(rows, args.out, args.timeline)
    print()
    print(format_summary(summarise(rows)))
    print(f"wall time {meta.get('wall_s', 0.0):.0f} s; wrote {', '.join(str(p) for p in written)}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.revisions:
        from .revision_runs import main as revisions

        return revisions(args, args.rates or (QUICK_RATES if args.quick else DEFAULT_RATES), argv)
    if args.agent:
        from .agent_runs import main_agent

        return main_agent(args, argv if argv is not None else sys.argv[1:])
    if args.list:
        for t in load_tasks():
            print(f"{t.name:<24} {t.tokens:>4} tokens  expect {t.expect:<10} {t.style}: {t.title}")
        return 0
    if args.from_json:
        try:
            merged, merged_meta = _merge(args.from_json)
        except (OSError, ValueError, KeyError) as error:
            print(f"cannot read the JSON reports: {error}", file=sys.stderr)
            return 2
        _report(merged, merged_meta, args)
        return 0
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or args.repeat < 1:
        print(f"unknown mode(s) {unknown}; choose from {list(MODES)}" if unknown else "--repeat must be >= 1",
              file=sys.stderr)
        return 2
    rates = args.rates or list(QUICK_RATES if args.quick else DEFAULT_RATES)
    try:
        tasks = load_tasks(args.tasks or (list(QUICK_TASKS) if args.quick else None))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    jobs: list[Job] = [
        (t, r, k, m) for t in tasks for r in rates for k in range(args.repeat) for m in args.modes
    ]
    est = sum(args.ttft + t.tokens / r + 1.5 for t, r, _, _ in jobs)
    shape = f"{len(tasks)} tasks x {len(rates)} rates x {len(args.modes)} modes x {args.repeat}"
    print(f"eager-jupyter {__version__} bench: {shape} = {len(jobs)} runs, a fresh kernel each; "
          f"generation alone ~{est / 60:.0f} min", flush=True)
    def run(job: Job) -> dict[str, Any]:
        task, rate, repeat, mode = job
        return run_one(task, mode, rate, args.ttft, repeat, blas_threads=args.blas_threads).row

    done = run_jobs(
        jobs,
        run,
        name=lambda job: f"{job[0].name} {job[3]} {job[1]:g} tok/s",
        expected=lambda job, row: _expected(job[0], row),
        progress=_progress,
    )
    rows, problems, wall = done.rows, done.problems, done.wall_s
    meta = {
        "command": "eager-jupyter bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "version": __version__,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}",
        "ttft": args.ttft,
        "rates": rates,
        "modes": args.modes,
        "tasks": [t.name for t in tasks],
        "repeat": args.repeat,
        "blas_threads": args.blas_threads,
        "wall_s": wall,
        "problems": problems,
    }
    _report(rows, meta, args)
    if problems:
        print(f"{problems} run(s) failed or ended otherwise than their task expects", file=sys.stderr)
    return 1 if problems else 0
