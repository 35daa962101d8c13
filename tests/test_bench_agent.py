"""``eager-jupyter bench --agent``: the written episodes, their re-timing, the critical-path bound by
hand, and one episode in both modes in real kernels (the row's fields and bound against the record).

Figures are printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from eager_jupyter.bench.agent_report import summarise_agent, write_agent_reports
from eager_jupyter.bench.agent_runs import (
    EPISODE_DIR,
    QUICK_EPISODES,
    agent_cell,
    episode_bound,
    load_episodes,
    retime,
    run_episode,
)
from eager_jupyter.sources.replay import split_tokens


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_episodes", EPISODE_DIR / "make_episodes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the episodes ------------------------------------------------------------------------------------
def test_the_episodes_are_written_tool_use_streams() -> None:
    episodes = load_episodes()
    assert len(episodes) >= 8
    assert sum(1 for e in episodes if e.repairs) >= 2
    assert set(QUICK_EPISODES) <= {e.name for e in episodes}
    cut_in_escape = 0
    for e in episodes:
        assert e.header["origin"] == "written" and e.header["kind"] == "episode", e.name
        assert 3 <= len(e.steps) <= 6, e.name
        assert not any(line.get("block") == "tool_use" for line in e.steps[-1])  # ends with an answer
        for k in range(1, len(e.steps)):
            assert e.step_code(k).strip(), (e.name, k)  # every other step runs code
        for step in e.steps:
            pieces = [str(line["json"]) for line in step if "json" in line]
            cut_in_escape += sum(1 for p in pieces if p.endswith("\\") and not p.endswith("\\\\"))
            times = [line["t"] for line in step if "t" in line]
            assert times == sorted(times) and times[0] >= e.header["ttft"]
        assert sum(e.step_tokens) > 200
    assert cut_in_escape > 0


def test_the_traces_are_what_the_generator_writes_from_the_sources() -> None:
    make = _generator()
    sources = sorted((EPISODE_DIR / "src").glob("*.md"))
    assert [p.stem for p in sources] == [e.name for e in load_episodes()]
    for path in sources:
        header, steps = make.parse(path.read_text(encoding="utf-8"))
        lines = make.trace_lines(path.stem, header, steps)
        on_disk = [json.loads(x) for x in (EPISODE_DIR / f"{path.stem}.jsonl").read_text().splitlines()]
        assert lines == on_disk, f"{path.stem}: rerun make_episodes.py"
        codes = [text for blocks in steps for kind, text in blocks if kind == "tool"]
        decoded = ["".join(p for _, p in make.json_pieces(c, __import__("random").Random(0))) for c in codes]
        assert [json.loads(d)["code"] for d in decoded] == codes


def test_retime_rescales_every_time(tmp_path: Path) -> None:
    (episode,) = load_episodes(["sales_growth"])
    rate0, ttft0 = episode.header["rate"], episode.header["ttft"]
    path = retime(episode, 100.0, 0.2, tmp_path / "e.jsonl")
    (copy,) = load_episodes(["e"], directory=tmp_path)
    assert copy.header["rate"] == 100.0 and copy.header["origin"] == "written"
    for old, new in zip(episode.steps, copy.steps, strict=True):
        assert len(old) == len(new)
        for a, b in zip(old, new, strict=True):
            for key in ("t", "step_end"):
                if key in a:
                    assert b[key] == pytest.approx(0.2 + (a[key] - ttft0) * rate0 / 100.0, abs=1e-4)
    assert copy.step_tokens == episode.step_tokens
    assert agent_cell(path, "serial").startswith(f"%%eager --replay-trace {path} --serial")


# ---- the bound, by hand --------------------------------------------------------------------------------
def _stmt(index: int, gen: float, start: float, end: float, status: str = "done", held: bool = False
          ) -> dict[str, Any]:
    return {"index": index, "generated_at": gen, "started_at": start, "finished_at": end, "status": status,
            "held_reason": "writes files" if held else None, "run_s": end - start}


def test_the_episode_bound_is_the_critical_path_through_the_steps() -> None:
    record = {
        "statements": [
            _stmt(0, 1.0, 1.01, 1.51), _stmt(1, 1.2, 1.52, 2.52),  # step 1: runs 0.5 and 1.0
            _stmt(2, 3.31, 3.32, 3.42, "error"),  # step 2: fails after 0.1 s
            _stmt(3, 4.5, 4.7, 4.9, held=True),  # step 3: held until its generation ended
        ],
        "steps": [
            {"step": 1, "requested_at": 0.0, "generation_done_at": 2.0, "statements": [0, 1]},
            {"step": 2, "requested_at": 2.53, "generation_done_at": 3.43, "statements": [2]},
            {"step": 3, "requested_at": 3.45, "generation_done_at": 4.65, "statements": [3]},
            {"step": 4, "requested_at": 4.92, "generation_done_at": 5.62, "statements": []},
        ],
    }
    bound, ends = episode_bound(record)
    # step 1: max(1.0 + 0.5, 1.2) + 1.0 = 2.5 (after its generation end, 2.0)
    # step 2 leaves at 2.5: statement generated 0.78 s in, runs 0.1 s, fails: the step ends at once
    # step 3 leaves at 3.38: generated at 4.43, but held until its generation ends (1.2 s in: 4.58)
    # step 4 leaves at 4.78 and its answer takes 0.7 s
    assert ends == pytest.approx([2.5, 3.38, 4.78, 5.48])
    assert bound == pytest.approx(5.48)


# ---- one episode, both modes, real kernels ---------------------------------------------------------------
def _bound_by_hand(record: dict[str, Any]) -> float:
    by_index = {s["index"]: s for s in record["statements"]}
    t_end = 0.0
    for step in record["steps"]:
        t, failed = t_end, False
        for i in step["statements"]:
            s = by_index[i]
            if s["started_at"] is None:
                continue
            t = max(t, t_end + s["generated_at"] - step["requested_at"]) + s["finished_at"] - s["started_at"]
            failed = failed or s["status"] == "error"
        t_end = t if failed else max(t, t_end + step["generation_done_at"] - step["requested_at"])
    return t_end


@pytest.mark.kernel
def test_one_episode_in_both_modes(tmp_path: Path) -> None:
    (episode,) = load_episodes(["churn_repair"])
    rows = {}
    for mode in ("serial", "eager"):
        outcome = run_episode(episode, mode, 200.0, 0.5)
        row, record = outcome.row, outcome.record
        rows[mode] = row
        assert row["status"] == "ok" and row["cell_status"] == "ok", row["error"]
        assert "(written)" in record["source"] and "cannot react to different outputs" in record["source"]
        assert (row["episode"], row["mode"], row["rate"], row["ttft"]) == ("churn_repair", mode, 200.0, 0.5)
        assert row["steps"] == len(record["steps"]) == len(episode.steps) == len(row["step_detail"])
        errors = {s["index"] for s in record["statements"] if s["status"] == "error"}
        failed = [st["step"] for st in record["steps"] if errors & set(st["statements"])]
        assert row["failed_steps"] == failed == [2] and row["repairs_expected"] == 1
        assert row["end_to_end_s"] == record["end_to_end"]
        assert row["tokens_total"] == sum(episode.step_tokens)
        assert [d["requested_at"] for d in row["step_detail"]] == [s["requested_at"] for s in record["steps"]]
        streamed, written = record["steps"][1]["code"], episode.step_code(2)
        assert written.startswith(streamed)
        assert row["tokens_never_generated"] == len(split_tokens(written[len(streamed):]))
        assert row["failed_step_tokens"] == len(split_tokens(written))
    serial, eager = rows["serial"], rows["eager"]
    assert serial["bound_s"] is None and serial["tokens_never_generated"] == 0
    assert eager["tokens_never_generated"] > 0  # the failing step's stream was closed early
    assert eager["bound_s"] == pytest.approx(_bound_by_hand(outcome.record))
    assert eager["bound_s"] <= eager["end_to_end_s"]
    assert eager["bound_ratio"] == pytest.approx(eager["end_to_end_s"] / eager["bound_s"])
    assert eager["goal_s"] == pytest.approx(1.03 * eager["bound_s"] + 0.020 * eager["steps"])
    assert eager["within_goal"] == (eager["end_to_end_s"] <= eager["goal_s"])
    assert [d["bound_end_s"] for d in eager["step_detail"]][-1] == pytest.approx(eager["bound_s"])
    summary = summarise_agent([serial, eager])
    assert summary["all"]["eager_runs"] == 1 and summary["repair"]["eager_runs"] == 1
    written_files = write_agent_reports([serial, eager], {"command": "test"}, tmp_path)
    assert [p.name for p in written_files] == ["bench_agent.json", "bench_agent.md", "bench_agent.png"]
    assert "written" in (tmp_path / "bench_agent.md").read_text()
    assert json.loads((tmp_path / "bench_agent.json").read_text())["runs"][1]["mode"] == "eager"
    print(f"churn_repair at 200 tok/s: serial {serial['end_to_end_s']:.3f} s, "
          f"eager {eager['end_to_end_s']:.3f} s, bound {eager['bound_s']:.3f} s")


def test_the_cli_runs_an_episode_in_each_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from eager_jupyter.bench.cli import main

    args = ["--agent", "--tasks", "sales_growth", "--rates", "200", "--out", str(tmp_path), "--no-plots"]
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[  1/2] sales_growth       serial" in out and "[  2/2] sales_growth       eager" in out
    report = json.loads((tmp_path / "bench_agent.json").read_text())
    assert [r["mode"] for r in report["runs"]] == ["serial", "eager"]
    assert report["meta"]["problems"] == 0 and report["meta"]["wall_s"] > 0
    assert main(["--agent", "--tasks", "no_such_episode", "--out", str(tmp_path)]) == 2
