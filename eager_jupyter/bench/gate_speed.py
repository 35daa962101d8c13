"""Cost of the gate per statement, over the benchmark's task programs.

    python -m eager_jupyter.bench.gate_speed [--repeat N]

Each task in ``bench/tasks/`` is cut into its top-level statements (``ast``) and fed to a fresh
``Gate`` in order, as the engine does, twice: with a namespace holding only the builtins (every name
is followed through the program's own imports) and with one holding the task's imported modules (as
a kernel that has already run the imports). Prints which tasks have held statements, the mean,
median and worst microseconds per statement, and the cost per AST node for small and large
statements (linear: the two should be close). Times are the median of ``--repeat`` runs. A script,
not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import gc
import importlib
import statistics
import time
from typing import Any

from eager_jupyter.bench.corpus import TASK_DIR
from eager_jupyter.gate import Gate


def _statements() -> list[list[tuple[str, ast.Module, int]]]:
    programs = []
    for path in sorted(TASK_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        programs.append([
            (ast.unparse(node), ast.Module([node], []), sum(1 for _ in ast.walk(node))) for node in tree.body
        ])
    return programs


def _namespace(program: list[tuple[str, ast.Module, int]]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": builtins}
    for _, tree, _ in program:
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    module = importlib.import_module(alias.name)
                    namespace[alias.asname or alias.name.split(".")[0]] = (
                        module if alias.asname else importlib.import_module(alias.name.split(".")[0])
                    )
    return namespace


def _run(programs: list[list[tuple[str, ast.Module, int]]], namespaces: list[dict[str, Any]]) -> list[
    tuple[float, int]
]:
    """(seconds, nodes) for every statement, in order."""
    out = []
    for program, namespace in zip(programs, namespaces, strict=True):
        gate = Gate()
        for text, tree, nodes in program:
            t0 = time.perf_counter()
            gate.check(text, tree, namespace)
            out.append((time.perf_counter() - t0, nodes))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    programs = _statements()
    count = sum(len(p) for p in programs)
    empty = [{"__builtins__": builtins} for _ in programs]
    loaded = [_namespace(p) for p in programs]
    print(f"{len(programs)} task programs, {count} top-level statements")
    for path, program, namespace in zip(sorted(TASK_DIR.glob("*.py")), programs, loaded, strict=True):
        gate = Gate()
        held = [d for d in (gate.check(t, tree, namespace) for t, tree, _ in program) if d.held]
        if held:
            print(f"  {path.stem}: {len(held)} of {len(program)} held, first: {held[0].reason}")
    for label, namespaces in (("builtins only", empty), ("imports loaded", loaded)):
        runs = []
        for _ in range(args.repeat):
            gc.collect()
            gc.disable()
            try:
                runs.append(_run(programs, namespaces))
            finally:
                gc.enable()
        per = [statistics.median(run[i][0] for run in runs) for i in range(count)]
        nodes = [n for _, n in runs[0]]
        small = [t / n for t, n in zip(per, nodes, strict=True) if n < 40]
        large = [t / n for t, n in zip(per, nodes, strict=True) if n >= 80]
        print(
            f"{label:15} mean {1e6 * statistics.mean(per):6.1f} us/statement, median "
            f"{1e6 * statistics.median(per):5.1f}, worst {1e6 * max(per):6.1f}; per AST node: "
            f"{1e6 * statistics.median(small):.2f} us (<40 nodes, {len(small)}) vs "
            f"{1e6 * statistics.median(large):.2f} us (>=80 nodes, {len(large)})"
        )


if __name__ == "__main__":
    main()
