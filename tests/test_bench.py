"""The benchmark: corpus, report writers and plots on synthetic rows; ``--quick`` in real kernels.

Figures are printed, never asserted: the kernel test checks only that the run completes, that every
task ended as it expects, and that the JSON follows the contract.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from eager_jupyter.bench import main
from eager_jupyter.bench.corpus import QUICK_TASKS, load_tasks
from eager_jupyter.bench.plots import plot_all, timeline_choice
from eager_jupyter.bench.report import (
    CONTRACT_FIELDS,
    format_summary,
    pairs,
    summarise,
    write_json,
    write_markdown,
)
from eager_jupyter.bench.runner import MODES, cell_for, row_from_record

PNG = b"\x89PNG\r\n\x1a\n"


# ---- the corpus ------------------------------------------------------------------------------------
def test_corpus_shape() -> None:
    tasks = load_tasks()
    assert len(tasks) >= 20
    assert sum(t.fails for t in tasks) >= 3
    assert set(QUICK_TASKS) <= {t.name for t in tasks}
    for t in tasks:
        ast.parse(t.text)  # every program is complete Python (failures happen at run time)
        assert t.tokens > 100 and t.title


def test_load_tasks_by_name_and_unknown() -> None:
    assert [t.name for t in load_tasks(["kmeans_clusters", "sales_summary"])] == [
        "kmeans_clusters", "sales_summary"
    ]
    with pytest.raises(ValueError, match="unknown task"):
        load_tasks(["no_such_task"])


def test_cell_for_each_mode() -> None:
    task = load_tasks(["sales_summary"])[0]
    assert cell_for(task, "serial", 50, 0.5).startswith("%%eager --replay ")
    assert "--serial" in cell_for(task, "serial", 50, 0.5)
    assert "--gate off" in cell_for(task, "eager-nogate", 50, 0.5)
    eager = cell_for(task, "eager", 50, 0.5)
    assert "--gate" not in eager and "--serial" not in eager and "--rate 50 --ttft 0.5" in eager
    assert set(MODES) == {"serial", "eager", "eager-nogate"}


# ---- rows and reports on synthetic records ---------------------------------------------------------
def _stmt(index: int, gen: float, start: float | None, end: float | None, batch: int | None
          ) -> dict[str, Any]:
    return {"index": index, "code": "x = 1\n", "start_line": index + 3, "generated_at": gen,
            "released_at": gen + 0.01, "started_at": start, "finished_at": end, "batch": batch,
            "run_s": None if start is None or end is None else end - start, "detection_delay": 0.01,
            "status": "done" if end is not None else "skipped", "held_reason": None}


def _record(mode: str, *, fail: bool = False) -> dict[str, Any]:
    """Three statements generated at 1, 2, 3 s, running 0.5, 1.5 and 0.2 s."""
    gens, runs = [1.0, 2.0, 3.0], [0.5, 1.5, 0.2]
    if mode == "serial":
        total = sum(runs[:2] if fail else runs)
        stmts = [_stmt(i, g, 3.26, 3.26 + total, 0) for i, g in enumerate(gens)]
        if fail:
            stmts[2].update(started_at=None, finished_at=None, run_s=None, status="skipped")
        batches = [{"batch": 0, "handed_at": 3.25, "setup_s": 0.01, "statements": [0, 1, 2]}]
        return {"mode": "serial", "code": "x = 1\n" * 3, "status": "error" if fail else "ok",
                "error": "KeyError: 'a'" if fail else None, "first_token_at": 0.5,
                "generation_done_at": 3.25, "generation_stopped": False, "end_to_end": 3.26 + total,
                "non_overlapped": 0.01 + total, "statements": stmts, "batches": batches}
    stmts, t = [], 0.0
    for i, (g, r) in enumerate(zip(gens, runs, strict=True)):
        start = max(t, g + 0.01) + 0.001
        t = start + r
        stmts.append(_stmt(i, g, start, t, i))
    if fail:
        stmts = stmts[:2]
    end = stmts[-1]["finished_at"]
    return {"mode": "eager", "code": "x = 1\n" * len(stmts), "status": "error" if fail else "ok",
            "error": "KeyError: 'a'" if fail else None, "first_token_at": 0.5,
            "generation_done_at": end if fail else 3.25, "generation_stopped": fail, "end_to_end": end,
            "non_overlapped": 0.0, "statements": stmts,
            "batches": [{"batch": i, "handed_at": 0.0, "setup_s": 0.001, "statements": [i]}
                        for i in range(len(stmts))]}


def _rows() -> list[dict[str, Any]]:
    ok, bad = load_tasks(["sales_summary", "err_plot_nameerror"])
    rows = []
    for task, fail in ((ok, False), (bad, True)):
        for mode in ("serial", "eager", "eager-nogate"):
            rec = _record(mode, fail=fail)
            row = row_from_record(rec, task=task, mode=mode, rate=50.0, ttft=0.5)
            row.update(kernel_start_s=0.4, wall_s=5.0, cell_status=rec["status"], outputs={})
            rows.append(row)
    return rows


def test_row_has_the_contract() -> None:
    for row in _rows():
        assert set(CONTRACT_FIELDS) <= set(row)
        assert row["mode"] in MODES
        json.dumps(row)


def test_row_figures_by_hand() -> None:
    rows = {(r["task"], r["mode"]): r for r in _rows()}
    eager = rows["sales_summary", "eager"]
    # critical path: 1 + .5 = 1.5; max(1.5, 2) + 1.5 = 3.5; max(3.5, 3) + .2 = 3.7
    assert eager["lower_bound_s"] == pytest.approx(3.7)
    # starts: 1.011 (released at 1.01, 1 ms hand-off), 2.011, then 3.512 (1 ms after the previous)
    assert eager["end_to_end_s"] == pytest.approx(3.712)
    serial = rows["sales_summary", "serial"]
    # one chunk, the whole program, available when generation ended (3.25), then 2.2 s of run
    assert serial["lower_bound_s"] == pytest.approx(3.25 + 2.2)
    # NEL counts from the end of generation as the record stamps it
    assert serial["generation_end_s"] == pytest.approx(3.25)
    assert serial["non_overlapped_s"] == pytest.approx(5.46 - 3.25)
    assert serial["end_to_end_s"] == pytest.approx(5.46)
    failing = rows["err_plot_nameerror", "eager"]
    assert failing["generation_stopped"] and failing["ran"] == 2


def test_summary_and_pairs() -> None:
    rows = _rows()
    assert len(pairs(rows, "eager")) == 2
    s = summarise(rows)
    m = s["modes"]["eager"]
    assert m["e2e_reduction_best"] == pytest.approx(3.712 / 5.46 - 1)
    assert m["nel_reduction"] is not None and m["nel_reduction"] < 0
    # serial model with the eager run's own run times: 3.25 generation + 0.01 setup + 2.2 run
    assert m["same_work_reduction_best"] == pytest.approx(3.712 / 5.46 - 1)
    assert m["error_e2e_reduction_best"] is not None
    assert m["within_goal"] == 2 and m["setup_median_s"] == pytest.approx(0.001)
    text = format_summary(s)
    print(text)
    assert "eager-nogate" in text and "NEL vs serial" in text


def test_writers(tmp_path: Path) -> None:
    rows = _rows()
    meta = {"command": "eager-jupyter bench --test", "ttft": 0.5}
    write_json(tmp_path / "b.json", rows, meta)
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["meta"] == meta and len(data["runs"]) == len(rows)
    assert all(set(CONTRACT_FIELDS) <= set(r) for r in data["runs"])
    write_markdown(tmp_path / "b.md", rows, meta)
    md = (tmp_path / "b.md").read_text()
    assert "## Goals" in md and "| Task | Mode | Rate |" in md
    assert md.count("| sales_summary |") == 3


def test_plots(tmp_path: Path) -> None:
    rows = _rows()
    assert timeline_choice(rows) == ("sales_summary", 50.0)
    written = plot_all(rows, tmp_path)
    names = ["e2el_vs_rate.png", "bound_ratio.png", "timeline_sales_summary_50.png"]
    assert [p.name for p in written] == names
    for p in written:
        assert p.read_bytes().startswith(PNG)


def test_cli_merges_json_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    write_json(tmp_path / "a.json", rows[:3], {"wall_s": 10.0})
    write_json(tmp_path / "b.json", rows[3:], {"wall_s": 20.0})
    out = tmp_path / "merged"
    code = main(["--from-json", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(out),
                 "--no-plots"])
    assert code == 0
    data = json.loads((out / "bench.json").read_text())
    assert len(data["runs"]) == len(rows) and data["meta"]["wall_s"] == 30.0
    assert "NEL vs serial" in capsys.readouterr().out
    assert main(["--from-json", str(tmp_path / "missing.json")]) == 2


def test_cli_list_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    assert "kmeans_clusters" in capsys.readouterr().out
    assert main(["--modes", "serial,fast"]) == 2
    assert main(["--tasks", "nope"]) == 2
    with pytest.raises(SystemExit):
        main(["--rates", "0"])


# ---- the real thing --------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.timeout(900)
def test_quick_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "quick.json"
    code = main(["--quick", "--out", str(tmp_path), "--json", str(report)])
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)  # the figures, for whoever reads CI's log
    assert code == 0
    data = json.loads(report.read_text())
    assert len(data["runs"]) == len(QUICK_TASKS) * 2 * 3
    for run in data["runs"]:
        assert set(CONTRACT_FIELDS) <= set(run), run["task"]
        assert run["mode"] in MODES
        for key in ("end_to_end_s", "non_overlapped_s", "lower_bound_s", "predicted_s"):
            assert isinstance(run[key], float)
    assert (tmp_path / "bench.md").is_file()
    assert (tmp_path / "e2el_vs_rate.png").read_bytes().startswith(PNG)
