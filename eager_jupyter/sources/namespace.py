"""The namespace summary a model request carries: what the kernel already has, compact and budgeted.

``summarize_namespace(user_ns)`` returns a few lines of plain text for the prompt, e.g.::

    sales: pandas.DataFrame, 1200 rows x 4 columns: region (object), month (datetime64[ns]), ...
    totals: pandas.Series 'revenue', 4 values, float64
    path: str = 'sales.csv'
    threshold: float = 0.25
    def load(path, sep=',')
    modules: pandas as pd, numpy as np, matplotlib.pyplot as plt

Order is relevance: data first (DataFrames, then Series and arrays: what a request is about), then
other values, then functions and classes defined in the notebook, then one line of imports. Within a
group the most recently defined name comes first (a namespace dict keeps definition order). Lines are
added while they fit the character ``budget``; whatever does not fit is counted in a last line
(``... and 12 more names``), so the model knows the summary is partial.

What never appears (``eager_jupyter.sources.secrets`` decides what looks secret):
- IPython's own names (``In``, ``Out``, ``_``, ``__``, ``_i3``, ``_7``, ``exit``, ``quit``,
  ``get_ipython``, ``_oh``, ``_dh``, ...), names the shell hid (pass ``hidden=shell.user_ns_hidden``),
  and private names (a leading underscore);
- a name that looks secret (``secret_name``: ``pwd``, ``api_key``, ``creds``, ``conn``, ``cookie``...):
  the whole line is left out;
- a string value the scanner flags (the key in use and any slice, reversal, case change or base64
  of it, token formats, high-entropy strings): the whole line is left out;
- values other than short scalars and strings: containers show their length, never their contents;
  functions show their signature with every default that is not a plain scalar or a short clean string
  (or whose parameter name looks secret) written ``...``.
DataFrame column and index names and Series names go through the scanner too (a flagged one is
``[redacted]``), and so does every line before it is counted against the budget, as a last net.
The caller passes the scanner (``scanner=``, built with the key in use and the environment's secret
values) or the known secrets (``secrets=``, a scanner is built from them).

Pure: a function of the namespace (plus ``sys.modules`` to recognise pandas and numpy objects without
importing either: if pandas was never imported, nothing in the namespace can be a DataFrame). Every
object is inspected defensively: an attribute that raises only costs that object its detail.

To validate a change: ``tests/test_context.py`` (hiding rules, secrets, budget, DataFrames with and
without pandas imported).
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .secrets import REDACTED, SecretScanner, secret_name

__all__ = ["DEFAULT_BUDGET", "is_secret_name", "summarize_namespace"]

DEFAULT_BUDGET = 3000

#: names IPython puts in the user namespace for its own bookkeeping
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})
_IPYTHON_NAME = re.compile(r"_(?:i{1,3}|i\d+|\d+|oh|dh|ih|ii|iii)")

_MAX_COLUMNS = 40
_MAX_VALUE = 60  # characters of a scalar's repr
_MAX_SCANNED = 10_000  # a longer string is summarised by its length only
_SCALARS = (bool, int, float, complex, type(None))


def is_secret_name(name: str) -> bool:
    """Whether a variable name looks like it holds a secret (then nothing of it is sent)."""
    return secret_name(name)


def summarize_namespace(
    namespace: Mapping[str, Any],
    *,
    budget: int = DEFAULT_BUDGET,
    hidden: Collection[str] = (),
    secrets: Iterable[str] = (),
    scanner: SecretScanner | None = None,
) -> str:
    """A compact summary of ``namespace`` for a model prompt, at most ``budget`` characters."""
    if scanner is None:
        scanner = SecretScanner(secrets)
    groups: dict[str, list[str]] = {"frame": [], "data": [], "value": [], "code": []}
    modules: list[str] = []
    for name, value in reversed(list(namespace.items())):
        if _skip(name, hidden):
            continue
        if isinstance(value, types.ModuleType):
            modules.append(_module_entry(name, value))
            continue
        try:
            kind, line = _describe(name, value, scanner)
        except Exception:  # a user object's attribute may raise anything
            kind, line = "value", f"{name}: {_type_name(value)}"
        if line is None:
            continue
        groups[kind].append(line)
    lines = [line for group in groups.values() for line in group]
    modules.reverse()  # imports read best in the order they were made
    if modules:
        lines.append("modules: " + ", ".join(modules))
    return _fit(lines, budget, scanner)


def _skip(name: str, hidden: Collection[str]) -> bool:
    return (
        name.startswith("_")
        or name in IPYTHON_NAMES
        or name in hidden
        or bool(_IPYTHON_NAME.fullmatch(name))
        or is_secret_name(name)
    )


def _fit(lines: list[str], budget: int, scanner: SecretScanner) -> str:
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        line = scanner.redact(line)  # the last net; only lines that may be sent are scanned
        rest = len(lines) - i
        more = f"... and {rest} more name{'s' if rest != 1 else ''}"
        # always keep room for the "... more" line unless this is the last line
        reserve = 0 if rest == 1 else len(more) + 1
        if used + len(line) + 1 + reserve > budget:
            if used + len(more) <= budget:
                out.append(more)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _module_entry(alias: str, module: types.ModuleType) -> str:
    name = getattr(module, "__name__", alias)
    return name if name == alias else f"{name} as {alias}"


def _describe(name: str, value: Any, scanner: SecretScanner) -> tuple[str, str | None]:
    """``(group, line)``; a ``None`` line means: leave this name out."""
    frame = _dataframe(value, scanner)
    if frame is not None:
        return "frame", f"{name}: {frame}"
    other = _series_or_array(value, scanner)
    if other is not None:
        return "data", f"{name}: {other}"
    if isinstance(value, type):
        return "code", f"{name}: class {_defined_in(value)}"
    if inspect.isfunction(value) or inspect.isbuiltin(value) or inspect.ismethod(value):
        return "code", f"def {_signature(name, value, scanner)}{_from(value)}"
    if isinstance(value, str):
        if len(value) > _MAX_SCANNED:
            return "value", f"{name}: str, {len(value)} chars"
        if scanner.looks_secret(value):
            return "value", None
        if len(value) <= _MAX_VALUE:
            return "value", f"{name}: str = {value!r}"
        return "value", f"{name}: str, {len(value)} chars = {value[:_MAX_VALUE]!r}..."
    if isinstance(value, _SCALARS):
        return "value", f"{name}: {type(value).__name__} = {_short(repr(value))}"
    if isinstance(value, list | tuple | set | frozenset | dict | bytes | bytearray | range):
        size = len(value)
        unit = "item" if not isinstance(value, bytes | bytearray) else "byte"
        return "value", f"{name}: {type(value).__name__}, {size} {unit}{'s' if size != 1 else ''}"
    return "value", f"{name}: {_type_name(value)}"


def _label(label: Any, scanner: SecretScanner) -> str:
    """A column, index or Series name as shown: ``[redacted]`` if the scanner flags it."""
    text = str(label)
    return REDACTED if scanner.looks_secret(text[:_MAX_SCANNED]) else text


def _short(text: str) -> str:
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "..."


def _type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "")
    if module in ("builtins", "__main__", ""):
        return str(cls.__name__)
    return f"{module.split('.')[0]}.{cls.__name__}"


def _defined_in(cls: type) -> str:
    module = getattr(cls, "__module__", "")
    return cls.__qualname__ if module in ("__main__", "builtins") else f"{module}.{cls.__qualname__}"


def _from(func: Any) -> str:
    module = getattr(func, "__module__", None)
    return "" if module in (None, "__main__", "builtins") else f" from {module}"


class _Hidden:
    """A default that is not shown: its repr is ``...``."""

    def __repr__(self) -> str:
        return "..."


_HIDDEN = _Hidden()


def _signature(name: str, func: Any, scanner: SecretScanner) -> str:
    """``name(params)``, with defaults shown only when they are plain scalars or short clean strings."""
    try:
        signature = inspect.signature(func)
        parameters = [
            p
            if p.default is p.empty or _plain_default(p.name, p.default, scanner)
            else p.replace(default=_HIDDEN)
            for p in signature.parameters.values()
        ]
        text = str(signature.replace(parameters=parameters))
    except (TypeError, ValueError):
        text = "(...)"
    return name + _short(text)


def _plain_default(parameter: str, value: Any, scanner: SecretScanner) -> bool:
    if secret_name(parameter):
        return False
    if isinstance(value, str):
        return len(value) <= _MAX_VALUE and not scanner.looks_secret(value)
    return isinstance(value, _SCALARS)


def _dataframe(value: Any, scanner: SecretScanner) -> str | None:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        rows, cols = value.shape
        dtypes = list(value.dtypes.items())[:_MAX_COLUMNS]
        columns = [f"{_label(column, scanner)} ({dtype})" for column, dtype in dtypes]
        if cols > _MAX_COLUMNS:
            columns.append(f"... {cols - _MAX_COLUMNS} more")
        index = ""
        if type(value.index).__name__ != "RangeIndex":
            index_name = value.index.name
            index = f", index {_label(index_name, scanner) if index_name else type(value.index).__name__}"
        return f"pandas.DataFrame, {rows} rows x {cols} columns{index}: " + ", ".join(columns)
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.DataFrame):
        rows, cols = value.shape
        fields = list(value.schema.items())[:_MAX_COLUMNS]
        schema = [f"{_label(column, scanner)} ({dtype})" for column, dtype in fields]
        return f"polars.DataFrame, {rows} rows x {cols} columns: " + ", ".join(schema)
    return None


def _series_or_array(value: Any, scanner: SecretScanner) -> str | None:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.Series):
        label = "" if value.name is None else f" {value.name!r}"
        if value.name is not None and scanner.looks_secret(str(value.name)[:_MAX_SCANNED]):
            label = f" {REDACTED}"
        return f"pandas.Series{_short(label)}, {len(value)} values, {value.dtype}"
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return f"numpy.ndarray, shape {tuple(value.shape)}, {value.dtype}"
    return None
