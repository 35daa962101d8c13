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
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import magics
from .capabilities import (
    CATEGORIES,
    CONFIG,
    DYNAMIC,
    FILES,
    INTERNALS,
    MAGIC,
    METHODS,
    NETWORK,
    PROCESS,
    SECRET_NAME,
    SECRETS,
    SETTINGS,
    UNKNOWN,
    UNKNOWN_RECEIVER,
    Cap,
    lookup,
)
from .resolve import ENVIRON, SHELL, Value, attribute, canonical, module_dict, module_value, of_object
from .resolve import UNKNOWN as UNKNOWN_VALUE

__all__ = ["Checker", "Hold", "Program"]


def _words(text: str) -> list[str]:
    return text.split()

CALLEE, BASE, BIND, VALUE = "callee", "base", "bind", "value"
_BUILTINS: dict[str, Any] = vars(builtins)
_GET_IPYTHON = Value("path", path="IPython.core.getipython.get_ipython")
_SHELL_PROCESS = frozenset(_words("system system_raw system_piped getoutput"))
_SHELL_MAGIC = frozenset(_words("run_line_magic run_cell_magic magic"))
_ENV_READ = frozenset(_words("get __getitem__ __contains__"))
_ENV_WRITE = frozenset(_words("pop popitem setdefault update clear __setitem__ __delitem__"))
_SCALARS = (int, float, str, bytes, type(None))  # constants of a module (``os.O_RDONLY``): data only
_MODE = re.compile(r"[rwaxbtU+]{1,4}")
_PATH_KEYWORDS = ("path_or_buf", "buf", "path", "excel_writer", "fname", "file")


@dataclass(frozen=True, slots=True)
class Hold:
    category: str
    reason: str


@dataclass
class Program:
    """What the run's earlier statements bound: the gate's memory from one statement to the next."""

    names: dict[str, Value] = field(default_factory=dict)
    stars: list[Mapping[str, Any]] = field(default_factory=list)  # ``from x import *``, loaded modules
    unknown_star: bool = False  # ``from x import *`` of a module that is not loaded: names unknown


