"""Cell fidelity in a real kernel: the same body run as a plain cell and as
``%%eager --replay --rate 400 --view plain`` must reach the frontend the same way, output by output.

Normalised away, and only that: execution counts (``Cell In[N]``, ``execute_result`` counts), the cell
file names (the kernel's ``<tmp>/ipykernel_<pid>/<hash>.py``), ANSI colours, our own outputs (those whose
metadata carries ``eager_jupyter``) and the run's closing one-line ``StatementError``. Consecutive stream
messages are joined (a cell and a run may flush a print in different pieces).

One kernel for the module; tests that change its state (``%xmode``, ``%pdb``) put it back.
``%debug`` and ``%pdb`` are driven through the kernel's stdin channel, as a frontend does.
"""

from __future__ import annotations

import json
import queue
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from kernel_harness import Execution

pytestmark = pytest.mark.kernel

EAGER = "%%eager --replay --rate 400 --view plain\n"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_FILE = re.compile(r"(?:/[^\s:()]*)?/ipykernel_\d+/\d+\.py")
_IN = re.compile(r"In\[\d+\]")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def run(kernel: Any, code: str, answers: list[str] | None = None, timeout: float = 60) -> Execution:
    """Execute ``code``; with ``answers``, allow stdin and answer each input request in turn
    (``q`` once they run out); without, the frontend has no stdin (as nbclient)."""
    client = kernel.client
    allow = answers is not None
    pending = list(answers or [])
    msg_id = client.execute(code, allow_stdin=allow)
    outputs: list[dict[str, Any]] = []
    prompts: list[str] = []
    while True:
        if allow:
            try:
                request = client.get_stdin_msg(timeout=0.02)
            except queue.Empty:
                pass
            else:
                prompts.append(request["content"]["prompt"])
                client.input(pending.pop(0) if pending else "q")
        try:
            msg = client.get_iopub_msg(timeout=0.02 if allow else timeout)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        if msg["msg_type"] != "execute_input":
            outputs.append(msg)
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=30)
    result = Execution(reply, outputs)
    result.prompts = prompts  # type: ignore[attr-defined]
    return result


def _text(text: str) -> str:
    text = _IN.sub("In[#]", _CELL_FILE.sub("<cell>", _ANSI.sub("", text)))
    return _ADDRESS.sub(" at 0x#", text)


def seen(r: Execution) -> list[tuple[Any, ...]]:
    """What the frontend shows, in order, normalised (see the module docstring)."""
    out: list[tuple[Any, ...]] = []
    for msg in r.outputs:
        kind, content = msg["msg_type"], msg["content"]
        if "eager_jupyter" in json.dumps(content.get("metadata", {})):
            continue
        if kind == "stream":
            if out and out[-1][:2] == ("stream", content["name"]):
                out[-1] = ("stream", content["name"], out[-1][2] + _text(content["text"]))
            else:
                out.append(("stream", content["name"], _text(content["text"])))
        elif kind in ("execute_result", "display_data"):
            data = {k: (_text(v) if k == "text/plain" else v) for k, v in content["data"].items()}
            out.append(("result" if kind == "execute_result" else "display", data))
        elif kind == "error":
            if content["ename"] == "StatementError":
                continue
            out.append(("error", content["ename"], _text("\n".join(content["traceback"]))))
        elif kind not in ("comm_open", "comm_msg", "comm_close", "clear_output", "update_display_data"):
            out.append((kind,))
    return out


def same_as_a_cell(
    kernel: Any, body: str, answers: list[str] | None = None, *, fresh: tuple[str, ...] = ()
) -> tuple[Execution, Execution]:
    """Run ``body`` as a cell, then as an eager run; ``fresh`` names are deleted before each."""
    body = textwrap.dedent(body).lstrip("\n")
    forget = f"for _n in {list(fresh)!r}: globals().pop(_n, None)"
    if fresh:
        run(kernel, forget)
    cell = run(kernel, body, answers)
    if fresh:
        run(kernel, forget)
    eager = run(kernel, EAGER + body, answers)
    assert seen(eager) == seen(cell)
    return cell, eager


def one_statement_error_line(r: Execution) -> str:
    """A failed run fails the cell with ONE line naming the statement."""
    assert r.status == "error" and r.ename == "StatementError", r.reply["content"]
    last = r.of_type("error")[-1]["content"]
    assert last["ename"] == "StatementError" and len(last["traceback"]) == 1
    return str(last["evalue"])


