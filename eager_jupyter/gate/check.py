"""One walk over a statement's tree: what each expression reaches for, and whether that is held.

Every expression is evaluated to a :class:`~.resolve.Value` in one of four contexts, which decide what a
capability found there means:

- ``CALLEE`` (``f`` in ``f(...)``): a conditional capability (``open``, ``os.getenv``, a pandas
  writer) is checked against the call's arguments; an unconditional one (``os.system``) is held.
- ``BASE`` (``x`` in ``x.attr`` or ``x[i]``): only the attribute or item matters, so ``os`` in
  ``os.path.join`` holds nothing; ``os.environ[...]`` checks the variable's name.
- ``BIND`` (the right side of ``name = ...``): an alias is recorded, nothing is held yet; its use is.
- ``VALUE`` (anything else: an argument, an element, a returned or printed value): a module that
  carries a capability, the shell or ``os.environ`` passed around is held, since the gate can no
  longer follow it.

Definitions are walked too (their parameters are unknown values), so a ``def`` whose body reaches
for a capability is held itself. The walk is linear in the tree's size; table lookups are dict hits.
"""

from __future__ import annotations

import ast
import builtins
import types
from collections.abc import Mapping
from typing import Any

from .calls import SHELL_MAGIC, SHELL_PROCESS, Calls
from .capabilities import (
    CATEGORIES,
    CONFIG,
    DYNAMIC,
    INTERNALS,
    MAGIC,
    PROCESS,
    SECRET_NAME,
    SECRETS,
    SETTINGS,
    UNKNOWN,
    UNKNOWN_RECEIVER,
    Cap,
    lookup,
)
from .resolve import ENVIRON, SHELL, Value, attribute, canonical, of_object
from .resolve import UNKNOWN as UNKNOWN_VALUE
from .walk import BASE, BIND, CALLEE, VALUE, Hold, Program, Statements

__all__ = ["Checker", "Hold", "Program"]


def _words(text: str) -> list[str]:
    return text.split()


_BUILTINS: dict[str, Any] = vars(builtins)
_GET_IPYTHON = Value("path", path="IPython.core.getipython.get_ipython")
_ENV_READ = frozenset(_words("get __getitem__ __contains__"))
_ENV_WRITE = frozenset(_words("pop popitem setdefault update clear __setitem__ __delitem__"))
_SCALARS = (int, float, str, bytes, type(None))  # constants of a module (``os.O_RDONLY``): data only


