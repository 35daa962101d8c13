"""The written revision traces (tests/revision_traces, issue 18; written by
``python -m eager_jupyter.bench.revision_traces tests/revision_traces``) through ``%%eager
--replay-trace`` in a real kernel: each policy, the revision window, a revision that arrives while the
revised statement runs, one that withdraws a held statement, the record and the saved outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from eager_jupyter.sources.revisions import DEFAULT_MARKERS

pytestmark = pytest.mark.kernel

TRACES = Path(__file__).parent / "revision_traces"


@pytest.fixture
def workdir(kernel, tmp_path):
    (tmp_path / "sales.csv").write_text("region;revenue\nnorth;10\nsouth;20\n", encoding="utf-8")
    r = kernel.execute(f"import os; os.chdir({str(tmp_path)!r})")
    assert r.status == "ok"
    return tmp_path


def statuses(kernel) -> list[tuple[str, bool, int | None]]:
    record = kernel.value("_eager.to_dict()")
    return [(s["status"], s["revised"], s["rerun_of"]) for s in record["statements"]]


def test_shell_true_is_revised_before_the_gate_lets_it_run(kernel, workdir):
    r = kernel.execute(f"%%eager --replay-trace {TRACES / 'shell_to_list.jsonl'}\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("result.args") == ["ls"]
    assert statuses(kernel) == [("done", False, None), ("done", False, None), ("skipped", True, None),
                                ("skipped", True, None), ("done", False, None), ("done", False, None)]
    assert kernel.value("len(_eager.revisions)") == 1


def test_read_csv_revised_after_it_ran_stops_by_default(kernel, workdir):
    r = kernel.execute(f"%%eager --replay-trace {TRACES / 'read_csv_sep.jsonl'}\n")
    assert r.status == "error"
    assert "statement 2 (line 2) had run when the model revised it" in r.reply["content"]["evalue"]
    assert kernel.value("list(df.columns)") == ["region;revenue"]  # what ran stays
    assert kernel.value("_eager.generation_stopped") is True


def test_read_csv_revised_after_it_ran_reruns(kernel, workdir):
    r = kernel.execute(f"%%eager --on-revision rerun --replay-trace {TRACES / 'read_csv_sep.jsonl'}\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("int(total)") == 30
    assert [rerun for _, _, rerun in statuses(kernel)][-3:] == [1, 2, 3]  # `total` takes `n`'s place
    assert "re-ran after a revision" in "".join(r.texts("text/plain") + r.texts("text/markdown"))


def test_a_revision_window_absorbs_the_read_csv_revision(kernel, workdir):
    r = kernel.execute(f"%%eager --hold-tokens 32 --replay-trace {TRACES / 'read_csv_sep.jsonl'}\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("int(total)") == 30
    assert all(not revised and rerun is None for _, revised, rerun in statuses(kernel))


def test_a_function_body_rewritten_before_its_call(kernel, workdir):
    r = kernel.execute(f"%%eager --replay-trace {TRACES / 'function_body.jsonl'}\n")
    assert r.status == "ok", r.reply["content"]
    assert "12.5664" in r.stdout
    # the def was still pending (its end is only known at the next top-level line): forgotten
    assert [s for s, _, _ in statuses(kernel)] == ["done", "done", "done"]
    assert kernel.value("_eager.revisions[0].withdrawn") == "3.14 * r * r\n"


def test_a_withdrawn_held_statement_is_noted_in_the_saved_outputs(kernel, workdir):
    r = kernel.execute(f"%%eager --view plain --replay-trace {TRACES / 'shell_to_list.jsonl'}\n")
    assert r.status == "ok", r.reply["content"]
    notes = [m["content"]["metadata"]["eager_jupyter"] for m in r.of_type("display_data")
             if m["content"]["metadata"].get("eager_jupyter", {}).get("part") == "statement"]
    withdrawn = [n for n in notes if n["note"] == "not run: revised"]
    assert [n["status"] for n in withdrawn] == ["skipped", "skipped"]
    assert "shell=True" in "".join(r.texts("text/plain"))  # the withdrawn text is still shown


@pytest.mark.parametrize("policy", ["stop", "rerun"])
def test_a_revision_that_arrives_while_the_revised_statement_runs(kernel, workdir, policy):
    r = kernel.execute(f"%%eager --on-revision {policy} --replay-trace {TRACES / 'while_running.jsonl'}\n")
    record = kernel.value("_eager.to_dict()")
    work = next(s for s in record["statements"] if "work = crunch(0.5)" in s["code"])
    revision = record["revisions"][0]
    # the scenario: the revision came in while `work = crunch(0.5)` ran; it was applied after it ended
    assert work["started_at"] < revision["t"] < work["finished_at"]
    assert work["status"] == "done" and work["revised"]
    if policy == "stop":
        assert r.status == "error"
        where = f"statement {work['index'] + 1} (line 10)"  # its first line that is not blank
        assert f"{where} had run when the model revised it" in r.reply["content"]["evalue"]
    else:
        assert r.status == "ok", r.reply["content"]
        reruns = [s for s in record["statements"] if s["rerun_of"] is not None]
        assert [(s["code"].strip(), s["rerun_of"], s["status"]) for s in reruns] == [
            ("work = crunch(0.4)", work["index"], "done")
        ]
        assert r.stdout.strip() == "True"


def test_each_policy_and_window_on_a_revision_five_statements_back(kernel, workdir):
    reruns = {}
    for policy in ("stop", "rerun"):
        for hold in (0, 8, 32, 128):
            assert kernel.execute("%reset -f").status == "ok"
            r = kernel.execute(f"%%eager --on-revision {policy} --hold-tokens {hold} "
                               f"--replay-trace {TRACES / 'far_back.jsonl'}\n")
            record = kernel.value("_eager.to_dict()")
            ran_revised = [s for s in record["statements"] if s["revised"] and s["started_at"] is not None]
            if policy == "stop" and ran_revised:
                assert r.status == "error"
                assert "had run when the model revised it" in r.reply["content"]["evalue"]
                assert len(ran_revised) == 1  # it stops at the first
                continue
            assert r.status == "ok", (policy, hold, r.reply["content"])
            assert kernel.value("(n, len(xs), low > 0)") == [2000, 2000, True]  # the final program's effect
            rerun = [s["rerun_of"] for s in record["statements"] if s["rerun_of"] is not None]
            assert sorted(rerun) == sorted(s["index"] for s in ran_revised)
            reruns[policy, hold] = len(rerun)
    counts = [reruns["rerun", k] for k in (0, 8, 32, 128)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1] == 0
    assert reruns["stop", 128] == 0  # a window longer than the revision's distance: nothing stops


def test_the_revision_settings_take_effect_through_config(kernel, workdir):
    """``%config Eager.on_revision``, ``Eager.hold_tokens`` and ``Eager.revision_markers`` reach the
    run (each checked against what the default does); a bad marker pattern is one usage line."""
    trace = TRACES / "read_csv_sep.jsonl"
    try:
        assert kernel.execute('%config Eager.on_revision = "rerun"').status == "ok"
        r = kernel.execute(f"%%eager --replay-trace {trace}\n")
        assert r.status == "ok", r.reply["content"]  # the default ("stop") fails this run
        assert [rerun for _, _, rerun in statuses(kernel)][-3:] == [1, 2, 3]
        assert kernel.execute("%config Eager.hold_tokens = 8").status == "ok"
        r = kernel.execute(f"%%eager --replay-trace {trace}\n")
        assert r.status == "ok", r.reply["content"]
        # K=8: only read_csv had run (8 code pieces after its line) when the revision came; K=0: 3
        assert [rerun for _, _, rerun in statuses(kernel) if rerun is not None] == [1]

        body = "s = '<|revise:0|>'\n"
        r = kernel.execute(f"%%eager --replay --rate 2000\n{body}")
        assert r.status == "error"  # decoded by default: back to 0, then `'` alone
        assert kernel.execute("%config Eager.revision_markers = ''").status == "ok"
        r = kernel.execute(f"%%eager --replay --rate 2000\n{body}")
        assert r.status == "ok", r.reply["content"]
        assert kernel.value("s") == "<|revise:0|>"

        for bad, why in [("<(", "is not a regex"), ("<rev>", "needs a group for the offset")]:
            assert kernel.execute(f"%config Eager.revision_markers = {bad!r}").status == "ok"
            r = kernel.execute("%%eager --replay --rate 2000\nnever_set = 1\n")
            assert r.status == "error" and r.ename == "UsageError"
            line = r.reply["content"]["evalue"]
            assert line.startswith("Eager.revision_markers: ") and why in line and "\n" not in line
            assert kernel.execute("'never_set' in dir()").texts() == ["False"]
    finally:
        for reset in ("%config Eager.on_revision = 'stop'", "%config Eager.hold_tokens = 0",
                      "%config Eager.revision_markers = r'<\\|revise:(\\d+)\\|>'"):
            assert kernel.execute(reset).status == "ok"
    assert kernel.value("get_ipython().config.Eager.revision_markers") == DEFAULT_MARKERS
