"""IPython magics as the gate sees them: a short list runs, everything else is held.

After ``shell.transform_cell``, ``%name args`` is ``get_ipython().run_line_magic('name', 'args')``,
``%%name args\\nbody`` is ``get_ipython().run_cell_magic('name', 'args', 'body')``, and automagic and
aliases (a bare ``rm x``, ``ls``, ``pwd``) become line magics too. :func:`classify` takes the magic's
name and text and answers one of three things:

- harmless: it only shows or configures display (``%matplotlib``, ``%who``, ``%pwd``, ``%precision``,
  ``%config InlineBackend.*``);
- code: it runs Python the gate must check like any statement (``%time``, ``%timeit``, ``%%capture``),
  returned with that code;
- held, with a category: a known one (``%rm`` runs a shell command, ``%config`` changes settings,
  ``%load_ext`` imports code) or "not on the list of harmless magics" for any other name.

Validate a change with ``tests/test_gate.py`` (the magic rows of both tables).
"""

from __future__ import annotations

from .capabilities import DYNAMIC, FILES, MAGIC, PROCESS, SECRETS, SETTINGS

__all__ = ["HARMLESS_CELL", "HARMLESS_LINE", "classify"]


def _words(text: str) -> list[str]:
    return text.split()

#: line magics that only show things or set display options
HARMLESS_LINE: frozenset[str] = frozenset(
    _words(
        "matplotlib who whos who_ls pwd precision pprint xmode lsmagic magic quickref pinfo pinfo2 pdoc "
        "pdef psource pfile page colors time timeit"
    )
)
#: cell magics that only display their body, or run it as Python (checked)
HARMLESS_CELL: frozenset[str] = frozenset(_words("time timeit capture html markdown latex svg"))

_KNOWN: dict[str, str] = {
    **{m: PROCESS for m in _words(
        "sx system bash sh script perl ruby python python2 python3 pypy rm cp mv mkdir rmdir cat ls ll lf "
        "lk lx ldir clear less man more alias unalias rehashx pip conda mamba micromamba uv killbgscripts "
        "cd pushd popd dhist bookmark"
    )},
    **{m: FILES for m in _words("writefile save logstart logon logstop store history edit notebook")},
    **{m: DYNAMIC for m in _words(
        "run load load_ext reload_ext unload_ext prun debug macro recall rerun autoawait pylab reset "
        "reset_selective xdel autocall automagic doctest_mode code_wrap javascript js"
    )},
    "config": SETTINGS,
    "env": SECRETS,
    "set_env": SECRETS,
}


def _timeit_code(line: str) -> str:
    """The statement of ``%timeit -n 10 -r 3 f(x)``: its options stripped."""
    words = line.split()
    i = 0
    while i < len(words) and words[i].startswith("-"):
        flag = words[i]
        i += 2 if flag in ("-n", "-r", "-p") else 1
    return " ".join(words[i:])


def classify(name: str, line: str, body: str | None) -> tuple[str, str]:
    """``("run", "")``, ``("code", source)`` or ``(category, what)`` for the magic ``%name line``
    (``%%name line`` over ``body`` when ``body`` is not None)."""
    cell = body is not None
    harmless = HARMLESS_CELL if cell else HARMLESS_LINE
    if name == "config" and not cell and line.strip().startswith("InlineBackend."):
        return "run", ""  # the inline figures' format: display only
    if name not in harmless:
        return _KNOWN.get(name, MAGIC), f"%{'%' if cell else ''}{name}"
    if name == "timeit":
        setup = _timeit_code(line)
        return "code", f"{setup}\n{body}" if body is not None else setup
    if name == "time":
        return "code", body if body is not None else line
    if name == "capture":
        return "code", body or ""
    return "run", ""
