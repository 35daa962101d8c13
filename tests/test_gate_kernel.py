"""The gate in a real kernel: every side-effect statement of ``gate_cases.HELD``, streamed slowly
(``--rate 20``) between two quick harmless statements, must not start before generation has ended, and
must be held for its own reason; the harmless table, streamed as one program, must run while
generation goes on. One shared kernel, working in a temporary directory.

Held statements run once generation has ended (approval ``auto``), so each is put under
``if _probe:`` with ``_probe = False``: the gate sees the statement, the kernel never does it. Cell
magics and automagic (``%%bash``, a bare ``rm x``) cannot be nested; they run for real, on harmless
arguments, in the temporary directory.
"""

from __future__ import annotations

import ast
import importlib.util
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from gate_cases import HARMLESS, HELD, Case

from eager_jupyter.gate.capabilities import CATEGORIES

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


@pytest.fixture(scope="module")
def gate_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from kernel_harness import Kernel

    work = tmp_path_factory.mktemp("gate_kernel")
    (work / "data.csv").write_text("a,b\n1,2\n3,4\n")
    k = Kernel(MPLBACKEND="module://matplotlib_inline.backend_inline")
    r = k.execute(f"%load_ext eager_jupyter\nimport os as _os\n_os.chdir({str(work)!r})\n_probe = False")
    assert r.status == "ok", r.reply["content"]
    yield k
    k.shutdown()


def _missing_import(setup: str) -> str | None:
    for node in ast.walk(ast.parse(setup)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        )
        for name in names:
            if importlib.util.find_spec(name.split(".")[0]) is None:
                return name
    return None


def _program(case: Case) -> str:
    statement = case.statement
    if case.guardable:
        statement = "if _probe:\n" + textwrap.indent(statement, "    ")
    lines = ["_g0 = 1", *filter(None, case.setup.splitlines()), statement]
    if not case.statement.startswith("%%"):  # a cell magic takes the rest of the cell as its body
        lines.append("_g1 = 2")
    return "\n".join(lines) + "\n"


def _phrase(case: Case) -> str:
    return "is not on the list of harmless magics" if case.category == "magic" else CATEGORIES[case.category]


def _id(case: Case) -> str:
    return case.statement.splitlines()[0][:50]


@pytest.mark.parametrize("case", [c for c in HELD if c.kernel], ids=_id)
def test_side_effect_waits_for_the_end_of_generation(gate_kernel: Any, case: Case) -> None:
    missing = _missing_import(case.setup)
    if missing:
        pytest.skip(f"{missing} is not installed in the kernel")
    r = gate_kernel.execute("%%eager --replay --rate 20 --view plain\n" + _program(case), timeout=120)
    rec = gate_kernel.value("_eager.to_dict()")
    done = rec["generation_done_at"]
    statements = rec["statements"]
    first = statements[0]
    assert first["code"].strip() == "_g0 = 1"
    assert first["started_at"] is not None and first["started_at"] < done, (r.status, rec)  # ran early
    first_line = case.statement.splitlines()[0]
    target = next(s for s in statements if s["code"].strip().startswith(("if _probe", first_line)))
    assert target["started_at"] is None or target["started_at"] >= done
    assert target["held_reason"] and _phrase(case) in target["held_reason"], target["held_reason"]
    for later in statements[statements.index(target) + 1 :]:
        assert later["held_reason"] and (later["started_at"] is None or later["started_at"] >= done)


def test_ordinary_analysis_runs_while_generating(gate_kernel: Any) -> None:
    cases = [c for c in HARMLESS if not _missing_import(c.setup)]
    lines = [line for c in cases for line in (*filter(None, c.setup.splitlines()), c.statement)]
    program = "\n".join(["_g0 = 1", *lines, "# the end of the program", "_g1 = 2"]) + "\n"
    r = gate_kernel.execute("%%eager --replay --rate 50 --view plain\n" + program, timeout=300)
    assert r.status == "ok", r.reply["content"]
    rec = gate_kernel.value("_eager.to_dict()")
    done = rec["generation_done_at"]
    statements = iter(rec["statements"])
    for case in cases:
        record = next(s for s in statements if s["code"].strip() == case.statement.strip())
        assert record["held_reason"] is None, (case.statement, record["held_reason"])
        assert record["started_at"] is not None and record["started_at"] < done, case.statement
