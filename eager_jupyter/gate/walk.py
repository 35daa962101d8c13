"""The statements of a tree, walked in order: what they bind, and which expressions they evaluate.

A mixin of :class:`~.check.Checker` (which evaluates the expressions). Bindings go to the innermost
scope (a function or class body) or, at the top level, to the :class:`Program`, the gate's memory of
the run: ``import os as o`` binds ``o`` to the ``os`` module (or, not loaded yet, to its name),
``from x import *`` adds ``x``'s namespace to the names looked up, ``def``/``class`` bind a user
definition (their bodies are walked with their parameters unknown). Also the small types shared by
the checker's parts: :class:`Hold`, :class:`Program` and the evaluation contexts.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .capabilities import DYNAMIC, NETWORK
from .resolve import UNKNOWN as UNKNOWN_VALUE
from .resolve import Value, module_dict, module_value

__all__ = ["BASE", "BIND", "CALLEE", "VALUE", "Hold", "Program", "Statements"]

#: evaluation contexts (see :mod:`.check`)
CALLEE, BASE, BIND, VALUE = "callee", "base", "bind", "value"


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


class Statements:
    program: Program
    scopes: list[dict[str, Value]]
    hold: Hold | None

    if TYPE_CHECKING:

        def expr(self, node: ast.expr, ctx: str) -> Value: ...
        def bind(self, name: str, value: Value) -> None: ...
        def bind_target(self, target: ast.expr, value: Value = ...) -> None: ...
        def held(self, category: str, what: str, detail: str | None = None) -> None: ...
        def attribute(self, base: Value, name: str) -> Value: ...
        def lookup(self, name: str) -> Value: ...

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
