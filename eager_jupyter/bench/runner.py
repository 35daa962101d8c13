"""Run one task in one mode at one rate in a fresh Jupyter kernel, and turn its record into a row.

Kernels. Every run gets its own kernel (jupyter_client ``KernelManager``), started right before the
run and shut down right after, in a temporary working directory. Reusing a kernel across rates would
need a restart anyway (a task's imports, caches and variables must not carry over: the first
``import pandas`` alone is ~0.4 s of the first statement), and a restart costs what a start costs.
Starting the next kernel in the background while a run is measured would take CPU from that run on a
2-core machine, so starts are sequential; their cost is reported (``kernel_start_s``), not hidden.

BLAS threads. Kernels get ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` = 1 by
default (``--blas-threads``). On a shared 2-core machine a multi-threaded matrix product whose other
core is taken slows down two- to three-fold from one run to the next; single-threaded, the same
statement's run time is far steadier, and the replay producer keeps a core.

A run is three executions in the kernel: ``%load_ext eager_jupyter``; the timed cell
``%%eager --replay TASK --rate R --ttft T [--serial] [--gate off] --view plain``; and a query that
prints ``_eager.to_dict()`` as JSON. All times in the row come from that record (the engine's own
clock, seconds since the request), so kernel start-up and message round trips are outside them.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..latency import analyse
from ..sources.replay import split_tokens
from .corpus import Task

__all__ = [
    "MODES",
    "CellRun",
    "JobsDone",
    "Kernel",
    "RunOutcome",
    "cell_for",
    "row_from_record",
    "run_cell",
    "run_jobs",
    "run_one",
]

J = TypeVar("J")

#: benchmark mode -> the options it adds to ``%%eager``
MODES: dict[str, str] = {"serial": "--serial", "eager": "", "eager-nogate": "--gate off"}

_RECORD_QUERY = "import json as _bench_json; print(_bench_json.dumps(_eager.to_dict()))"


class Kernel:
    """A fresh IPython kernel in its own working directory; a context manager."""

    def __init__(self, cwd: str, startup_timeout: float = 60.0, blas_threads: int = 1) -> None:
        from jupyter_client.manager import KernelManager

        self.start_s = 0.0
        self._threads = blas_threads
        self._cwd = cwd
        self._timeout = startup_timeout
        # IPC sockets in the run's own directory: local, and no warning about unencrypted TCP
        self._km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(cwd, "kernel"))
        self._kc: Any = None

    def __enter__(self) -> Kernel:
        t0 = time.perf_counter()
        env = dict(os.environ)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warning on stderr
        # figures as in a notebook, whatever the caller's environment says (CI often sets Agg)
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        if self._threads > 0:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env[name] = str(self._threads)
        self._km.start_kernel(cwd=self._cwd, env=env)
        self._kc = self._km.client()
        self._kc.start_channels()
        try:
            self._kc.wait_for_ready(timeout=self._timeout)
        except BaseException:
            self.__exit__()
            raise
        self.start_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc: object) -> None:
        if self._kc is not None:
            self._kc.stop_channels()
        self._km.shutdown_kernel(now=True)

    def execute(self, code: str, timeout: float) -> tuple[dict[str, Any], dict[str, int], str]:
        """Run ``code``; returns the reply's content, a count of output messages by type, and stdout."""
        counts: dict[str, int] = {}
        stdout: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            kind = msg["msg_type"]
            if kind in ("status", "execute_input"):
                return
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "stream" and msg["content"].get("name") == "stdout":
                stdout.append(msg["content"].get("text", ""))

        reply = self._kc.execute_interactive(code, timeout=timeout, output_hook=hook, allow_stdin=False)
        return reply["content"], counts, "".join(stdout)


def cell_for(task: Task, mode: str, rate: float, ttft: float) -> str:
    """The timed cell for one run."""
    path = shlex.quote(str(task.path))
    line = f"%%eager --replay {path} --rate {rate:g} --ttft {ttft:g} {MODES[mode]} --view plain"
    return " ".join(line.split()) + "\n"