class Checker:
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
            elif name == "get_ipython" or (name in _SHELL_PROCESS | _SHELL_MAGIC and ctx in (CALLEE, BIND)):
                return
            else:
                self.held(PROCESS if name in _SHELL_PROCESS else DYNAMIC, ast.unparse(node))
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
            if isinstance(func, ast.Attribute):
                by_name = UNKNOWN_RECEIVER.get(func.attr)
                if by_name is not None and by_name.check is None:
                    self.held(by_name.category, ast.unparse(func))
                elif by_name is not None:
                    self.check_call(by_name, "", node, args, keywords)
            elif callee.path == "star":
                self.held(UNKNOWN, ast.unparse(func), "a name from a star import")
        if callee.kind == "obj" and issubclass(type(callee.obj), type):
            return Value("inst", callee.obj)  # an instance of a known class
        return Value("unknown", path="result")

    @staticmethod
    def is_unbound_method(callee: Value, name: str) -> bool:
        root = name.partition(".")[0]
        bound = callee.bound or issubclass(type(callee.obj), types.MethodType)
        return callee.kind == "obj" and not bound and root in METHODS and name.count(".") >= 2

    def check_call(
        self, cap: Cap, name: str, node: ast.Call, args: list[Value], keywords: dict[str | None, Value]
    ) -> None:
        """A conditional capability: held when the arguments say so, or cannot say."""
        given = args[cap.arg] if len(args) > cap.arg else keywords.get(cap.keyword)
        check, spelled = cap.check, ast.unparse(node.func)
        what = spelled if not name or name == spelled else f"{spelled} ({name})"
        if any(isinstance(a, ast.Starred) for a in node.args) or None in keywords:
            self.held(cap.category, what)  # *args / **kwargs: cannot tell
        elif check == "mode":
            if not name:  # ``x.open(...)`` on a value of unknown type: the mode is any mode-like literal
                modes = [a for a in args if a.kind == "const" and _MODE.fullmatch(str(a.obj))]
                given = keywords.get(cap.keyword) or (modes[-1] if modes else None)
            if given is not None and not (given.kind == "const" and isinstance(given.obj, str)):
                self.held(FILES, what, "opens a file in a mode it cannot read")
            elif given is not None and set(given.obj) & set("wax+"):
                self.held(FILES, f"{what} mode {given.obj!r}")
            elif "opener" in keywords:
                self.held(FILES, what)
        elif check == "osflags":
            flags = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(flags, ast.Attribute) and flags.attr == "O_RDONLY"):
                self.held(FILES, what)
        elif check == "env":
            self.env_key(given if given is not None else UNKNOWN_VALUE, node)
        elif check == "path":
            if given is not None or any(k in keywords for k in _PATH_KEYWORDS):
                self.held(FILES, what)
        elif check == "url":
            if given is not None and given.kind == "const" and "://" in str(given.obj):
                self.held(NETWORK, f"{what} {given.obj!r}")
        elif check == "pickle":
            flag = keywords.get("allow_pickle")
            if flag is not None and not (flag.kind == "const" and flag.obj is False):
                self.held(DYNAMIC, what, "loads pickled objects")
        elif check == "kw":
            if cap.keyword in keywords:
                self.held(cap.category, what)
        else:  # a configured deny entry, or a check this walk does not know: hold
            self.held_cap(cap, name, node.func)

    def getattr_call(self, node: ast.Call, which: str) -> Value:
        base = self.expr(node.args[0], BASE) if node.args else UNKNOWN_VALUE
        for extra in node.args[2:]:
            self.expr(extra, VALUE)
        attr = node.args[1] if len(node.args) > 1 else None
        if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            self.held(DYNAMIC, ast.unparse(node), f"{which} with a computed name")
            return UNKNOWN_VALUE
        if attr.value in INTERNALS:
            self.held(DYNAMIC, ast.unparse(node), "reaches into object internals")
        if which != "getattr":
            self.store(ast.Attribute(value=node.args[0], attr=attr.value, ctx=ast.Store()))
            return UNKNOWN_VALUE
        value = self.attribute(base, attr.value)
        self.reference(value, node, VALUE)  # what comes out of getattr is then passed on freely
        return value

    def shell_call(self, method: str, node: ast.Call, args: list[Value]) -> Value:
        first = args[0] if args else UNKNOWN_VALUE
        text = first.obj if first.kind == "const" and isinstance(first.obj, str) else None
        if method in _SHELL_PROCESS:
            shown = f"!{text}" if text is not None else ast.unparse(node.func)
            self.held(PROCESS, shown)
        elif method in _SHELL_MAGIC:
            if text is None or not (node.args and isinstance(node.args[0], ast.Constant)):
                self.held(MAGIC, "with a computed name")
                return UNKNOWN_VALUE
            name, line, body = text, "", None  # type: tuple[str, str | None, str | None]
            if method == "magic":
                name, _, line = text.lstrip("%").partition(" ")
            else:
                second = args[1] if len(args) > 1 else Value("const", "")
                line = second.obj if second.kind == "const" and isinstance(second.obj, str) else None
                if method == "run_cell_magic":
                    third = args[2] if len(args) > 2 else Value("const", "")
                    body = third.obj if third.kind == "const" and isinstance(third.obj, str) else None
                    if body is None:
                        self.held(UNKNOWN, f"%%{name}", "its code is not a literal")
                        return UNKNOWN_VALUE
                if line is None:
                    self.held(UNKNOWN, f"%{name}", "its code is not a literal")
                    return UNKNOWN_VALUE
            verdict, detail = magics.classify(name, line, body)
            if verdict == "code":
                self.code(detail, name)
            elif verdict != "run":
                self.held(verdict, detail + (f" {line}" if line and verdict != MAGIC else ""))
        elif method == "get_ipython":
            return SHELL
        return UNKNOWN_VALUE

    def code(self, source: str, magic: str) -> None:
        """Python a magic runs (``%time``, ``%%capture``): checked like the statement itself."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            self.held(UNKNOWN, f"%{magic} {source.strip()}", "its code does not parse")
            return
        for statement in tree.body:
            self.stmt(statement)

    # ---- statements ----------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> Hold | None:
        for statement in tree.body:
            self.stmt(statement)
        return self.hold

    def function(self, args: ast.arguments, body: list[Any]) -> None:
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.expr(default, VALUE)
        scope: dict[str, Value] = {}
        every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        for arg in every:
            if arg is not None:
                scope[arg.arg] = Value("unknown", path="param")
        self.scopes.append(scope)
        for part in body:
            if isinstance(part, ast.stmt):
                self.stmt(part)
            else:
                self.expr(part, VALUE)
        self.scopes.pop()

    def stmt(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("antigravity", "this"):
                    self.held(NETWORK if alias.name == "antigravity" else DYNAMIC, f"import {alias.name}")
                local = alias.asname or alias.name.split(".")[0]
                self.bind(local, module_value(alias.name if alias.asname else local))
        elif isinstance(node, ast.ImportFrom):
            self.import_from(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                self.expr(decorator, CALLEE)
            self.function(node.args, node.body)
            self.bind(node.name, Value("user"))
        elif isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                self.expr(decorator, CALLEE)
            for base in (*node.bases, *(k.value for k in node.keywords)):
                self.expr(base, VALUE)
            self.scopes.append({})
            for part in node.body:
                self.stmt(part)
            self.scopes.pop()
            self.bind(node.name, Value("user"))
        elif isinstance(node, ast.Assign):
            simple = all(isinstance(t, ast.Name) for t in node.targets)
            value = self.expr(node.value, BIND if simple else VALUE)
            for target in node.targets:
                self.bind_target(target, value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                simple = isinstance(node.target, ast.Name)
                value = self.expr(node.value, BIND if simple else VALUE)
                self.bind_target(node.target, value)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, VALUE)
            if isinstance(node.target, ast.Name):
                self.lookup(node.target.id)
            else:
                self.bind_target(node.target)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Attribute | ast.Subscript):
                    self.bind_target(target)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.expr(node.iter, VALUE)
            self.bind_target(node.target)
            self.stmts(node.body, node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.expr(item.context_expr, VALUE)
                if item.optional_vars is not None:
                    self.bind_target(item.optional_vars)
            self.stmts(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type, VALUE)
                if handler.name:
                    self.bind(handler.name, UNKNOWN_VALUE)
                self.stmts(handler.body)
            self.stmts(node.body, node.orelse, node.finalbody)
        elif isinstance(node, ast.Match):
            self.expr(node.subject, VALUE)
            for case in node.cases:
                for sub in ast.walk(case.pattern):
                    bound = getattr(sub, "name", None)
                    if isinstance(bound, str):
                        self.bind(bound, UNKNOWN_VALUE)
                    elif isinstance(sub, ast.expr):
                        self.expr(sub, VALUE)
                if case.guard is not None:
                    self.expr(case.guard, VALUE)
                self.stmts(case.body)
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.Pass | ast.Break | ast.Continue):
            return
        elif type(node).__name__ == "TypeAlias":
            return  # evaluated lazily, when the alias is used
        else:  # Expr, Return, If, While, Raise, Assert: their expressions are values
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, VALUE)
                elif isinstance(child, ast.stmt):
                    self.stmt(child)

    def stmts(self, *blocks: list[ast.stmt]) -> None:
        for block in blocks:
            for statement in block:
                self.stmt(statement)

    def import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            for alias in node.names:
                self.bind(alias.asname or alias.name, UNKNOWN_VALUE)
            return
        base = module_value(node.module)
        for alias in node.names:
            if alias.name == "*":
                star = module_dict(base.obj) if base.kind == "obj" else None
                if star is not None:
                    self.program.stars.append(star)
                else:
                    self.program.unknown_star = True
                continue
            value = self.attribute(base, alias.name)
            self.bind(alias.asname or alias.name, value)
