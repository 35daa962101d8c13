"""``eager-jupyter bench --agent``: written agent episodes replayed in fresh kernels, the serial agent
(``--serial --agent``: each step generated in full, then run as one cell) against eager, at several
rates, and each eager episode against its critical path.

The episodes are ``episodes/*.jsonl``, written by hand (``"origin": "written"``; sources and generator
in ``episodes/``) at one rate; ``retime`` rescales a copy for each rate and time to first token. A run
is ``runner.run_cell``: a fresh kernel, ``%%eager --replay-trace COPY [--serial] --view plain``, the
record. A replay streams what the model wrote whatever ran, so its repair steps fit the failures the
written code really has (the benchmark checks that the failing steps are the expected ones).

The bound of an episode (``episode_bound``), from the record: step ``k``'s request leaves when step
``k-1`` ends (at 0 for the first) and pays that step's own time to its first token and generation
(each statement's ``generated_at - requested_at``); within a step ``t = max(t, gen_i) + run_i`` over
the statements that ran, in order (a statement the gate held is available no earlier than its step's
generation end); a step ends at ``max(t, its generation end)``, or at ``t`` when a statement failed
(early repair: the stream was closed, the request leaves at once). No implementation can do better
with these run times. Goal: ``end_to_end <= 1.03 * bound + 20 ms * steps`` for every eager episode.

Tokens never generated: for a step whose stream a failure closed, the tokens (``split_tokens``) of
the tool input the replay never streamed (the step's written code minus the code the record has).

To validate a change: ``pytest tests/test_bench_agent.py`` (one episode, both modes, real kernels).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from ..agent.trace import Step, read_episode
from ..sources.replay import split_tokens
from .runner import RunOutcome, run_cell, run_jobs

__all__ = [
    "AGENT_MODES",
    "EPISODE_DIR",
    "QUICK_EPISODES",
    "EpisodeFile",
    "agent_cell",
    "episode_bound",
    "load_episodes",
    "main_agent",
    "retime",
    "row_from_episode",
    "run_episode",
]

AGENT_MODES: dict[str, str] = {"serial": "--serial", "eager": ""}
EPISODE_DIR = Path(__file__).with_name("episodes")
#: ``--quick --agent``: an episode that ends well and one with a repair
QUICK_EPISODES = ("sales_growth", "churn_repair")
GOAL_FACTOR, STEP_SLACK_S = 1.03, 0.020

Row = dict[str, Any]


@dataclass(frozen=True)
class EpisodeFile:
    name: str
    path: Path
    header: dict[str, Any]
    steps: list[Step]

    @property
    def title(self) -> str:
        return str(self.header.get("title", ""))

    @property
    def repairs(self) -> int:
        return int(self.header.get("repairs", 0))

    @cached_property
    def step_tokens(self) -> list[int]:
        """Each step's output tokens, as its end line says."""
        return [
            sum(int(line.get("usage", {}).get("output_tokens", 0)) for line in step if "step_end" in line)
            for step in self.steps
        ]

    def step_code(self, k: int) -> str:
        """Step ``k``'s (1-based) code as written: its tool calls' code, joined as ``AgentReply`` joins it."""
        calls: list[list[str]] = []
        for line in self.steps[k - 1]:
            if line.get("block") == "tool_use":
                calls.append([])
            elif "json" in line and calls:
                calls[-1].append(str(line["json"]))
        code = ""
        for pieces in calls:
            text = str(json.loads("".join(pieces)).get("code", ""))
            if code and text and not code.endswith("\n"):
                code += "\n"
            code += text
        return code


def load_episodes(names: Sequence[str] | None = None, directory: Path = EPISODE_DIR) -> list[EpisodeFile]:
    """Every episode (sorted by name), or the named ones in the order given."""
    available = {p.stem: p for p in sorted(directory.glob("*.jsonl"))}
    unknown = [n for n in names or () if n not in available]
    if unknown:
        raise ValueError(f"unknown episode(s): {', '.join(unknown)}; known: {', '.join(available)}")
    out = []
    for name in names if names is not None else list(available):
        header, steps = read_episode(available[name])
        out.append(EpisodeFile(name, available[name], header, steps))
    return out


