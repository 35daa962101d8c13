"""Static resolution: what a name or attribute refers to, found without running anything.

A statement is checked before it runs, usually before the statements in front of it have run, so
the gate looks things up the way a debugger would and never the way Python would: dictionary
lookups (the kernel's namespace, a module's ``__dict__``, ``sys.modules``), ``type()``,
``inspect.getattr_static``, and the ``__get__`` of slot and getset descriptors that builtin types
define (``function.__module__``, ``module.__dict__``). Properties, ``__getattr__``, metaclass hooks
and every other descriptor are never triggered: what they would return is :data:`UNKNOWN`.

What a reference resolves to is a :class:`Value`:

- ``obj``: an object found in the namespace, a module, or reached from one (``pd.io.common.os``);
- ``inst``: an instance of a known class that does not exist yet (``Path("x")``, ``pd.DataFrame()``);
- ``path``: a dotted name from an import that has not run yet (``requests.get`` before ``requests``
  is imported), matched against the tables by name;
- ``shell``: IPython's shell (``get_ipython()``), ``environ``: ``os.environ``;
- ``const``: a literal (a file mode, a variable name, a URL); ``user``: a function or class the
  program defines; ``unknown``: anything else (a call's result, a parameter, a property).

:func:`canonical` names what a value is (``os.system``, ``pandas.core.generic.NDFrame.to_csv``), the
key of the capability tables.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import types
from dataclasses import dataclass
from typing import Any

from .capabilities import TABLE_ROOTS, normalize

__all__ = [
    "ENVIRON", "SHELL", "UNKNOWN", "Value", "attribute", "canonical", "module_dict", "module_value",
    "of_object",
]

_MISSING: Any = object()
_DESCRIPTORS = (types.GetSetDescriptorType, types.MemberDescriptorType)
_SHELL_CLASS = ("IPython.core.interactiveshell", "InteractiveShell")
_ENVIRONS = (id(os.environ), id(getattr(os, "environb", os.environ)))


@dataclass(frozen=True, slots=True)
class Value:
    kind: str  # obj inst path shell environ const user unknown
    obj: Any = None  # obj: the object; inst: its class; const: the literal; shell: the shell (or None)
    path: str = ""  # path: the dotted name; unknown: where it came from ("item", "result", ...)
    bound: bool = False  # a method reached through an instance (its first argument is not self)


UNKNOWN = Value("unknown")
SHELL = Value("shell")
ENVIRON = Value("environ")


def _builtin_get(obj: Any, name: str) -> Any:
    """``obj.name`` when a builtin type's slot or getset descriptor answers it (no user code runs)."""
    for klass in _mro(type(obj)):
        descriptor = klass.__dict__.get(name, _MISSING)
        if descriptor is _MISSING:
            continue
        if type(descriptor) in _DESCRIPTORS and (
            klass is functools.partial or type.__dict__["__module__"].__get__(klass) == "builtins"
        ):
            try:
                return descriptor.__get__(obj, type(obj))
            except AttributeError:
                return _MISSING
        return _MISSING
    return _MISSING


def _is(obj: Any, kind: type | tuple[type, ...]) -> bool:
    return issubclass(type(obj), kind)


def module_dict(module: Any) -> dict[str, Any] | None:
    """A module's namespace (its ``__dict__``), or None for anything that is not a module."""
    if not _is(module, types.ModuleType):
        return None
    found = _builtin_get(module, "__dict__")
    return found if isinstance(found, dict) else None


def _module_name(module: Any) -> str:
    name = _builtin_get(module, "__dict__")
    found = name.get("__name__") if isinstance(name, dict) else None
    return found if isinstance(found, str) else "?"


def _class_name(klass: Any) -> str:
    module = type.__dict__["__module__"].__get__(klass)
    qualname = type.__dict__["__qualname__"].__get__(klass)
    return f"{module}.{qualname}" if isinstance(module, str) else str(qualname)


def _is_shell(obj: Any) -> bool:
    module, name = type.__dict__["__module__"], type.__dict__["__name__"]
    return any((module.__get__(k), name.__get__(k)) == _SHELL_CLASS for k in _mro(type(obj)))


def _mro(klass: type) -> tuple[type, ...]:
    found: tuple[type, ...] = type.__dict__["__mro__"].__get__(klass)
    return found


def canonical(value: Value) -> str | None:
    """The dotted name the capability tables are keyed by, or None when it cannot be named."""
    if value.kind == "path":
        return value.path
    if value.kind == "inst":
        return normalize(_class_name(value.obj))
    if value.kind != "obj":
        return None
    return _name_of(value.obj)


