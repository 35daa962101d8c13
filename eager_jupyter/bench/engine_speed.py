"""The engine's own costs, in a real kernel (``python -m eager_jupyter.bench.engine_speed``).

Prints figures; asserts nothing. Three measurements:

1. **Per-statement overhead**: 1 000 statements ``x = i`` streamed with no delay, through the whole
   pipeline and the plain view (its display messages really go out on iopub). Reported: total time
   over statements, and the median gap between consecutive statements' finish times (each gap is one
   statement's chunking, compile, events, view update and run). Goal: at most 0.5 ms.
2. **Overlap on a compute-heavy script at 40 tokens/s**: end-to-end against the critical path from the
   run record (``t = max(t, generated_i) + run_i``: no detection, no setup cost), goal at most
   1.03x + 20 ms; non-overlapped latency against what the critical path leaves after generation
   ends, goal at most that + 5 ms; and the time saved against ``--serial`` on the same script.
3. **Interrupts**: from the kernel interrupt to the cell's reply, while waiting for tokens and while a
   statement runs; goal at most 200 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ..latency import Timing, critical_path
from .runner import Kernel

__all__ = ["COMPUTE_SCRIPT", "main"]

COMPUTE_SCRIPT = """\
import math
import random

random.seed(7)
# each step costs a few hundred milliseconds of pure Python: execution competes with generation


def work(n):
    total = 0.0
    for k in range(n):
        total += math.sqrt(k) * math.sin(k)
    return total


a = work(2_500_000)
b = [random.random() for _ in range(2_000_000)]
c = sorted(b)
d = work(2_000_000) + sum(c[:1000])
primes = [p for p in range(2, 150_000) if all(p % q for q in range(2, int(p ** 0.5) + 1))]
e = work(3_000_000)
summary = {"a": round(a, 3), "d": round(d, 3), "primes": len(primes), "e": round(e, 3)}
print(summary)
"""


def _record(kernel: Kernel) -> dict[str, Any]:
    query = "import json as _j; print(_j.dumps(_eager.to_dict()))"
    _, _, out = kernel.execute(query, timeout=60)
    record: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return record


def _run(path: Path, options: str, timeout: float = 300) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cwd, Kernel(cwd) as kernel:
        kernel.execute("%load_ext eager_jupyter", timeout=60)
        reply, _, _ = kernel.execute(f"%%eager --replay {path} {options} --view plain\n", timeout=timeout)
        if reply["status"] != "ok":
            raise RuntimeError(f"run failed: {reply.get('ename')}: {reply.get('evalue')}")
        return _record(kernel)


def overhead(n: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.py"
        path.write_text("".join(f"x = {i}\n" for i in range(n)))
        rec = _run(path, "--rate 1000000000")
    stmts = rec["statements"]
    finished = [s["finished_at"] for s in stmts]
    gaps = [b - a for a, b in itertools.pairwise(finished)]
    first = stmts[0]["released_at"]
    total = finished[-1] - first
    print(f"per-statement overhead, {n} statements `x = i` streamed with no delay (plain view):")
    print(f"  median gap between statements  {statistics.median(gaps) * 1e3:7.3f} ms   (goal <= 0.5 ms)")
    print(f"  p90 gap                        {sorted(gaps)[int(len(gaps) * 0.9)] * 1e3:7.3f} ms")
    print(f"  total / statements             {total / n * 1e3:7.3f} ms")
    print(f"  batches                        {len(rec['batches'])}")


def overlap(rate: float = 40.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compute.py"
        path.write_text(COMPUTE_SCRIPT)
        eager = _run(path, f"--rate {rate:g}")
        serial = _run(path, f"--rate {rate:g} --serial")
    ran = [s for s in eager["statements"] if s["run_s"] is not None]
    bound = critical_path([Timing(s["generated_at"], s["run_s"]) for s in ran])
    e2e, gen = eager["end_to_end"], eager["generation_done_at"]
    nel = eager["non_overlapped"]
    bound_nel = max(0.0, bound - gen)
    print(f"compute-heavy script at {rate:g} tokens/s ({len(ran)} statements):")
    print(f"  generation ends             {gen:8.3f} s")
    print(f"  end-to-end (eager)          {e2e:8.3f} s")
    print(f"  critical path (lower bound) {bound:8.3f} s")
    within = e2e <= bound * 1.03 + 0.02
    print(f"  ratio                       {e2e / bound:8.4f}     (goal <= 1.03x + 20 ms: {within})")
    print(f"  non-overlapped (eager)      {nel * 1e3:8.1f} ms   (bound {bound_nel * 1e3:.1f} ms + 5)")
    print(f"  end-to-end (--serial)       {serial['end_to_end']:8.3f} s")
    saved = serial["end_to_end"] - e2e
    print(f"  time saved vs serial        {saved:8.3f} s  ({saved / serial['end_to_end'] * 100:.1f} %)")
    print(f"  non-overlapped (--serial)   {serial['non_overlapped']:8.3f} s")


def _interrupt_latency(kernel: Kernel, cell: str, after: float) -> float:
    """Seconds from the interrupt request to the cell's reply (status error, KeyboardInterrupt)."""
    client = kernel._kc
    msg_id = client.execute(cell)
    time.sleep(after)
    start = time.perf_counter()
    kernel._km.interrupt_kernel()
    while True:
        reply = client.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - start
    if reply["content"].get("ename") != "KeyboardInterrupt":
        raise RuntimeError(f"expected KeyboardInterrupt, got {reply['content']}")
    return elapsed


def interrupts(repeat: int = 5) -> None:
    waiting, running = [], []
    with tempfile.TemporaryDirectory() as cwd, Kernel(cwd) as kernel:
        kernel.execute("%load_ext eager_jupyter", timeout=60)
        for _ in range(repeat):
            waiting.append(_interrupt_latency(kernel, "%%eager --replay --ttft 60\nx = 1\n", 0.5))
            running.append(
                _interrupt_latency(
                    kernel, "%%eager --replay --rate 500\nk = 0\nwhile True:\n    k += 1\n", 0.5
                )
            )
            kernel.execute("1", timeout=30)  # the kernel stays usable
    print(f"kernel interrupt to cell reply ({repeat} runs each; goal <= 200 ms):")
    print(
        f"  while waiting for tokens     median {statistics.median(waiting) * 1e3:6.1f} ms, "
        f"max {max(waiting) * 1e3:6.1f} ms"
    )
    print(
        f"  while a statement runs       median {statistics.median(running) * 1e3:6.1f} ms, "
        f"max {max(running) * 1e3:6.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eager_jupyter.bench.engine_speed")
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=40.0)
    args = parser.parse_args(argv)
    overhead(args.statements)
    overlap(args.rate)
    interrupts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
