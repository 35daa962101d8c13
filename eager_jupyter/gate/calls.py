"""Call sites: the argument checks of conditional capabilities, ``getattr`` and IPython's shell.

A mixin of :class:`~.check.Checker`. A conditional capability is held only when its arguments say
so or cannot say: ``open``'s mode (a literal without ``w``, ``a``, ``x`` or ``+`` reads), ``os.open``'s
flags (``os.O_RDONLY`` alone), an environment variable's name (a literal not named like a secret),
a pandas writer's path (none given: it returns text), a reader's URL literal, ``np.load``'s
``allow_pickle``. ``getattr``/``setattr``/``delattr`` with a literal name are attribute accesses;
with a computed one they are held. The shell's magic runners go through :mod:`.magics`; the code of
``%time``/``%timeit``/``%%capture`` is walked like the statement's own.
"""

from __future__ import annotations

import ast
import re
import types
from typing import TYPE_CHECKING

from . import magics
from .capabilities import DYNAMIC, FILES, INTERNALS, MAGIC, METHODS, NETWORK, PROCESS, UNKNOWN, Cap
from .resolve import SHELL, Value
from .resolve import UNKNOWN as UNKNOWN_VALUE
from .walk import BASE, VALUE

__all__ = ["SHELL_MAGIC", "SHELL_PROCESS", "Calls"]


def _words(text: str) -> list[str]:
    return text.split()


SHELL_PROCESS = frozenset(_words("system system_raw system_piped getoutput"))
SHELL_MAGIC = frozenset(_words("run_line_magic run_cell_magic magic"))
_MODE = re.compile(r"[rwaxbtU+]{1,4}")
_PATH_KEYWORDS = ("path_or_buf", "buf", "path", "excel_writer", "fname", "file")


class Calls:
    if TYPE_CHECKING:

        def expr(self, node: ast.expr, ctx: str) -> Value: ...
        def held(self, category: str, what: str, detail: str | None = None) -> None: ...
        def held_cap(self, cap: Cap, name: str, node: ast.AST) -> None: ...
        def attribute(self, base: Value, name: str) -> Value: ...
        def reference(self, value: Value, node: ast.AST, ctx: str) -> None: ...
        def store(self, target: ast.Attribute) -> None: ...
        def env_key(self, key: Value, node: ast.AST) -> None: ...
        def stmt(self, node: ast.stmt) -> None: ...

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
        if method in SHELL_PROCESS:
            shown = f"!{text}" if text is not None else ast.unparse(node.func)
            self.held(PROCESS, shown)
        elif method in SHELL_MAGIC:
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