def retime(episode: EpisodeFile, rate: float, ttft: float, path: Path) -> Path:
    """A copy of ``episode`` at ``rate`` tokens/s and ``ttft`` s to each step's first token (the written
    trace streams at a constant rate, so times rescale exactly)."""
    rate0, ttft0 = float(episode.header["rate"]), float(episode.header["ttft"])

    def at(t: float) -> float:
        return round(ttft + max(0.0, t - ttft0) * rate0 / rate, 4)

    lines: list[dict[str, Any]] = [{**episode.header, "rate": rate, "ttft": ttft, "retimed_from": rate0}]
    for number, step in enumerate(episode.steps, start=1):
        lines.append({"step": number})
        for line in step:
            line = dict(line)
            for key in ("t", "step_end"):
                if key in line:
                    line[key] = at(float(line[key]))
            lines.append(line)
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def agent_cell(path: Path, mode: str) -> str:
    line = f"%%eager --replay-trace {shlex.quote(str(path))} {AGENT_MODES[mode]} --view plain"
    return " ".join(line.split()) + "\n"


def _f(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def episode_bound(record: Mapping[str, Any]) -> tuple[float, list[float]]:
    """The episode's critical path (see the module docstring): its end, and where each step ends."""
    statements = {s["index"]: s for s in record.get("statements", [])}
    t_end, ends = 0.0, []
    for step in record.get("steps", []):
        request, gen_done = _f(step.get("requested_at")), step.get("generation_done_at")
        gen = t_end + (_f(gen_done) - request) if gen_done is not None else t_end
        t, failed = t_end, False
        ran = [statements[i] for i in step.get("statements", []) if i in statements]
        ran = [s for s in ran if s.get("started_at") is not None and s.get("finished_at") is not None]
        for s in sorted(ran, key=lambda s: (_f(s["started_at"]), s["index"])):
            ready = t_end + _f(s.get("generated_at")) - request
            if s.get("held_reason") is not None:
                ready = max(ready, gen)
            t = max(t, ready) + _f(s["finished_at"]) - _f(s["started_at"])
            failed = failed or s.get("status") == "error"
        t_end = t if failed else max(t, gen)
        ends.append(t_end)
    return t_end, ends


def _failed_steps(record: Mapping[str, Any]) -> list[int]:
    errors = {s["index"] for s in record.get("statements", []) if s.get("status") == "error"}
    return [int(st["step"]) for st in record.get("steps", []) if errors & set(st.get("statements", []))]


def row_from_episode(
    record: Mapping[str, Any], *, episode: EpisodeFile, mode: str, rate: float, ttft: float, repeat: int = 0
) -> Row:
    """One row of the report: identity, E2E, the bound (eager), tokens, and each step's times."""
    steps = record.get("steps", [])
    e2e = _f(record.get("end_to_end"))
    failed = _failed_steps(record)
    never = 0
    for k in failed:
        written, streamed = episode.step_code(k), str(steps[k - 1].get("code", ""))
        never += len(split_tokens(written[len(streamed):]))  # the streamed code is a prefix
    failed_tokens = sum(len(split_tokens(episode.step_code(k))) for k in failed)
    bound, ends = episode_bound(record) if mode == "eager" else (None, [])
    goal = GOAL_FACTOR * bound + STEP_SLACK_S * len(steps) if bound is not None else None
    statements = {s["index"]: s for s in record.get("statements", [])}
    detail = [
        {
            **{k: st.get(k) for k in ("step", "requested_at", "first_token_at", "generation_done_at",
                                      "finished_at")},
            "bound_end_s": ends[i] if i < len(ends) else None,
            "statements": [
                {k: statements[j].get(k) for k in ("index", "status", "generated_at", "started_at",
                                                    "finished_at")}
                for j in st.get("statements", []) if j in statements
            ],
        }
        for i, st in enumerate(steps)
    ]
    return {
        "episode": episode.name,
        "mode": mode,
        "rate": rate,
        "ttft": ttft,
        "repeat": repeat,
        "origin": episode.header.get("origin"),
        "status": record.get("status"),
        "error": record.get("error"),
        "steps": len(steps),
        "failed_steps": failed,
        "repairs_expected": episode.repairs,
        "end_to_end_s": e2e,
        "bound_s": bound,
        "bound_ratio": e2e / bound if bound else None,
        "goal_s": goal,
        "within_goal": e2e <= goal if goal is not None else None,
        "overhead_per_step_s": (e2e - bound) / len(steps) if bound is not None and steps else None,
        "run_total_s": sum(_f(s.get("run_s")) for s in statements.values() if mode == "eager"),
        "tokens_total": sum(episode.step_tokens),
        "tokens_never_generated": never,
        "failed_step_tokens": failed_tokens,
        "step_detail": detail,
    }


def run_episode(
    episode: EpisodeFile, mode: str, rate: float, ttft: float, repeat: int = 0, *, blas_threads: int = 1
) -> RunOutcome:
    """``episode`` once in a fresh kernel at ``rate``: its row and its record."""
    wall0 = time.perf_counter()
    budget = len(episode.steps) * (ttft + 60.0) + sum(episode.step_tokens) / rate + 300.0
    with tempfile.TemporaryDirectory(prefix="eager-bench-agent-") as cwd:
        path = retime(episode, rate, ttft, Path(cwd) / f"{episode.name}.jsonl")
        run = run_cell(agent_cell(path, mode), budget, blas_threads=blas_threads, cwd=cwd)
    row = row_from_episode(run.record, episode=episode, mode=mode, rate=rate, ttft=ttft, repeat=repeat)
    row.update(cell_status=run.reply.get("status"), cell_error=run.reply.get("ename"),
               outputs=run.outputs, kernel_start_s=run.kernel_start_s, wall_s=time.perf_counter() - wall0)
    return RunOutcome(row, run.record)


def _progress(i: int, n: int, row: Row, ok: bool) -> str:
    bound = "" if row["bound_s"] is None else (
        f"  bound {row['bound_s']:7.3f} (x{row['bound_ratio']:.3f}{'' if row['within_goal'] else ' OVER'})"
    )
    never = f"  never generated {row['tokens_never_generated']}" if row["failed_steps"] else ""
    flag = "" if ok else f"  UNEXPECTED ({row['status']}: {row['error']}; failed steps {row['failed_steps']})"
    return (f"[{i:>3}/{n}] {row['episode']:<18} {row['mode']:<7} {row['rate']:>5g} tok/s  "
            f"{row['steps']} steps  E2E {row['end_to_end_s']:7.3f} s{bound}{never}  "
            f"[{row['wall_s']:.1f} s]{flag}")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "-"


def main_agent(args: Any, argv: Sequence[str]) -> int:
    """``eager-jupyter bench --agent``: ``args`` parsed by ``cli.parser`` (``--tasks`` names episodes)."""
    from .._version import __version__
    from .agent_report import format_agent_summary, summarise_agent, write_agent_reports

    try:
        episodes = load_episodes(args.tasks or (list(QUICK_EPISODES) if args.quick else None))
    except (ValueError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.list:
        for e in episodes:
            print(f"{e.name:<20} {len(e.steps)} steps {sum(e.step_tokens):>4} tokens  repairs {e.repairs}  "
                  f"{e.header.get('origin')}: {e.title}")
        return 0
    rates = args.rates or ([100.0, 200.0] if args.quick else [20.0, 50.0, 100.0, 200.0])
    jobs = [(e, r, k, m) for e in episodes for r in rates for k in range(args.repeat) for m in AGENT_MODES]
    print(f"eager-jupyter {__version__} bench --agent: {len(episodes)} written episodes x {len(rates)} "
          f"rates x {len(AGENT_MODES)} modes x {args.repeat} = {len(jobs)} runs, a fresh kernel each; "
          f"load {_load()}",
          flush=True)
    def run(job: tuple[EpisodeFile, float, int, str]) -> Row:
        episode, rate, repeat, mode = job
        return run_episode(episode, mode, rate, args.ttft, repeat, blas_threads=args.blas_threads).row

    done = run_jobs(
        jobs,
        run,
        name=lambda job: f"{job[0].name} {job[3]} {job[1]:g} tok/s",
        expected=lambda job, row: row["status"] == "ok" and len(row["failed_steps"]) == job[0].repairs,
        progress=_progress,
    )
    rows, problems = done.rows, done.problems
    meta = {
        "command": "eager-jupyter bench " + " ".join(argv),
        "version": __version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": _load(),
        "ttft": args.ttft,
        "rates": rates,
        "episodes": [e.name for e in episodes],
        "repeat": args.repeat,
        "blas_threads": args.blas_threads,
        "wall_s": done.wall_s,
        "problems": problems,
    }
    written = write_agent_reports(rows, meta, args.out, json_path=args.json, plots=not args.no_plots)
    print()
    print(format_agent_summary(summarise_agent(rows)))
    print(f"wall time {meta['wall_s']:.0f} s, load {meta['load']}; wrote {', '.join(map(str, written))}")
    return 1 if problems else 0
