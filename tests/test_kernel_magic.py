"""``%%eager`` in a real kernel (jupyter_client): what a frontend receives on iopub."""

from __future__ import annotations

import re
import textwrap

import pytest

pytestmark = pytest.mark.kernel


def eager(options: str, code: str) -> str:
    return f"%%eager --replay {options}\n" + textwrap.dedent(code).lstrip("\n")


def test_figure_over_several_statements_appears_once_complete(kernel):
    r = kernel.execute(
        eager(
            "--rate 300",
            """
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots()
            ax.plot([1, 2, 3], [3, 1, 2])
            ax.set_title("three points")
            plt.xlabel("x")
            n = len(ax.lines)
            """,
        )
    )
    assert r.status == "ok", r.reply["content"]
    assert len(r.images) == 1
    # nothing displayed for the intermediate expressions (Line2D list, Text)
    assert not r.of_type("execute_result")
    plain = "\n".join(r.texts())
    assert "Text(" not in plain and "Line2D" not in plain
    assert kernel.value("plt.gcf().axes == []") is True  # figure closed after showing, as in a cell


def test_only_the_last_expression_is_displayed_once(kernel):
    r = kernel.execute(eager("--rate 400", "a = 20\na\nb = a + 1\nb * 2\n"))
    assert r.status == "ok"
    results = r.of_type("execute_result")
    assert [m["content"]["data"]["text/plain"] for m in results] == ["42"]
    assert kernel.value("_") == 42


def test_trailing_semicolon_suppresses_the_value(kernel):
    r = kernel.execute(eager("--rate 400", "c = 5\nc * 2;\n"))
    assert r.status == "ok"
    assert not r.of_type("execute_result")


def test_plt_show_shows_the_figure_at_that_point(kernel):
    r = kernel.execute(
        eager(
            "--rate 400",
            """
            import matplotlib.pyplot as plt
            plt.plot([1, 2])
            plt.show()
            print("after show")
            """,
        )
    )
    assert r.status == "ok"
    kinds = [
        "image" if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"] else
        "after" if m["msg_type"] == "stream" and "after show" in m["content"]["text"] else None
        for m in r.outputs
    ]
    kinds = [k for k in kinds if k]
    assert kinds == ["image", "after"]


def test_a_failing_statement_fails_the_cell_and_stops_the_stream(kernel):
    program = "x = 1\ny = x / 0\n" + "".join(f"z{i} = {i}\n" for i in range(200))
    r = kernel.execute(eager("--rate 100", program))
    assert r.status == "error"
    assert r.ename == "StatementError"
    assert "statement 2 (line 2)" in r.reply["content"]["evalue"]
    assert "ZeroDivisionError" in r.reply["content"]["evalue"]
    # the statement's own traceback once, under it; then the cell's single line (no second traceback)
    errors = r.of_type("error")
    assert len(errors) == 2
    assert errors[0]["content"]["ename"] == "ZeroDivisionError"
    assert len(errors[1]["content"]["traceback"]) == 1
    rec = kernel.value("_eager.to_dict()")
    assert rec["status"] == "error" and rec["generation_stopped"] is True
    assert len(rec["code"]) < len(program) / 2  # the replay stopped early
    assert [s["status"] for s in rec["statements"][:2]] == ["done", "error"]
    assert all(s["status"] == "skipped" for s in rec["statements"][2:])
    assert kernel.value("x") == 1  # what ran stays run
    assert kernel.value("'z150' in globals()") is False


def test_traceback_shows_the_program_line_and_source(kernel):
    r = kernel.execute(eager("--rate 400", "a = 1\n\n\ndef f():\n    return undefined_name\n\nf()\n"))
    assert r.status == "error"
    # the statement's own traceback went out as stream/display? IPython sends it as an error message
    # on iopub only for the cell; the statement's traceback is printed through showtraceback
    text = "\n".join("\n".join(m["content"].get("traceback", [])) for m in r.of_type("error"))
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    number = r.reply["content"]["execution_count"]
    assert f"Cell In[{number}], line 7" in text and "----> 7 f()" in text
    assert "statement 3 (line 7)" in r.reply["content"]["evalue"]
    assert "return undefined_name" in text