@pytest.fixture
def xmode(kernel: Any) -> Iterator[Any]:
    yield lambda mode: run(kernel, f"%xmode {mode}")
    run(kernel, "%xmode Context")


# ---- 1. a blank or comment line after the last expression ------------------------------------------
@pytest.mark.parametrize("tail", ["\n\n", "# the end\n", "\n# the end\n\n"])
def test_blank_or_comment_lines_after_the_last_expression_keep_out(kernel, tail):
    cell, _ = same_as_a_cell(kernel, "x5 = 5\nx5\n" + tail)
    assert [o[1]["text/plain"] for o in seen(cell) if o[0] == "result"] == ["5"]


# ---- 2. %tb, sys.last_value, %debug, %pdb act on the program's exception ---------------------------
FAILING = """
def half(a):
    b = a * 2
    return b / 0

x = 3
half(x)
"""


def test_tb_and_last_value_are_the_programs_exception(kernel):
    body = textwrap.dedent(FAILING).lstrip("\n")
    cell = run(kernel, body)
    tb_after_cell = run(kernel, "%tb")
    eager = run(kernel, EAGER + body)
    assert "statement 3 (line 6)" in one_statement_error_line(eager)
    tb_after_eager = run(kernel, "%tb")
    assert seen(eager) == seen(cell)
    assert seen(tb_after_eager) == seen(tb_after_cell)
    assert "----> 3     return b / 0" in seen(tb_after_eager)[0][2]
    run(kernel, "import sys")
    last = kernel.value("[type(sys.last_value).__name__, sys.last_traceback.tb_next.tb_frame.f_code.co_name]")
    assert last == ["ZeroDivisionError", "<module>"]  # run_code's frame, then the program's


def test_debug_through_stdin_opens_in_the_programs_frame(kernel):
    body = textwrap.dedent(FAILING).lstrip("\n")
    commands = ["where", "p b", "q"]
    run(kernel, body)
    after_cell = run(kernel, "%debug", commands)
    eager = run(kernel, EAGER + body)
    one_statement_error_line(eager)
    after_eager = run(kernel, "%debug", commands)
    assert after_eager.prompts == after_cell.prompts == ["ipdb> "] * 3  # type: ignore[attr-defined]
    assert seen(after_eager) == seen(after_cell)
    text = "".join(o[2] for o in seen(after_eager) if o[0] == "stream")
    assert "<cell>(3)half()" in text and "<cell>(6)<module>()" in text  # where: the program's frames
    assert "\n6\n" in text  # p b
    assert "engine" not in text and "_fail" not in text


def test_pdb_on_enters_once_at_the_failing_line_after_the_run(kernel):
    run(kernel, "%pdb on")
    try:
        cell, eager = same_as_a_cell(kernel, FAILING, ["p b", "q"])
    finally:
        run(kernel, "%pdb off")
    assert cell.prompts == eager.prompts == ["ipdb> "] * 2  # type: ignore[attr-defined]
    one_statement_error_line(eager)
    kinds = [m["msg_type"] for m in eager.outputs if "eager_jupyter" not in json.dumps(m["content"])]
    # the statement's traceback, the cell's line, then the debugger (the run had ended)
    assert kinds.index("stream") > [i for i, k in enumerate(kinds) if k == "error"][-1]
    assert kernel.value("_eager.status") == "error"


def test_pdb_on_without_stdin_nothing_escapes_and_the_record_is_final(kernel):
    run(kernel, "%pdb on")
    try:
        eager = run(kernel, EAGER + textwrap.dedent(FAILING).lstrip("\n"))  # no stdin, as nbclient
    finally:
        run(kernel, "%pdb off")
    assert "statement 3 (line 6)" in one_statement_error_line(eager)
    assert [o[1] for o in seen(eager) if o[0] == "error"] == ["ZeroDivisionError"]
    assert "StdinNotImplementedError" not in json.dumps([m["content"] for m in eager.outputs])
    record = kernel.value("_eager.to_dict()")
    assert record["status"] == "error"
    assert [s["status"] for s in record["statements"]] == ["done", "done", "error"]


