"""``eager-jupyter bench --revisions``: the written traces, and runs in real kernels whose rows must
agree with their records. No timing is asserted: the figures are printed by the bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eager_jupyter.bench.cli import main
from eager_jupyter.bench.revision_runs import run_revision, table
from eager_jupyter.bench.revision_traces import TRACES, write_all
from eager_jupyter.trace import final_text, read_trace

HERE = Path(__file__).parent / "revision_traces"
BY_NAME = {t.name: t for t in TRACES}


def test_the_tests_traces_are_the_bench_traces_at_50_tokens_per_second(tmp_path: Path) -> None:
    assert len(TRACES) >= 6
    for path in write_all(tmp_path, 50.0):
        assert path.read_bytes() == (HERE / path.name).read_bytes(), path.name


@pytest.mark.parametrize("rate", [20.0, 200.0])
def test_every_trace_is_written_revises_and_ends_with_its_code(tmp_path: Path, rate: float) -> None:
    for path in write_all(tmp_path, rate):
        trace = read_trace(path)
        assert trace.header["origin"] == "written"
        items = [x for _, x in trace.iter_pieces()]
        assert any(isinstance(x, int) for x in items), path.name  # at least one revision
        text = final_text(items)
        assert text.count("```") == 2, path.name
        compile(text.split("```python\n")[1].split("```")[0], path.name, "exec")
        assert len([x for x in items if isinstance(x, str)]) == BY_NAME[path.stem].tokens


def consistent(row: dict, record: dict) -> None:
    """The row's counts, checked against the record in terms other than the row's own."""
    statements = record["statements"]
    revised = [s for s in statements if s["revised"]]
    assert row["origin"] == "written"
    assert row["revisions"] == len(record["revisions"]) >= 1
    assert row["withdrawn"] + row["revised_after_run"] == len(revised)
    assert row["withdrawn"] == sum(s["status"] == "skipped" and s["started_at"] is None for s in revised)
    # every rerun re-runs a statement that ran and was revised, each once
    targets = [s["rerun_of"] for s in statements if s["rerun_of"] is not None]
    assert row["reruns"] == len(targets) == len(set(targets))
    assert all(statements[i]["revised"] and statements[i]["started_at"] is not None for i in targets)
    assert row["status"] == record["status"]
    assert row["end_to_end_s"] == record["end_to_end"]


@pytest.mark.kernel
@pytest.mark.timeout(300)
def test_read_csv_trace_rows_for_each_policy_and_window(tmp_path: Path) -> None:
    trace = BY_NAME["read_csv_sep"]
    rows = {}
    for hold, policy in [(None, None), (0, "stop"), (0, "rerun"), (32, "stop"), (32, "rerun")]:
        row, record = run_revision(trace, 50.0, hold, policy, directory=tmp_path)
        consistent(row, record)
        rows[hold, policy] = row
    assert rows[None, None]["mode"] == "serial" and rows[None, None]["status"] == "ok"
    stop = rows[0, "stop"]  # read_csv ran, then was revised: the run stops
    assert stop["stopped"] and stop["status"] == "error" and stop["revised_after_run"] == 1
    assert "had run when the model revised it" in stop["error"]
    rerun = rows[0, "rerun"]  # ... or it and what follows run again
    assert rerun["status"] == "ok" and rerun["reruns"] == rerun["revised_after_run"] >= 1
    for policy in ("stop", "rerun"):  # a window of 32 tokens holds read_csv until past the revision
        assert rows[32, policy]["status"] == "ok"
        assert rows[32, policy]["reruns"] == rows[32, policy]["revised_after_run"] == 0
    lines = {(x["policy"], x["hold_tokens"]): x for x in table(list(rows.values()))}
    assert lines["stop", 0]["completed"] == 0 and lines["stop", 0]["stopped"] == 1
    assert lines["rerun", 0]["reruns"] == rerun["reruns"] and lines["rerun", 0]["completed"] == 1
    assert lines["rerun", 32]["vs_serial"] is not None


@pytest.mark.kernel
@pytest.mark.timeout(300)
def test_the_cli_runs_one_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--revisions", "--tasks", "typo_in_line", "--rates", "200", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert code == 0
    data = json.loads((tmp_path / "revisions.json").read_text())
    assert data["meta"]["origin"] == "written"
    assert len(data["runs"]) == 1 + 4 * 2  # serial, then K in 0, 8, 32, 128 for each policy
    assert all(r["status"] == "ok" and r["reruns"] == r["revised_after_run"] == 0 for r in data["runs"])
    assert "| rerun | 128 | 200 |" in (tmp_path / "revisions.md").read_text()
    assert (tmp_path / "revisions_vs_k.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "traces" / "200" / "typo_in_line.jsonl").open().readline())[
        "origin"] == "written"
