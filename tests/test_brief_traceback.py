"""What a repair request and a tool result carry of a failure: the program's frames whole, library
frames folded (``eager_jupyter/executor/brief.py``). Pure: also run on 3.12 and 3.13, whose
tracebacks differ (carets, colours)."""

from __future__ import annotations

import importlib.util
import linecache
import sys
import textwrap
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from eager_jupyter.executor.brief import brief_traceback, library_of

CELL = "<cell-brief>"


def _module(path: Path, name: str, text: str) -> ModuleType:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure(program: str, names: dict[str, Any]) -> tuple[str, str]:
    """(brief, full) tracebacks of running ``program`` as a cell."""
    linecache.cache[CELL] = (0, None, program.splitlines(keepends=True), CELL)
    try:
        exec(compile(program, CELL, "exec"), dict(names))
    except BaseException:
        info = sys.exc_info()
        return brief_traceback(info), "".join(traceback.format_exception(*info))
    raise AssertionError("the program did not fail")


@pytest.fixture
def fakelib(tmp_path: Path) -> ModuleType:
    """An installed library: a call that goes three frames deep and raises from a chained cause."""
    return _module(
        tmp_path / "site-packages" / "fakelib" / "core.py",
        "fakelib_core",
        """
        def _lookup(table, key):
            return table[key]

        def _locate(table, key):
            return _lookup(table, key)

        def get(table, key):
            try:
                return _locate(table, key)
            except KeyError as err:
                raise LookupError(f"no column {key!r}") from err
        """,
    )


def test_library_frames_fold_and_the_program_line_stays(fakelib: ModuleType) -> None:
    brief, full = _failure("table = {'a': 1}\nvalue = get(table, 'b')\n", {"get": fakelib.get})
    assert 'File "<cell-brief>", line 2' in brief and "value = get(table, 'b')" in brief
    assert "[3 frames in fakelib]" in brief  # the cause: get, _locate and _lookup
    assert "raise LookupError" in brief  # the frame that raised what is shown last stays ...
    assert 'File "fakelib/core.py", line' in brief and "site-packages" not in brief  # ... named short
    assert "return _locate(table, key)" not in brief and "return table[key]" not in brief
    assert "KeyError: 'b'" in brief and "LookupError: no column 'b'" in brief
    assert "direct cause" in brief
    assert len(brief) < len(full)


def test_the_users_own_modules_are_the_program(tmp_path: Path, fakelib: ModuleType) -> None:
    mine = _module(
        tmp_path / "work" / "helpers.py",
        "helpers_mine",
        """
        def column(table, key):
            return GET(table, key)
        """,
    )
    mine.GET = fakelib.get  # type: ignore[attr-defined]
    brief, _ = _failure("column({}, 'x')\n", {"column": mine.column})
    assert "helpers.py" in brief and "return GET(table, key)" in brief
    assert library_of(str(tmp_path / "work" / "helpers.py")) is None


def test_the_standard_library_folds_under_its_name() -> None:
    brief, _ = _failure("import json\njson.loads('{bad')\n", {})
    assert "in the standard library]" in brief and 'File "json/decoder.py"' in brief
    assert "json.loads('{bad')" in brief
    assert "JSONDecodeError: Expecting property name" in brief


def test_recursion_in_the_program_still_says_how_often_it_repeated() -> None:
    brief, _ = _failure("def f(n):\n    return f(n + 1)\nf(0)\n", {})
    assert "Previous line repeated" in brief and "RecursionError" in brief
    assert len(brief.splitlines()) < 20


def test_a_failure_without_library_frames_reads_as_traceback_prints_it() -> None:
    brief, full = _failure("try:\n    1 / 0\nexcept Exception:\n    raise ValueError('x')\n", {})
    assert brief == full


def test_which_files_are_libraries() -> None:
    assert library_of("/v/lib/python3.11/site-packages/pandas/core/frame.py") == "pandas"
    assert library_of("/usr/lib/python3/dist-packages/six.py") == "installed modules"
    assert library_of("pandas/_libs/index.pyx") == "pandas"
    assert library_of(json_file()) == "the standard library"
    assert library_of("<ipython-input-3-abc>") is None
    assert library_of("/tmp/ipykernel_12/123.py") is None


def json_file() -> str:
    import json

    return str(json.__file__)


def test_nothing_to_say_without_an_exception() -> None:
    assert brief_traceback(None) == ""