def row_from_record(
    record: Mapping[str, Any], *, task: Task, mode: str, rate: float, ttft: float, repeat: int = 0
) -> dict[str, Any]:
    """One row of the JSON report: identity, every figure of :func:`analyse`, and the detail."""
    figures = analyse(record).to_dict()
    generated = len(split_tokens(str(record.get("code", ""))))
    statements = [
        {
            "index": s.get("index"),
            "line": s.get("start_line"),
            "status": s.get("status"),
            "generated_at": s.get("generated_at"),
            "released_at": s.get("released_at"),
            "started_at": s.get("started_at"),
            "finished_at": s.get("finished_at"),
            "batch": s.get("batch"),
            "held": s.get("held_reason") is not None,
        }
        for s in record.get("statements", [])
    ]
    return {
        "task": task.name,
        "mode": mode,
        "rate": rate,
        "ttft": ttft,
        "repeat": repeat,
        "expect": task.expect,
        "status": record.get("status"),
        "error": record.get("error"),
        "generation_stopped": bool(record.get("generation_stopped")),
        "tokens_total": task.tokens,
        "tokens_generated": min(generated, task.tokens),
        **figures,
        "setups_s": [b.get("setup_s", 0.0) for b in record.get("batches", [])],
        "statement_detail": statements,
    }


@dataclass
class RunOutcome:
    row: dict[str, Any]
    record: dict[str, Any]


@dataclass
class CellRun:
    """One timed cell in a fresh kernel: its reply, its output counts and the run record."""

    reply: dict[str, Any]
    outputs: dict[str, int]
    record: dict[str, Any]
    kernel_start_s: float


def run_cell(
    cell: str,
    budget: float,
    *,
    blas_threads: int = 1,
    cwd: str | None = None,
    files: Mapping[str, str] | None = None,
) -> CellRun:
    """``%load_ext eager_jupyter``, then ``cell``, then the record, in a fresh kernel (in ``cwd``, or a
    temporary directory; ``files`` are written there first)."""
    with tempfile.TemporaryDirectory(prefix="eager-bench-") as tmp:
        where = cwd or tmp
        for name, text in (files or {}).items():
            with open(os.path.join(where, name), "w", encoding="utf-8") as f:
                f.write(text)
        with Kernel(where, blas_threads=blas_threads) as kernel:
            reply, _, _ = kernel.execute("%load_ext eager_jupyter", timeout=120)
            if reply.get("status") != "ok":
                raise RuntimeError(
                    f"%load_ext eager_jupyter failed: {reply.get('ename')}: {reply.get('evalue')}"
                )
            reply, outputs, _ = kernel.execute(cell, timeout=budget)
            query, _, text = kernel.execute(_RECORD_QUERY, timeout=120)
            if query.get("status") != "ok" or not text.strip():
                raise RuntimeError(f"no run record after {cell.splitlines()[0]}: {query.get('evalue')}")
            return CellRun(reply, outputs, json.loads(text), kernel.start_s)


def run_one(
    task: Task, mode: str, rate: float, ttft: float, repeat: int = 0, *, blas_threads: int = 1
) -> RunOutcome:
    """Run ``task`` once in a fresh kernel and return its row (and the raw record)."""
    budget = ttft + task.tokens / rate + 300.0
    wall0 = time.perf_counter()
    run = run_cell(cell_for(task, mode, rate, ttft), budget, blas_threads=blas_threads)
    row = row_from_record(run.record, task=task, mode=mode, rate=rate, ttft=ttft, repeat=repeat)
    row.update(
        cell_status=run.reply.get("status"),
        cell_error=run.reply.get("ename"),
        outputs=run.outputs,
        kernel_start_s=run.kernel_start_s,
        wall_s=time.perf_counter() - wall0,
    )
    return RunOutcome(row, run.record)


def run_jobs(
    jobs: Sequence[J],
    run: Callable[[J], dict[str, Any]],
    *,
    name: Callable[[J], str],
    expected: Callable[[J, dict[str, Any]], bool],
    progress: Callable[[int, int, dict[str, Any], bool], str],
) -> JobsDone:
    """Run every job in turn, printing a line for each. A run that raises (a dead kernel, a timeout)
    loses that run, not the benchmark; it and a run that ended otherwise than ``expected`` are
    counted as problems."""
    rows: list[dict[str, Any]] = []
    problems = 0
    t0 = time.perf_counter()
    for i, job in enumerate(jobs, 1):
        try:
            row = run(job)
        except Exception as error:
            problems += 1
            print(f"[{i:>3}/{len(jobs)}] {name(job)} FAILED: {type(error).__name__}: {error}", flush=True)
            continue
        ok = expected(job, row)
        problems += not ok
        rows.append(row)
        print(progress(i, len(jobs), row, ok), flush=True)
    return JobsDone(rows, problems, time.perf_counter() - t0)


@dataclass
class JobsDone:
    rows: list[dict[str, Any]]
    problems: int
    wall_s: float
