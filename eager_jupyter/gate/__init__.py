"""The gate: which released statements may run while generation goes on, and why not.

A statement runs the moment it is complete, before anyone has read the program it belongs to. The gate
looks at what each statement *reaches for* and holds the ones with side effects until generation has
ended (then they run in order, unless approval says otherwise); once one statement is held, every
statement after it is held too, so the program's order never changes. It is a check, not a sandbox:
it sees the code, not what the code does at run time.

**What is held, by capability** (the tables are in :mod:`.capabilities`; each hold names its category):

- processes and shell: ``subprocess``, ``os.system``/``popen``/``exec*``/``spawn*``/``fork``/``kill``
  (everything in ``os`` but a read-only list: ``os.path``, ``listdir``, ``getcwd``, ``stat``...),
  ``pty``, ``multiprocessing``, asyncio subprocesses, IPython's ``system``/``getoutput``/``!``;
- file writes and deletes: ``open`` (and ``io.open``, ``os.fdopen``, ``gzip.open``, ``zipfile``,
  ``tarfile``) with a write, append or create mode or a mode it cannot read; ``pathlib`` writers,
  ``os.remove``/``rename``/``makedirs``..., ``shutil``, ``tempfile``, pandas ``to_*`` writers given a
  path, numpy ``save*``/``tofile``, ``savefig``, ``pickle.dump``, ``json.dump``;
- network: ``socket``, ``ssl``, ``urllib.request``, ``http.client``, ``requests``, ``httpx``,
  ``aiohttp``, ``smtplib``, ``ftplib``, ``webbrowser``...; pandas/numpy readers given a URL literal;
- dynamic code and imports: ``exec``/``eval``/``compile``/``__import__``, ``importlib``,
  ``sys.modules`` (all of ``sys`` but a read-only list), ``builtins``/``__builtins__``, ``globals()``/
  ``vars()``/``locals()``, ``getattr``/``setattr``/``delattr`` with a computed name, object internals
  (``__dict__``, ``__globals__``, ``__subclasses__``, frames), ``pickle``/``marshal``/``dill`` loads,
  ``ctypes``/``cffi``, IPython's ``run_cell``/``ex``/``ev``/``run_code`` (any shell attribute but
  ``system``, the magic runners and ``get_ipython``);
- the environment's secrets: ``os.environ[...]``/``.get``/``os.getenv`` of a name like ``*KEY*``,
  ``*TOKEN*``, ``*SECRET*``, ``*PASS*`` or one it cannot read; the whole ``os.environ`` used as a value
  (``dict(os.environ)``, ``.items()``, a loop over it); changing the environment;
- waiting, threads and signals: ``time.sleep``, ``threading``, ``signal``, thread pools (the clock
  reads, ``time.time`` and ``time.perf_counter``, are not held);
- this extension's settings: ``%config`` (but ``InlineBackend.*``), the shell's ``config``, anything
  in ``eager_jupyter``.

**Magics** (:mod:`.magics`): a short list runs (``%matplotlib``, ``%who``, ``%pwd``, ``%precision``,
``%%html``...); ``%time``, ``%timeit`` and ``%%capture`` run when the code they time passes the gate;
every other magic, aliases and automagic (a bare ``rm x``) included, is held; a magic whose name is
not a literal is held.

**How a reference is resolved** (:mod:`.resolve`): through the kernel's namespace as it is when the
statement is released (a ``Mapping`` passed in), the names earlier statements of this run bound
(``import os as o``, ``o2 = os``, ``from os import *``; a name once bound to something held stays so),
``sys.modules`` and the builtins; attributes through modules' ``__dict__`` and
``inspect.getattr_static``, never by calling, so ``pathlib.os.system``, ``pd.io.common.os``,
``tempfile._os``, ``ip = get_ipython(); ip.system`` are found for what they are, and a method of a
value whose class is known goes by the class (``df.to_csv`` on a DataFrame in the namespace is
``NDFrame.to_csv``: held; ``df.head`` runs). Nothing is ever called, no property or ``__getattr__``
is triggered.

**What cannot be resolved**: a name from ``from x import *`` of a module that is not loaded, a magic's
name or code that is not a literal, an attribute name that is computed: held ("cannot tell what this
calls"). Values whose type is not known yet (the result of a call, a parameter, a name bound earlier
in the run whose statement has not run): their methods run, except those named like a writer,
process or network call (``to_csv``, ``savefig``, ``write_text``, ``unlink``, ``write``, ``system``,
``urlopen``; :data:`.capabilities.UNKNOWN_RECEIVER`). So ordinary analysis runs at once: user
functions, methods of DataFrames, arrays, lists and dicts, numpy/pandas/matplotlib/scikit-learn
calls, ``print``/``display``, reading files.

**Low yield**: a statement that only defines (``def``, ``class``) is merged with the next one
(:func:`is_definition_only`); the gate still checks its body, since calling it later runs it.

**Configuration**: ``Gate(deny, allow)``: ``deny`` maps extra names to the reason shown
(``{"requests": "network access"}``, held wherever reached); ``allow`` lists dotted prefixes let
through whatever the tables say (``["os.listdir"]``). ``DEFAULT_DENY`` and ``DEFAULT_ALLOW`` are empty:
the tables are the defaults.

Validate a change with ``tests/test_gate.py`` (tables of held and harmless statements, pure) and
``tests/test_gate_kernel.py`` (the same statements streamed in a real kernel); measure the cost with
``python -m eager_jupyter.bench.gate_speed``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .capabilities import UNKNOWN
from .check import Checker, Hold, Program

__all__ = ["DEFAULT_ALLOW", "DEFAULT_DENY", "Decision", "Gate", "GateDecision", "is_definition_only"]

#: extra names to hold, name -> the reason shown (the capability tables hold the rest)
DEFAULT_DENY: dict[str, str] = {}
#: extra dotted prefixes to let through
DEFAULT_ALLOW: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateDecision:
    held: bool
    reason: str | None = None
    category: str | None = None  # process files network dynamic secrets settings threads magic unknown


Decision = GateDecision


def is_definition_only(tree: ast.Module) -> bool:
    """True when a statement only defines functions or classes (nothing of its own to run)."""
    return bool(tree.body) and all(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for node in tree.body
    )


class Gate:
    """Decides, statement by statement in program order, whether to hold it until generation ends."""

    def __init__(self, deny: Mapping[str, str] | None = None, allow: Iterable[str] | None = None) -> None:
        self.deny = dict(DEFAULT_DENY if deny is None else deny)
        self.allow = tuple(DEFAULT_ALLOW if allow is None else allow)
        self._program = Program()
        self._holding: str | None = None

    def new_round(self) -> None:
        """A new generation (a ``--fix`` round) starts: what held the last one holds nothing here; what
        the program bound so far is kept."""
        self._holding = None

    def check(
        self, transformed: str, tree: ast.Module | None = None, namespace: Mapping[str, Any] | None = None
    ) -> GateDecision:
        """Decide for the next statement (IPython-transformed source, its tree) against the kernel's
        namespace as it is now, and remember what it binds for the statements after it."""
        if tree is None:
            try:
                tree = ast.parse(transformed)
            except SyntaxError:
                tree = None
        hold = None
        if tree is not None:
            try:
                hold = Checker(self._program, namespace or {}, self.deny, self.allow).module(tree)
            except Exception as error:  # an object no rule foresaw: hold rather than guess
                hold = Hold(UNKNOWN, f"cannot tell what this calls (the gate failed: {type(error).__name__})")
        if self._holding is not None:
            if hold is not None:
                return GateDecision(True, hold.reason, hold.category)
            return GateDecision(True, f"after a held statement ({self._holding})", "after")
        if hold is not None:
            self._holding = hold.reason
            return GateDecision(True, hold.reason, hold.category)
        return GateDecision(False)
