from __future__ import annotations

import pytest

from eager_jupyter.gate import Gate, is_definition_only


def decide(*statements: str) -> list[str | None]:
    """The gate's reason for each statement in turn (None: runs at once)."""
    gate = Gate()
    reasons = []
    for statement in statements:
        decision = gate.check(statement)
        reasons.append(decision.reason if decision.held else None)
    return reasons


@pytest.mark.parametrize(
    ("code", "word"),
    [
        ("import subprocess\nsubprocess.run(['ls'])", "subprocess.run"),
        ("import shutil\nshutil.rmtree('x')", "shutil.rmtree"),
        ("import os\nos.remove('f')", "os.remove"),
        ("import socket\ns = socket.socket()", "socket.socket"),
        ("import time\ntime.sleep(1)", "time.sleep"),
        ("import threading\nt = threading.Thread(target=print)", "threading.Thread"),
        ("import signal\nsignal.alarm(1)", "signal.alarm"),
        ("import multiprocessing as mp\npool = mp.Pool()", "multiprocessing.Pool"),
        ("x = eval('1 + 1')", "eval"),
        ("exec('y = 2')", "exec"),
        ("code = compile('1', 'f', 'eval')", "compile"),
        ("m = __import__('json')", "__import__"),
    ],
)
def test_risky_calls_are_held_with_a_reason(code, word):
    reason = decide(code)[0]
    assert reason is not None and word in reason


def test_imports_alone_are_not_held_but_aliases_are_followed():
    reasons = decide("import subprocess as sp", "from shutil import rmtree", "x = 1", "sp.call(['ls'])")
    assert reasons[:3] == [None, None, None]
    assert reasons[3] is not None and "subprocess.call" in reasons[3]
    assert "shutil.rmtree" in (decide("from shutil import rmtree", "rmtree('d')")[1] or "")


def test_everything_after_a_held_statement_is_held():
    reasons = decide("import os", "os.system('ls')", "a = 1", "b = 2")
    assert reasons[0] is None
    assert all(r is not None for r in reasons[1:])
    assert "after a held statement" in (reasons[2] or "")


def test_allow_list_and_rebound_names():
    assert decide("import os", "p = os.path.join('a', 'b')", "e = os.environ.get('HOME')") == [None] * 3
    assert decide("import time", "t0 = time.perf_counter()") == [None, None]
    # a name the program rebinds is its own variable, not the module
    assert decide("time = [1, 2]", "total = sum(time)") == [None, None]


def test_ipython_escapes_after_transform():
    assert "shell command" in (decide("get_ipython().system('ls')")[0] or "")
    assert "shell command" in (decide("files = get_ipython().getoutput('ls')")[0] or "")
    assert "installs packages" in (decide("get_ipython().run_line_magic('pip', 'install x')")[0] or "")
    assert decide("get_ipython().run_line_magic('matplotlib', 'inline')") == [None]


def test_deny_and_allow_are_configurable():
    gate = Gate({"requests": "network access"}, ())
    assert "network access" in (gate.check("import requests\nr = requests.get('u')").reason or "")
    assert Gate(allow=("os.listdir",)).check("import os\nfiles = os.listdir('.')").held is False


def test_definition_only():
    import ast

    assert is_definition_only(ast.parse("def f():\n    return 1\n"))
    assert is_definition_only(ast.parse("@dec\nclass A:\n    pass\n"))
    assert not is_definition_only(ast.parse("def f(): pass\nf()\n"))
    assert not is_definition_only(ast.parse("x = 1\n"))
