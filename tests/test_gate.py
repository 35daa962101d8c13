"""The gate, pure: tables of statements with side effects (held, with their category) and of ordinary
analysis code (never held), each checked two ways: with the setup lines only seen earlier in the
program (not run yet: the gate follows them by name), and with the setup run into the namespace the
gate is given (it resolves through the live objects). No IPython import: the shell is a stand-in
whose class says it is IPython's ``InteractiveShell``, or the real class when IPython is installed.
"""

from __future__ import annotations

import ast
import builtins
import functools
import os
from typing import Any

import pytest
from gate_cases import HARMLESS, HELD, Case

from eager_jupyter.gate import Gate, is_definition_only
from eager_jupyter.gate.capabilities import CATEGORIES


class _StandInShell:
    """Looks like IPython's shell to the gate (module and name of its class)."""

    def get_ipython(self) -> _StandInShell:
        return self


_StandInShell.__module__ = _StandInShell.get_ipython.__module__ = "IPython.core.interactiveshell"
_StandInShell.__name__ = _StandInShell.__qualname__ = "InteractiveShell"
_StandInShell.get_ipython.__qualname__ = "InteractiveShell.get_ipython"


@functools.cache
def _shell() -> Any:
    """IPython's real shell class when it is installed (an instance never initialised or run), else
    the stand-in; imported on first use, so this module loads without IPython."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return _StandInShell()
    return InteractiveShell.__new__(InteractiveShell)


def base_namespace() -> dict[str, Any]:
    return {"__builtins__": builtins, "get_ipython": _shell().get_ipython, "_probe": False}


def statements(code: str) -> list[tuple[str, ast.Module]]:
    return [(ast.unparse(node), ast.Module([node], [])) for node in ast.parse(code).body]


def decide(case: Case, how: str) -> tuple[Gate, Any]:
    """Feed the setup to a fresh gate (``program``) or run it into the namespace (``namespace``),
    then check the statement; the setup itself must never be held."""
    gate, namespace = Gate(), base_namespace()
    if how == "namespace":
        try:
            exec(compile(case.setup, "<setup>", "exec"), namespace)
        except ImportError as error:
            pytest.skip(f"not installed here: {error}")
    else:
        for text, tree in statements(case.setup):
            assert not gate.check(text, tree, namespace).held, text
    return gate, gate.check(case.code, ast.parse(case.code), namespace)


def _id(case: Case) -> str:
    return case.statement.splitlines()[0][:50]


@pytest.mark.parametrize("how", ["program", "namespace"])
@pytest.mark.parametrize("case", HELD, ids=_id)
def test_side_effects_are_held_with_their_category(case: Case, how: str) -> None:
    if how == "namespace" and "missing" in case.setup:
        pytest.skip("the point is a module that is never loaded")
    _, decision = decide(case, how)
    assert decision.held, case.code
    assert decision.category == case.category, decision.reason
    magic = case.category == "magic"
    phrase = "is not on the list of harmless magics" if magic else CATEGORIES[case.category]
    assert phrase in (decision.reason or "")


@pytest.mark.parametrize("how", ["program", "namespace"])
@pytest.mark.parametrize("case", HARMLESS, ids=_id)
def test_ordinary_analysis_is_not_held(case: Case, how: str, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    _, decision = decide(case, how)
    assert not decision.held, decision.reason


def test_the_tables_are_big_enough_and_cover_every_category() -> None:
    assert len(HELD) >= 60 and len(HARMLESS) >= 60
    assert {c.category for c in HELD} == set(CATEGORIES) - {"config"}


def test_everything_after_a_held_statement_is_held_and_says_why() -> None:
    gate = Gate()
    codes = ["import os", "os.system('ls')", "a = 1", "open('f', 'w')"]
    decisions = [gate.check(c, ast.parse(c)) for c in codes]
    assert [d.held for d in decisions] == [False, True, True, True]
    assert "after a held statement (runs a process" in (decisions[2].reason or "")
    assert decisions[3].category == "files"  # its own reason when it has one


def test_a_module_written_then_imported_waits_for_the_write() -> None:
    gate = Gate()
    write = gate.check("with open('helper.py', 'w') as f:\n    f.write('import os')\n")
    assert write.held and write.category == "files"
    assert gate.check("import helper").held


def test_a_def_is_held_by_what_its_body_reaches_and_a_name_once_held_stays_held() -> None:
    assert Gate().check("def f():\n    import subprocess\n    subprocess.run('x')\n").category == "process"
    gate = Gate()
    for code in ["import os", "x = os", "x = 1"]:
        assert not gate.check(code).held
    assert gate.check("x.system('ls')").category == "process"


def test_nothing_is_called_while_resolving() -> None:
    calls: list[str] = []

    class Tricky:
        @property
        def system(self) -> Any:
            calls.append("property")
            return os.system

        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return os.system

    namespace = {**base_namespace(), "t": Tricky()}
    decision = Gate().check("t.system('ls')\nt.anything('ls')\nt.helper(1)", namespace=namespace)
    assert decision.category == "process"  # held by name: the property's value is unknown
    assert calls == []


def test_an_object_no_rule_foresaw_is_held_not_raised(monkeypatch: Any) -> None:
    import eager_jupyter.gate.check as check

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(check, "of_object", broken)
    decision = Gate().check("x = df.head()", namespace={"df": object()})
    assert decision.held and decision.category == "unknown" and "RuntimeError" in (decision.reason or "")


def test_deny_and_allow_are_configurable() -> None:
    gate = Gate({"requests": "network access (configured)"}, ())
    decision = gate.check("import requests\nr = requests.get('u')")
    assert decision.held and decision.category == "config"
    assert (decision.reason or "").startswith("network access (configured)")
    assert Gate(deny={"print": "no printing"}).check("print(1)").held
    assert Gate().check("import os\nos.chmod('f', 0o600)").held
    assert not Gate(allow=("os.chmod",)).check("import os\nos.chmod('f', 0o600)").held
    assert not Gate(allow=["os.listdir"]).check("import os\nfiles = os.listdir('.')").held


def test_definition_only() -> None:
    assert is_definition_only(ast.parse("def f():\n    return 1\n"))
    assert is_definition_only(ast.parse("@dec\nclass A:\n    pass\n"))
    assert not is_definition_only(ast.parse("def f(): pass\nf()\n"))
    assert not is_definition_only(ast.parse("x = 1\n"))
