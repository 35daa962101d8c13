"""Speed of the secret scanner and of the namespace summary that uses it.

    python -m eager_jupyter.bench.secrets_speed [--repeat N]

Prints, all measured in the same run:
- the scanner's throughput (MB/s) over 1 MB of mixed code and prose (the first stdlib modules, which
  carry docstrings and comments, with a key, a token and a connection string every 100 KB), for
  ``redact`` with a scanner that knows a key and four environment values, and with one that knows
  none; and ``looks_secret`` on the same text without the secrets;
- the cost of building that scanner (the key's grams are indexed once per request);
- ``summarize_namespace`` over a namespace of 1,000 variables (scalars, strings, containers,
  functions with defaults, and DataFrames and Series when pandas is installed), at the default
  budget and with a budget large enough that every line is scanned.
Times are the median of ``--repeat`` runs (min in brackets). A script, not a test: the numbers
depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import random
import statistics
import string
import sysconfig
import time
from collections.abc import Callable
from typing import Any

from eager_jupyter.sources.namespace import DEFAULT_BUDGET, summarize_namespace
from eager_jupyter.sources.secrets import SecretScanner

_B62 = string.ascii_letters + string.digits


def _random(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_B62) for _ in range(n))


def _text(size: int, key: str, rng: random.Random) -> tuple[str, str]:
    """(clean, with secrets): ``size`` characters of stdlib source, and the same with secrets in it."""
    stdlib = sysconfig.get_paths()["stdlib"]
    parts: list[str] = []
    total = 0
    for name in sorted(os.listdir(stdlib)):
        if name.endswith(".py") and total < size:
            with open(os.path.join(stdlib, name), encoding="utf-8", errors="replace") as f:
                parts.append(f.read())
            total += len(parts[-1])
    clean = "".join(parts)[:size]
    secrets = [
        f"\nheaders = {{'x-api-key': '{key}'}}\n",
        f"\ntoken = 'ghp_{_random(rng, 36)}'\n",
        "\nurl = 'postgresql://me:hunter2@db/sales'\n",
    ]
    pieces = [clean[i : i + 100_000] + secrets[i // 100_000 % 3] for i in range(0, size, 100_000)]
    return clean, "".join(pieces)[:size]


def _namespace(n: int, rng: random.Random) -> dict[str, Any]:
    try:
        pd: Any = importlib.import_module("pandas")
    except ImportError:
        pd = None
    ns: dict[str, Any] = {}
    for i in range(n):
        kind = i % 20
        if kind < 8:
            ns[f"value_{i}"] = rng.random() if kind % 2 else rng.randrange(10**6)
        elif kind < 14:
            words = ["north", "south", "sales.csv", "revenue by month", _random(rng, 30)]
            ns[f"label_{i}"] = rng.choice(words)
        elif kind < 16:
            ns[f"items_{i}"] = list(range(kind))
        elif kind < 18:
            exec(f"def func_{i}(path, sep=',', limit={i}, options=None):\n    pass", ns)
        elif pd is not None and kind == 18:
            ns[f"frame_{i}"] = pd.DataFrame({f"col_{c}": [1, 2] for c in range(10)})
        elif pd is not None:
            ns[f"series_{i}"] = pd.Series([1.0, 2.0], name=f"metric_{i}")
        else:
            ns[f"other_{i}"] = (i, str(i))
    ns.pop("__builtins__", None)
    return ns


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) seconds of ``repeat`` runs, with the garbage collector out of the way."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = random.Random(1)
    key = "sk-ant-api03-" + _random(rng, 86) + "AA"
    known = [key, *(_random(rng, 40) for _ in range(4))]
    clean, mixed = _text(1_000_000, key, rng)
    mb = len(mixed) / 1e6

    build = _timed(lambda: SecretScanner(known), args.repeat)
    scanner = SecretScanner(known)
    redact = _timed(lambda: scanner.redact(mixed), args.repeat)
    formats = SecretScanner()
    redact_formats = _timed(lambda: formats.redact(mixed), args.repeat)
    check = _timed(lambda: scanner.looks_secret(clean), args.repeat)
    found = len(scanner.spans(mixed))
    print(f"scanner over {mb:.2f} MB of stdlib source with secrets ({found} spans found):")
    print(f"  redact, knowing a key and 4 values: {mb / redact[0]:6.1f} MB/s  [{mb / redact[1]:.1f}]")
    print(f"  redact, knowing nothing:            {mb / redact_formats[0]:6.1f} MB/s  "
          f"[{mb / redact_formats[1]:.1f}]")
    print(f"  looks_secret on the clean text:     {mb / check[0]:6.1f} MB/s  [{mb / check[1]:.1f}]")
    print(f"  building the scanner ({len(known)} known):   {build[0] * 1e3:6.2f} ms    "
          f"[{build[1] * 1e3:.2f}]")

    ns = _namespace(1000, rng)
    print(f"summary of {len(ns)} variables:")
    for budget, label in ((DEFAULT_BUDGET, "default budget"), (10**7, "every line")):
        checkers = ((scanner, "with the secret checks"), (_NoChecks(), "without them (a baseline)"))
        for checker, checks in checkers:
            summary = summarize_namespace(ns, scanner=checker, budget=budget)

            def run(b: int = budget, c: SecretScanner = checker) -> str:
                return summarize_namespace(ns, scanner=c, budget=b)

            cost = _timed(run, args.repeat)
            print(f"  {label} ({len(summary)} chars, {summary.count(chr(10)) + 1} lines), {checks}: "
                  f"{cost[0] * 1e3:.1f} ms  [{cost[1] * 1e3:.1f}]")
    return 0


class _NoChecks(SecretScanner):
    """A scanner that finds nothing: what the summary costs without the secret checks."""

    def looks_secret(self, text: str) -> bool:
        return False

    def redact(self, text: str) -> str:
        return text


if __name__ == "__main__":
    raise SystemExit(main())