def _name_of(obj: Any, depth: int = 0) -> str | None:
    if depth > 4:
        return None
    if _is(obj, types.ModuleType):
        return normalize(_module_name(obj))
    if _is(obj, type):
        return normalize(_class_name(obj))
    if _is(obj, types.MethodType) or _is(obj, staticmethod) or _is(obj, classmethod):
        return _name_of(_builtin_get(obj, "__func__"), depth + 1)
    if _is(obj, functools.partial):
        return _name_of(_builtin_get(obj, "func"), depth + 1)
    if _is(obj, (types.MethodDescriptorType, types.WrapperDescriptorType, types.ClassMethodDescriptorType)):
        owner = _builtin_get(obj, "__objclass__")
        name = _builtin_get(obj, "__name__")
        return f"{normalize(_class_name(owner))}.{name}" if _is(owner, type) else None
    if _is(obj, (types.FunctionType, types.BuiltinFunctionType)):
        module = _builtin_get(obj, "__module__")
        qualname = _builtin_get(obj, "__qualname__")
        if not isinstance(module, str):  # a builtin method of an instance: ``[].append``
            owner = _builtin_get(obj, "__self__")
            if owner is _MISSING or _is(owner, types.ModuleType):
                return None
            return f"{normalize(_class_name(type(owner)))}.{_builtin_get(obj, '__name__')}"
        return normalize(f"{module}.{qualname}") if isinstance(qualname, str) else None
    module, qualname = _static(obj, "__module__"), _static(obj, "__qualname__")
    if isinstance(module, str) and isinstance(qualname, str):  # a function-like object (numpy's
        return normalize(f"{module}.{qualname}")  # dispatchers, functools.wraps'd callables)
    return normalize(_class_name(type(obj)))  # an instance: named by its class


def of_object(obj: Any) -> Value:
    """The value an object in the namespace stands for (the shell and ``os.environ`` are kinds)."""
    if id(obj) in _ENVIRONS:
        return ENVIRON
    plain = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
    if not _is(obj, plain) and _is_shell(obj):
        return Value("shell", obj)
    return Value("obj", obj)


def module_value(dotted: str) -> Value:
    """A module by name: the loaded one (``sys.modules``), else its name to match by."""
    found = sys.modules.get(dotted)
    return of_object(found) if found is not None else Value("path", path=normalize(dotted))


def _reroot(path: str) -> str:
    """``pathlib.os.system`` -> ``os.system`` when the front of the path cannot be looked at."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        part = parts[i].lstrip("_")
        if part in TABLE_ROOTS and part not in ("io", "json", "types"):
            return normalize(".".join([part, *parts[i + 1 :]]))
    return path


def attribute(value: Value, name: str) -> Value:
    """``value.name``, statically."""
    kind = value.kind
    if kind == "path":
        return Value("path", path=_reroot(f"{value.path}.{name}"))
    if kind == "obj":
        return _obj_attribute(value.obj, name)
    if kind == "inst":
        found = _static(value.obj, name)
        if found is _MISSING:
            return Value("unknown", path=name)
        if _is(found, (types.FunctionType, types.MethodDescriptorType)):
            return Value("obj", found, bound=True)
        return of_object(found) if not _is(found, _DESCRIPTORS) else Value("unknown", path=name)
    return Value("unknown", path=name)


def _static(obj: Any, name: str) -> Any:
    try:
        return inspect.getattr_static(obj, name)
    except AttributeError:
        return _MISSING


def _obj_attribute(obj: Any, name: str) -> Value:
    if _is(obj, types.ModuleType):
        namespace = _builtin_get(obj, "__dict__")
        if isinstance(namespace, dict) and name in namespace:
            found = of_object(namespace[name])
            if found.kind == "obj" and not _is(found.obj, types.ModuleType):
                # keep the way it was reached: ``sys.modules`` is a dict, held as ``sys.modules``
                return Value("obj", found.obj, path=normalize(f"{_module_name(obj)}.{name}"))
            return found
        # not there (yet): a submodule not imported, or a module ``__getattr__``: go by name
        return module_value(f"{_module_name(obj)}.{name}")
    found = _static(obj, name)
    if found is _MISSING:
        return Value("unknown", path=name)
    kind = type(found)
    if kind in (staticmethod, classmethod):
        return Value("obj", _builtin_get(found, "__func__"), bound=kind is classmethod)
    if kind in _DESCRIPTORS:
        got = _builtin_get(obj, name)
        return of_object(got) if got is not _MISSING else Value("unknown", path=name)
    if _is(obj, type):
        return of_object(found)  # a class attribute, unbound
    if _is(found, (types.FunctionType, types.MethodDescriptorType)):
        return Value("obj", found, bound=True)  # found on the class of an instance
    if _static(type(found), "__get__") is not _MISSING and not _is(found, (type, types.BuiltinFunctionType)):
        return Value("unknown", path=name)  # a property or another descriptor: not triggered
    return of_object(found)