def test_interrupt_while_waiting_for_tokens(kernel):
    # the first token is 60 s away and execute() gives up at 30 s: a reply at all means the wait was cut
    r = kernel.execute(eager("--ttft 60", "w = 1\n"), timeout=30, interrupt_after=1.0)
    assert r.status == "error"
    assert r.ename == "KeyboardInterrupt"
    assert kernel.execute("1 + 1").status == "ok"
    assert kernel.value("_eager.status") == "interrupted"


def test_interrupt_while_a_statement_runs(kernel):
    r = kernel.execute(
        eager("--rate 200", "k = 0\nwhile True:\n    k += 1\nafter = 1\n"),
        timeout=30,
        interrupt_after=1.5,
    )
    assert r.status == "error"
    assert r.ename == "KeyboardInterrupt"
    assert kernel.value("k > 0") is True
    assert kernel.value("'after' in globals()") is False
    assert kernel.execute("print('still here')").stdout == "still here\n"


def test_top_level_await(kernel):
    r = kernel.execute(
        eager("--rate 400", "import asyncio\nawait asyncio.sleep(0.01)\nv = await asyncio.sleep(0, 7)\nv\n")
    )
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["7"]


def test_ipython_syntax(kernel):
    r = kernel.execute(
        eager("--rate 400 --gate off", "%time q = 3\nlines = !echo one; echo two\n!echo bang\nlen(lines)\n")
    )
    assert r.status == "ok", r.reply["content"]
    assert "bang" in r.stdout
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["2"]
    assert kernel.value("q") == 3


def test_gate_holds_subprocess_until_generation_ends(kernel):
    r = kernel.execute(
        eager(
            "--rate 100",
            """
            import subprocess
            a = 1
            out = subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout
            b = 2
            c = 3
            """,
        )
    )
    assert r.status == "ok", r.reply["content"]
    rec = kernel.value("_eager.to_dict()")
    by_code = {s["code"].strip().split()[0]: s for s in rec["statements"]}
    held = by_code["out"]
    assert "subprocess.run" in held["held_reason"]
    assert held["started_at"] >= rec["generation_done_at"]
    assert by_code["a"]["finished_at"] < rec["generation_done_at"]  # ran while generating
    assert by_code["b"]["held_reason"]  # everything after a held statement waits too
    assert kernel.value("out") == "hi\n"


def test_serial_runs_after_generation(kernel):
    r = kernel.execute(eager("--rate 200 --serial", "s1 = 1\ns2 = s1 + 1\ns2\n"))
    assert r.status == "ok"
    rec = kernel.value("_eager.to_dict()")
    assert rec["mode"] == "serial"
    assert all(s["started_at"] >= rec["generation_done_at"] for s in rec["statements"])
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["2"]


def test_no_exec_runs_nothing(kernel):
    r = kernel.execute(eager("--rate 400 --no-exec", "never = 1\nprint('no')\n"))
    assert r.status == "ok"
    assert "no" not in r.stdout
    assert kernel.value("'never' in globals()") is False
    rec = kernel.value("_eager.to_dict()")
    assert [s["status"] for s in rec["statements"]] == ["skipped", "skipped"]
    # the code is still shown
    assert any("never = 1" in t for t in r.texts("text/markdown"))


def test_empty_body_with_a_file(kernel, tmp_path):
    path = tmp_path / "prog.py"
    path.write_text("from_file = 11\nfrom_file\n")
    r = kernel.execute(f"%%eager --replay {path} --rate 400")
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["11"]


def test_bad_options_raise_usage_error(kernel):
    r = kernel.execute("%%eager --replay --rate fast\nx = 1\n")
    assert r.status == "error" and r.ename == "UsageError"
    r = kernel.execute("%%eager --replay /no/such/file.py\n")
    assert r.status == "error" and r.ename == "UsageError"
    assert kernel.execute("1").status == "ok"


