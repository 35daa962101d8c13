"""The gate: which released statements may run while generation goes on, and why not.

The paper's policy (``--gate paper``, the default), a static look at the names in each statement:

- **Low yield**: a statement that only defines (``def``, ``class``, and decorated ones) has nothing to
  run worth overlapping; it is *merged* with the next statement (runs in the same batch), so a burst
  of definitions does not pay one hand-off each.
- **Held** (run, in order, once generation has ended): a statement that reaches for external side
  effects (``os``, ``subprocess``, ``shutil``, ``socket``, ``multiprocessing``: processes, files,
  network, IPC), timing or signals (``time``, ``signal``, ``threading``), or dynamic execution
  (``eval``, ``exec``, ``compile``, ``__import__``); IPython shell escapes (``!cmd``, ``%sx``) and
  magics that run processes or time code count too. Once one statement is held, every statement after
  it is held as well (the program's order is never changed).

How a reference is found: the statement is parsed with ``ast`` (after IPython's transform, so magics
appear as ``get_ipython().run_line_magic(...)`` calls); a ``Name`` or the root of an ``Attribute``
chain is looked up in the deny list, and so are names bound by imports seen earlier in the run
(``import subprocess as sp``, ``from shutil import rmtree``): the gate keeps that alias table across
statements. Importing a denied module is not itself held (it has no side effect worth gating); using
it is. The allow list takes precedence, by dotted prefix (``os.path``, ``os.environ``, ``time.time``
by default), for calls that only read.

Trade-offs: this is a static, name-based check: it can be fooled (``getattr(__builtins__, "ev"+"al")``)
and it holds some harmless code (``time.sleep(0)``). It is meant as the paper's conservative default,
not a sandbox; deployments extend the lists (``%config Eager.gate_deny``).

Validate a change with ``tests/test_gate.py`` (one case per rule, plus the alias table).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_ALLOW", "DEFAULT_DENY", "Gate", "GateDecision", "is_definition_only"]

#: name -> the category shown to the user
DEFAULT_DENY: dict[str, str] = {
    "os": "process and file-system calls",
    "subprocess": "starts processes",
    "shutil": "changes files",
    "socket": "network access",
    "multiprocessing": "starts processes",
    "time": "timing",
    "signal": "signals",
    "threading": "threads and timing",
    "eval": "dynamic execution",
    "exec": "dynamic execution",
    "compile": "dynamic execution",
    "__import__": "dynamic execution",
}

DEFAULT_ALLOW: tuple[str, ...] = (
    "os.path",
    "os.environ",
    "os.getenv",
    "os.getcwd",
    "os.sep",
    "os.linesep",
    "os.cpu_count",
    "time.time",
    "time.perf_counter",
    "time.monotonic",
)

# IPython magics (as they appear after transform_cell) that the gate holds, with the reason.
_RISKY_MAGICS: dict[str, str] = {
    "sx": "runs a shell command",
    "system": "runs a shell command",
    "bash": "runs a shell command",
    "sh": "runs a shell command",
    "script": "runs a shell command",
    "pip": "installs packages",
    "conda": "installs packages",
    "mamba": "installs packages",
    "cd": "changes the working directory",
    "run": "runs another file",
    "time": "timing",
    "timeit": "timing",
    "env": "changes the environment",
}


@dataclass(frozen=True)
class GateDecision:
    held: bool
    reason: str | None = None


def is_definition_only(tree: ast.Module) -> bool:
    """True when a statement only defines functions or classes (nothing of its own to run)."""
    return bool(tree.body) and all(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for node in tree.body
    )


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Gate:
    """Decides, statement by statement in program order, whether to hold it until generation ends."""

    def __init__(
        self, deny: dict[str, str] | None = None, allow: Iterable[str] | None = None
    ) -> None:
        self.deny = dict(DEFAULT_DENY if deny is None else deny)
        self.allow = tuple(DEFAULT_ALLOW if allow is None else allow)
        self._aliases: dict[str, str] = {}  # local name -> dotted name of what it refers to
        self._holding: str | None = None
        self._shadowed: set[str] = set()  # denied names the program rebound (``time = df.t``)

    def check(self, transformed_code: str, tree: ast.Module | None = None) -> GateDecision:
        """Decide for the next statement (IPython-transformed source) and learn its imports."""
        if tree is None:
            try:
                tree = ast.parse(transformed_code)
            except SyntaxError:
                tree = None
        reason = None
        if tree is not None:
            nodes = list(ast.walk(tree))  # one walk for both passes
            self._learn_imports(tree, nodes)
            reason = self._reason(nodes)
        if self._holding is not None:
            return GateDecision(True, reason or f"after a held statement ({self._holding})")
        if reason is not None:
            self._holding = reason
            return GateDecision(True, reason)
        return GateDecision(False)

    def _allowed(self, dotted: str) -> bool:
        return any(dotted == a or dotted.startswith(a + ".") for a in self.allow)

    def _resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        target = self._aliases.get(head)
        if target is None:
            return dotted
        return f"{target}.{rest}" if rest else target

    def _reason(self, nodes: list[ast.AST]) -> str | None:
        # only whole chains count: in ``os.path.join`` the inner ``os.path`` and ``os`` are not looked at
        inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
        for node in nodes:
            if id(node) in inner:
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Call):
                magic = self._magic_reason(node)
                if magic:
                    return magic
            if isinstance(node, ast.Attribute | ast.Name):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    continue
                dotted = _dotted(node)
                if dotted is None:
                    continue
                resolved = self._resolve(dotted)
                root = resolved.split(".", 1)[0]
                head = dotted.split(".", 1)[0]
                if head in self._shadowed and head not in self._aliases:
                    continue
                if root in self.deny and not self._allowed(resolved):
                    return f"uses {resolved} ({self.deny[root]})"
        return None

    def _magic_reason(self, call: ast.Call) -> str | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        owner = func.value
        is_ipython = (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "get_ipython"
        )
        if not is_ipython:
            return None
        if func.attr in ("system", "getoutput"):
            return "runs a shell command (!)"
        if func.attr in ("run_line_magic", "run_cell_magic") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                name = first.value
                if name in _RISKY_MAGICS:
                    return f"%{name} {_RISKY_MAGICS[name]}"
        return None

    def _learn_imports(self, tree: ast.Module, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in self.deny:
                self._shadowed.add(node.id)
                self._aliases.pop(node.id, None)
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".", 1)[0]
                    target = alias.name if alias.asname else local
                    if target.split(".", 1)[0] in self.deny:
                        self._aliases[local] = target
                    else:
                        self._aliases.pop(local, None)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module.split(".", 1)[0] in self.deny:
                        self._aliases[local] = f"{node.module}.{alias.name}"
                    else:
                        self._aliases.pop(local, None)