class Checker(Statements, Calls):
    """Evaluates a statement's expressions in their contexts; the first hold found is kept."""

    def __init__(
        self, program: Program, namespace: Mapping[str, Any], deny: Mapping[str, str], allow: tuple[str, ...]
    ) -> None:
        self.program = program
        self.namespace = namespace
        self.deny = deny
        self.allow = allow
        self.scopes: list[dict[str, Value]] = []  # function and class bodies, innermost last
        self.hold: Hold | None = None

    # ---- results -------------------------------------------------------------------------------
    def held(self, category: str, what: str, detail: str | None = None) -> None:
        """Record the first hold: "<what the category means> (<detail>): <the code>"."""
        if self.hold is None:
            what = " ".join(what.split())
            what = what if len(what) <= 60 else what[:57] + "..."
            if category == MAGIC:
                self.hold = Hold(category, f"magic {what} is not on the list of harmless magics")
            elif category == CONFIG:
                self.hold = Hold(category, f"{detail}: {what}")
            else:
                more = f" ({detail})" if detail else ""
                self.hold = Hold(category, f"{CATEGORIES[category]}{more}: {what}")

    def capability(self, value: Value) -> tuple[Cap | None, str]:
        """The value's capability after the configured allow and deny lists, and its canonical name."""
        name = canonical(value)
        if name is None:
            return None, ""
        names = (name, value.path) if value.kind == "obj" and value.path else (name,)
        if any(n == a or n.startswith(a + ".") for a in self.allow for n in names):
            return None, name
        for key in self.deny:
            if any(n == key or n.startswith(key + ".") or n == f"builtins.{key}" for n in names):
                return Cap(CONFIG, check=key), name
        cap = lookup(name)
        if cap is None and len(names) > 1 and not isinstance(value.obj, _SCALARS):
            cap = lookup(value.path)  # a module attribute: how it was reached (``sys.modules``)
            return cap, value.path if cap is not None else name
        return cap, name

    def held_cap(self, cap: Cap, name: str, node: ast.AST) -> None:
        spelled = ast.unparse(node)
        what = spelled if name in ("", spelled) or len(name) > 50 else f"{spelled} ({name})"
        self.held(cap.category, what, self.deny.get(cap.check or "") if cap.category == CONFIG else None)

    # ---- names ---------------------------------------------------------------------------------
    def lookup(self, name: str) -> Value:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        found = self.program.names.get(name)
        if found is not None:
            return found
        for star in reversed(self.program.stars):
            if name in star and not name.startswith("_"):
                return of_object(star[name])
        if name in self.namespace:
            return of_object(self.namespace[name])
        if name in _BUILTINS:
            return of_object(_BUILTINS[name])
        if name == "get_ipython":
            return _GET_IPYTHON
        return Value("unknown", path="star" if self.program.unknown_star else "unbound")

    def bind(self, name: str, value: Value) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
            return
        old = self.program.names.get(name)
        if old is not None and self.dangerous(old) and not self.dangerous(value):
            return  # one of the values the name may hold carries a capability: keep that one
        self.program.names[name] = value

    def dangerous(self, value: Value) -> bool:
        return value.kind in ("shell", "environ", "shellattr", "envattr") or (
            value.kind in ("obj", "path", "inst") and self.capability(value)[0] is not None
        )

    def bind_target(self, target: ast.expr, value: Value = UNKNOWN_VALUE) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind_target(element)
        elif isinstance(target, ast.Starred):
            self.bind_target(target.value)
        elif isinstance(target, ast.Attribute):
            self.store(target)
        elif isinstance(target, ast.Subscript):
            base = self.expr(target.value, BASE)
            self.expr(target.slice, VALUE)
            if base.kind == "environ":
                self.held(PROCESS, ast.unparse(target), "changes the environment")

    def store(self, target: ast.Attribute) -> None:
        """``x.attr = ...`` or ``del x.attr``: held on modules and objects that carry capabilities."""
        base = self.expr(target.value, BASE)
        if target.attr in INTERNALS:
            self.held(DYNAMIC, ast.unparse(target))
        elif base.kind == "shell":
            self.held(SETTINGS if target.attr == "config" else DYNAMIC, ast.unparse(target))
        elif base.kind in ("obj", "path", "inst"):
            cap, name = self.capability(base)
            if cap is not None or name == "builtins":
                self.held(cap.category if cap else DYNAMIC, ast.unparse(target), f"assigns to {name}")

    # ---- references ----------------------------------------------------------------------------
    def reference(self, value: Value, node: ast.AST, ctx: str) -> None:
        kind = value.kind
        if kind in ("shell", "environ"):
            if ctx == VALUE:
                self.held(DYNAMIC if kind == "shell" else SECRETS, ast.unparse(node))
            return
        if kind == "shellattr":
            name = value.path
            if name == "config":
                self.held(SETTINGS, ast.unparse(node))
            elif name == "get_ipython" or (name in SHELL_PROCESS | SHELL_MAGIC and ctx in (CALLEE, BIND)):
                return
            else:
                self.held(PROCESS if name in SHELL_PROCESS else DYNAMIC, ast.unparse(node))
            return
        if kind == "envattr":
            if value.path in _ENV_WRITE:
                self.held(PROCESS, ast.unparse(node), "changes the environment")
            elif value.path not in _ENV_READ or ctx not in (CALLEE, BIND):
                self.held(SECRETS, ast.unparse(node))
            return
        if kind not in ("obj", "path", "inst"):
            return
        cap, name = self.capability(value)
        if name == "builtins":
            self.held(DYNAMIC, ast.unparse(node), "reaches the builtins module")
        if cap is None:
            return
        module = kind == "obj" and issubclass(type(value.obj), types.ModuleType)
        if module or (kind == "path" and ctx == BASE):
            if ctx == VALUE:
                self.held_cap(cap, name, node)
        elif (cap.check in (None, "environ") and ctx != BIND) or (cap.check is not None and ctx == VALUE):
            self.held_cap(cap, name, node)

    # ---- expressions ---------------------------------------------------------------------------
    def expr(self, node: ast.expr, ctx: str) -> Value:
        if isinstance(node, ast.Name):
            value = self.lookup(node.id)
            self.reference(value, node, ctx)
            return value
        if isinstance(node, ast.Attribute):
            base = self.expr(node.value, BASE)
            if node.attr in INTERNALS:
                self.held(DYNAMIC, ast.unparse(node), "reaches into object internals")
            value = self.attribute(base, node.attr)
            self.reference(value, node, ctx)
            return value
        if isinstance(node, ast.Call):
            value = self.call(node)
            self.reference(value, node, ctx)
            return value
        if isinstance(node, ast.Constant):
            return Value("const", node.value)
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value, BASE)
            key = self.expr(node.slice, VALUE)
            if base.kind == "environ":
                self.env_key(key, node)
            return Value("unknown", path="item")
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left, VALUE), self.expr(node.right, VALUE)
            if left.kind == right.kind == "const" and isinstance(node.op, ast.Add):
                try:
                    return Value("const", left.obj + right.obj)
                except TypeError:
                    pass
            return UNKNOWN_VALUE
        if isinstance(node, ast.Lambda):
            self.function(node.args, [node.body])
            return Value("user")
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            self.scopes.append({})
            for generator in node.generators:
                self.expr(generator.iter, VALUE)
                self.bind_target(generator.target)
                for test in generator.ifs:
                    self.expr(test, VALUE)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self.expr(part, VALUE)
            self.scopes.pop()
            return UNKNOWN_VALUE
        if isinstance(node, ast.NamedExpr):
            value = self.expr(node.value, BIND)
            self.bind_target(node.target, value)
            return value
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, VALUE)
            elif isinstance(child, ast.comprehension | ast.keyword | ast.arguments):
                self.generic(child)
        return UNKNOWN_VALUE

    def generic(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, VALUE)
            else:
                self.generic(child)

    def attribute(self, base: Value, name: str) -> Value:
        if base.kind == "shell":
            return Value("shellattr", base.obj, path=name)
        if base.kind == "environ":
            return Value("envattr", path=name)
        value = attribute(base, name)
        if value.kind == "path" and value.path in ("os.environ", "os.environb"):
            return ENVIRON
        return value

    def env_key(self, key: Value, node: ast.AST) -> None:
        if key.kind != "const" or not isinstance(key.obj, str | bytes):
            self.held(SECRETS, ast.unparse(node), "reads an environment variable it cannot name")
        elif SECRET_NAME.search(key.obj if isinstance(key.obj, str) else key.obj.decode("latin-1")):
            self.held(SECRETS, ast.unparse(node))

    # ---- calls ---------------------------------------------------------------------------------
    def call(self, node: ast.Call) -> Value:
        func = node.func
        callee = self.expr(func, CALLEE)
        cap, name = (None, "")
        if callee.kind in ("obj", "path", "inst"):
            cap, name = self.capability(callee)
        if name in ("builtins.getattr", "builtins.setattr", "builtins.delattr") and cap is not None:
            return self.getattr_call(node, name.rpartition(".")[2])
        args = [self.expr(a, VALUE) for a in node.args]
        keywords = {k.arg: self.expr(k.value, VALUE) for k in node.keywords}
        if callee.kind == "shellattr":
            return self.shell_call(callee.path, node, args)
        if callee.kind == "envattr" and callee.path in _ENV_READ and args:
            self.env_key(args[0], node)
        elif name.endswith(".get_ipython") and name.startswith("IPython"):
            return SHELL
        elif cap is not None and cap.check is not None:
            offset = 1 if self.is_unbound_method(callee, name) else 0
            self.check_call(cap, name, node, args[offset:], keywords)
        elif callee.kind == "unknown":
            # an attribute of a value of unknown type, however reached (``x.to_csv``, ``w = x.to_csv``,
            # ``getattr(x, "to_csv")``): by its name
            by_name = UNKNOWN_RECEIVER.get(func.attr if isinstance(func, ast.Attribute) else callee.path)
            if by_name is not None and by_name.check is None:
                self.held(by_name.category, ast.unparse(func))
            elif by_name is not None:
                self.check_call(by_name, "", node, args, keywords)
            elif callee.path == "star":
                self.held(UNKNOWN, ast.unparse(func), "a name from a star import")
        if callee.kind == "obj" and issubclass(type(callee.obj), type):
            return Value("inst", callee.obj)  # an instance of a known class
        return Value("unknown", path="result")