def test_config_sets_defaults(kernel):
    kernel.execute("%config Eager.rate = 5000")
    r = kernel.execute(eager("", "cfg = 1\n"))
    assert r.status == "ok"
    assert kernel.value("_eager.source") == "replay cell at 5000 tok/s"
    kernel.execute("%config Eager.rate = 60")


def test_fix_replays_a_continuation_from_the_failing_statement(kernel, tmp_path):
    fix = tmp_path / "fix.py"
    fix.write_text("rb = ra / 1\nrc = rb + 1\nrc\n")
    r = kernel.execute(eager(f"--rate 400 --fix 1 --fix-replay {fix}", "ra = 1\nrb = ra / 0\nrc = 3\n"))
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["2.0"]
    assert [m["content"]["ename"] for m in r.of_type("error")] == ["ZeroDivisionError"]
    rec = kernel.value("_eager.to_dict()")
    assert [(s["round"], s["status"]) for s in rec["statements"]] == [
        (0, "done"), (0, "error"), (1, "done"), (1, "done"), (1, "done")
    ]
    assert rec["program"] == "ra = 1\nrb = ra / 1\nrc = rb + 1\nrc\n"


def test_insert_puts_the_finished_code_in_a_new_cell(kernel):
    r = kernel.execute(eager("--rate 400 -i", "ins = 1\nins + 1\n"))
    assert r.status == "ok"
    payloads = r.reply["content"]["payload"]
    assert [p["source"] for p in payloads] == ["set_next_input"]
    assert payloads[0]["text"] == "ins = 1\nins + 1"
    assert payloads[0]["replace"] is False


def test_system_exit_and_keyboard_interrupt_from_generated_code(kernel):
    r = kernel.execute(eager("--rate 400", "se = 1\nraise SystemExit(3)\nnot_run = 1\n"))
    assert r.status == "error"
    text = "".join(m["content"].get("text", "") for m in r.of_type("stream"))
    tracebacks = "\n".join("\n".join(m["content"]["traceback"]) for m in r.of_type("error"))
    assert "SystemExit: 3" in re.sub(r"\x1b\[[0-9;]*m", "", tracebacks + text)
    assert kernel.value("'not_run' in globals()") is False
    r = kernel.execute(eager("--rate 400", "ki = 1\nraise KeyboardInterrupt\nnot_run2 = 1\n"))
    assert r.status == "error" and r.ename == "KeyboardInterrupt"
    assert kernel.value("'not_run2' in globals()") is False
    assert kernel.execute("1").status == "ok"


def test_help_shows_the_options(kernel):
    r = kernel.execute("%%eager?\n")
    help_text = "".join(m["content"]["data"].get("text/plain", "") for m in r.of_type("display_data"))
    help_text += "".join(p.get("data", {}).get("text/plain", "") for p in r.reply["content"]["payload"])
    assert "--replay" in help_text and "--serial" in help_text and "--gate" in help_text


def test_plain_view_keeps_streaming_while_a_statement_runs(kernel):
    busy = "t = 0\nfor i in range(3_000_000):\n    t += i\n"
    after = "".join(f"later_{i} = {i}\n" for i in range(30))
    r = kernel.execute(eager("--rate 100", busy + after))
    assert r.status == "ok", r.reply["content"]
    sequence = []
    for m in r.of_type("display_data", "update_display_data"):
        markdown = m["content"]["data"].get("text/markdown", "")
        kind = "update" if m["msg_type"] == "update_display_data" else "display"
        sequence.append((kind, markdown))
    loop_block = next(i for i, (k, md) in enumerate(sequence) if k == "display" and "for i in range" in md)
    next_block = next(i for i, (k, md) in enumerate(sequence) if k == "display" and "later_0 = 0" in md)
    streamed_meanwhile = [
        md for k, md in sequence[loop_block:next_block] if k == "update" and "later_" in md
    ]
    assert streamed_meanwhile, "the header showed no new code while the loop ran"
