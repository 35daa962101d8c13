"""The three written revision traces (tests/revision_traces, issue 18) through ``%%eager
--replay-trace`` in a real kernel: each policy, the revision window, and the record."""

from __future__ import annotations

from pathlib import Path

import pytest

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