# ---- 3. a traceback names its own cell -----------------------------------------------------------
def test_identical_runs_name_their_own_cell(kernel):
    numbers = []
    for _ in range(2):
        r = run(kernel, EAGER + "1/0\n")
        one_statement_error_line(r)
        count = r.reply["content"]["execution_count"]
        text = _ANSI.sub("", "\n".join(r.of_type("error")[0]["content"]["traceback"]))
        assert f"Cell In[{count}], line 1" in text
        numbers.append(count)
    assert numbers[1] == numbers[0] + 1


# ---- 4 and 7. the same frames, context lines and layout as a cell, in every %xmode ---------------
TRACEBACK = """
import math


def area(r):

    scale = math.pi
    # a comment inside
    return scale * r ** 2 + undefined_name


values = [1, 2]

total = sum(area(v) for v in values)
"""


@pytest.mark.parametrize("mode", ["Plain", "Context", "Verbose", "Minimal"])
def test_traceback_equals_a_cells_in_every_xmode(kernel, xmode, mode):
    xmode(mode)
    _, eager = same_as_a_cell(kernel, TRACEBACK)
    errors = [o for o in seen(eager) if o[0] == "error"]
    assert len(errors) == 1 and errors[0][1] == "NameError"
    if mode != "Minimal":
        text = errors[0][2]
        assert "In[#], line 13" in text  # the statement's own frame, Plain included
        assert "<genexpr>" in text and "in area" in text and "return scale" in text
        assert "run_code" not in text and "executor" not in text


# ---- 5. Out[] before the figures --------------------------------------------------------------------
def test_out_comes_before_the_figure_as_in_a_cell(kernel):
    _, eager = same_as_a_cell(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n")
    kinds = [o[0] if o[0] == "result" else "image" for o in seen(eager) if o[0] in ("result", "display")]
    assert kinds == ["result", "image"]


# ---- 6. tools that read source find eager code --------------------------------------------------------
def test_eager_code_lives_in_a_cell_file_kept_for_the_session(kernel):
    run(kernel, "def in_a_cell():\n    return 1\n")
    r = run(kernel, EAGER + "def kept_source(n):\n    return n + 1\nkept_source(1)\n")
    assert r.status == "ok"
    for i in range(21):  # more runs than any cache of recent runs would keep
        assert run(kernel, EAGER + f"filler_{i} = {i}\n").status == "ok"
    files = kernel.value(
        "[kept_source.__code__.co_filename, in_a_cell.__code__.co_filename,"
        " __import__('inspect').getsource(kept_source)]"
    )
    eager_file, cell_file, source = files
    # named like the kernel's own cell files (what line_profiler and debuggers recognise)
    assert eager_file != cell_file and eager_file.rsplit("/", 1)[0] == cell_file.rsplit("/", 1)[0]
    assert source == "def kept_source(n):\n    return n + 1\n"
    failed = run(kernel, "kept_source(None)")
    text = _ANSI.sub("", failed.of_type("error")[0]["content"]["traceback"][-2])
    assert "return n + 1" in text and "Could not get source" not in text


# ---- 8. a line magic whose argument runs onto the next line --------------------------------------------
def test_magic_argument_on_the_next_line_fails_as_in_a_cell(kernel):
    _, eager = same_as_a_cell(kernel, "%time y8 = (1 +\n  2)\n")
    assert one_statement_error_line(eager).startswith("statement 1 (line 1) failed: IndentationError")
    assert kernel.value("'y8' in globals()") is False


# ---- 10. no automagic on a one-line statement; indentation as in a cell -------------------------------
@pytest.mark.parametrize("name", ["history", "who"])
def test_a_call_is_not_turned_into_a_magic(kernel, name):
    body = f"def {name}(n):\n    print('mine', n * 2)\n{name}(21)\n"
    _, eager = same_as_a_cell(kernel, body, fresh=(name,))
    assert ("stream", "stdout", "mine 42\n") in seen(eager)
    run(kernel, f"del {name}")


def test_a_stray_indented_line_fails_as_in_a_cell(kernel):
    _, eager = same_as_a_cell(kernel, "first_line = 1\n  indented = 2\n")
    assert "IndentationError" in one_statement_error_line(eager)


def test_a_program_indented_as_a_whole_runs_as_in_a_cell(kernel):
    same_as_a_cell(kernel, "    w1 = 2\n    w2 = w1 * 3\n    w2\n")


# ---- issue 14: an unterminated string: the one-line SyntaxError, no internal frames -------------------
def test_unterminated_string_is_a_cells_syntax_error(kernel):
    _, eager = same_as_a_cell(kernel, 'ok_before = 1\ns14 = "abc\n')
    assert "SyntaxError" in one_statement_error_line(eager)


def test_unterminated_triple_quoted_string_has_no_internal_frames(kernel):
    eager = run(kernel, EAGER + 'ok_before = 1\ns14 = """abc\n')
    one_statement_error_line(eager)
    errors = [o for o in seen(eager) if o[0] == "error"]
    assert len(errors) == 1
    text = errors[0][2]
    assert text.splitlines()[0].strip() == "Cell In[#], line 2"
    assert 's14 = """abc' in text and "SyntaxError: unterminated triple-quoted string literal" in text
    assert "File " not in text and "During handling" not in text and "Traceback" not in text


# ---- compiled as a cell's nodes: future imports carry on, parse warnings at the program's line -------
def test_a_future_import_applies_to_later_statements_as_in_a_cell(kernel):
    body = "from __future__ import annotations\ndef g(x: nowhere) -> int:\n    return 1\ng.__annotations__\n"
    _, eager = same_as_a_cell(kernel, body)
    assert eager.status == "ok"


def test_parse_warnings_follow_the_users_filters_as_in_a_cell(kernel):
    run(kernel, "import warnings")
    same_as_a_cell(kernel, 'a = 1\ns = "\\d"\n')  # a cell file's DeprecationWarning is ignored by default
    run(kernel, "warnings.simplefilter('always')")
    try:
        body = 'a = 1\n\ns = "\\d"\n'
        cell, eager = run(kernel, body), run(kernel, EAGER + body)
    finally:
        run(kernel, "warnings.resetwarnings()")
        run(kernel, "warnings.simplefilter('default', DeprecationWarning, module='__main__')")
    # the kernel also compiles a cell's raw text for its own checks ("<>:3: ..."); the rest is equal
    assert [o for o in seen(eager) if o[0] == "stream"] == [
        ("stream", "stderr", "".join(line for line in o[2].splitlines(True) if not line.startswith("<>:")))
        for o in seen(cell)
        if o[0] == "stream"
    ]
    assert "<cell>:3: DeprecationWarning" in seen(eager)[0][2]


def test_lprun_reads_eager_code(kernel):
    if not kernel.value("__import__('importlib.util').util.find_spec('line_profiler') is not None"):
        pytest.skip("line_profiler is not installed")
    assert run(kernel, "%load_ext line_profiler").status == "ok"
    program = "def work(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    assert run(kernel, EAGER + program).status == "ok"
    r = run(kernel, "%lprun -f work work(100)")
    page = "".join(p.get("data", {}).get("text/plain", "") for p in r.reply["content"].get("payload", []))
    assert "t += i" in page and "Could not find file" not in page


def test_pdb_on_opens_no_debugger_for_a_syntax_error_as_in_a_cell(kernel):
    run(kernel, "%pdb on")
    try:
        cell, eager = same_as_a_cell(kernel, "ok_first = 1\nreturn 5\n", ["q"])
    finally:
        run(kernel, "%pdb off")
    assert cell.prompts == eager.prompts == []  # type: ignore[attr-defined]
    assert "SyntaxError" in one_statement_error_line(eager)


REJECTER = """
import ast
from IPython.core.error import InputRejected
class _NoSecret(ast.NodeTransformer):
    def visit_Name(self, node):
        if node.id == "secret":
            raise InputRejected("no secret here")
        return node
get_ipython().ast_transformers.append(_NoSecret())
"""


def test_an_ast_transformer_rejecting_input_shows_as_in_a_cell(kernel):
    assert run(kernel, REJECTER).status == "ok"
    try:
        _, eager = same_as_a_cell(kernel, "a = 1\nb = secret\n")
    finally:
        run(kernel, "get_ipython().ast_transformers[:] = [t for t in get_ipython().ast_transformers"
                    " if type(t).__name__ != '_NoSecret']")
    assert "InputRejected" in one_statement_error_line(eager)
    assert "core.py" not in seen(eager)[0][2]  # none of the executor's frames
