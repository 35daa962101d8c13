"""The live widget's wire format: status ops, how one delta merges them, and how it writes them.
Pure: no IPython. ``widget_state`` keeps the ops; ``labextension/src/state.ts`` reads them.

A delta (the ``content`` of an ipywidgets custom message; every key optional)::

    {"c": "...",               code appended
     "p": "...",               prose appended (a model's words around its code block)
     "n": 512,                 pieces (tokens) streamed so far
     "s": [...],               statement and run changes, in order (below)
     "x": [out, ...]}          output changes (below); not counted against the byte budget

Status ops. The run's log of them (``LiveState.ops``, the snapshot's ``"s"``, and the saved
notebook's run bundle) holds JSON arrays; times are integer ms since the request::

    ["B", source, model, mode]            the run began (at 0)
    ["T", t]                              the first piece arrived
    ["R", gap, length, gen, delay]        the next statement (index = statements so far) was released:
                                          its code starts ``gap`` characters after the previous one's
                                          end, was generated at ``gen`` and released ``delay`` ms later
                                          (a 10th element, after 4 nulls, gives its line when that is
                                          not the code text's own line number: repair rounds)
    ["H", i, reason]                      held by the gate
    ["S", i, t, batch]                    started
    ["D", i, run]                         finished, ``run`` ms after it started
    ["F", i, run, error]                  failed (``run`` is null if it never started)
    ["X", i, reason]                      skipped
    ["P", round, failed_index]            a repair round started
    ["G", t, stopped, output_tokens]      generation ended
    ["E", t, status, error]               the run ended

In a delta, first ``coalesce`` merges a statement's ops that travel together: ``R`` takes the started
time, batch, run time and error after its own fields (``["R", gap, length, gen, delay, t, batch,
run, error, line]``), and ``S`` takes the run time and error (``["S", i, t, batch, run, error]``);
a run time means finished, an error failed. Trailing nulls are dropped.

Then ``encode`` writes the ops that carry only numbers (``R``, ``S``, ``D``, ``T`` without an
error) in a short form, consecutive ones joined by ``;`` into one string; the others stay arrays::

    "R<gap>,<length>,<gen - previous statement's gen>,<delay>,<started - released>,<batch>,<run>,,<line>"
    "S<i>,<started - released>,<batch>,<run>"    "D<i>,<run>"    "T<t>"

An empty field is null (for ``R``'s gap, gen and delay: 0), trailing commas are dropped, and
``released`` is the statement's ``gen + delay``. So a statement released, run and finished within
one delta costs ``"R1,23,66,,0,5,2"`` (16 bytes) instead of ``["R", 1, 23, 1540, 0, 1540, 5, 2]``
(34), and a statement finishing as the next starts ``"D4,1500;S5,20400,5"``. Times stay relative
to the statement's own release or to the previous statement's generation, never to an earlier op,
because a delta and the snapshot's log apply the same ops in different orders.

Output ops: ``["a", i, output]`` appends an nbformat output dict to statement i,
``["s", i, name, text]`` appends stream text (merged into the last output when it is the same stream),
``["u", i, k, output]`` replaces statement i's output k (a display update),
``["c", i, wait]`` clears statement i's outputs.

Why so terse: the byte budget (``widget_pacing``). A statement's code is ~50 bytes on average in
the benchmark programs; its ops, as dicts with names, would cost three times that. For the same
reason a delta carries no sequence number, offset or timestamp (a comm is ordered and loses nothing;
the frontend extrapolates the clock from the last time it was told).

To validate a change: ``tests/test_widget_state.py`` replays simulated runs' deltas and snapshots
with the labextension's own ``RunState`` in node and checks both give the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Op", "coalesce", "encode"]

Op = list[Any]

_SHORT = {"R", "S", "D", "T"}


def coalesce(ops: list[Op], first_index: int) -> list[Op]:
    """Merge a statement's ops that travel in the same delta: ``R`` + ``S`` (+ ``D``/``F``) becomes
    one extended ``R``, ``S`` + ``D``/``F`` one extended ``S`` (see the module docstring). Order
    between statements does not matter to a frontend, so merging moves nothing it could see; within
    one statement it does: a start after a hold (``R``, ``H``, ``S``) stays after the ``H``, or the
    frontend would apply the hold last and show a finished statement as held."""
    out: list[Op] = []
    where: dict[int, int] = {}  # statement index -> position of its R or S op in ``out``
    index = first_index
    for op in ops:
        kind = op[0]
        if kind == "R":  # -> ["R", gap, length, gen, delay, started, batch, run, error, line]
            where[index] = len(out)
            out.append([*op[:5], None, None, None, None, op[9] if len(op) > 9 else None])
            index += 1
        elif kind == "H":
            where.pop(op[1], None)  # what follows the hold must come after it
            out.append(list(op))
        elif kind == "S" and op[1] in where and out[where[op[1]]][0] == "R":
            out[where[op[1]]][5:7] = [op[2], op[3]]
        elif kind == "S":  # -> ["S", i, started, batch, run, error]
            where[op[1]] = len(out)
            out.append([*op[:4], None, None])
        elif kind in ("D", "F") and op[1] in where and op[2] is not None:
            target = out[where[op[1]]]
            at = 7 if target[0] == "R" else 4
            target[at] = op[2]
            if kind == "F":
                target[at + 1] = op[3]
        else:
            out.append(list(op))
    for op in out:
        while op and op[-1] is None:
            op.pop()
    return out


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _short(kind: str, fields: list[Any], zero: tuple[int, ...] = ()) -> str:
    """``kind`` then the fields, comma-separated: null (and 0 where ``zero``) empty, trailing ones dropped."""
    text = [("" if v is None or (k in zero and v == 0) else str(v)) for k, v in enumerate(fields)]
    while text and not text[-1]:
        text.pop()
    return kind + ",".join(text)


def encode(
    ops: list[Op], first_index: int, generated: Callable[[int], int], released: Callable[[int], int]
) -> list[Any]:
    """Coalesced ops (statement ``first_index`` is the next one released) as a delta's ``"s"``: see
    the module docstring. ``generated(i)`` and ``released(i)`` give statement i's times in ms."""
    out: list[Any] = []
    run: list[str] = []  # short ops not yet joined
    previous = generated(first_index - 1) if first_index > 0 else 0
    for op in ops:
        kind, short = op[0], None
        full = op + [None] * (10 - len(op))
        if kind in _SHORT and all(_number(v) for v in op[1:]) and (kind != "R" or op[2] is not None):
            if kind == "R":
                gen, delay, started = full[3], full[4], full[5]
                since = None if started is None else started - gen - (delay or 0)
                fields = [full[1], full[2], gen - previous, delay, since, full[6], full[7], None, full[9]]
                short = _short("R", fields, zero=(0, 2, 3))
            elif kind == "S":
                since = None if full[2] is None else full[2] - released(full[1])
                short = _short("S", [full[1], since, full[3], full[4]])
            else:
                short = _short(kind, op[1:])
        if kind == "R":
            previous = op[3]
        if short is not None:
            run.append(short)
            continue
        if run:
            out.append(";".join(run))
            run = []
        out.append(list(op))
    if run:
        out.append(";".join(run))
    return out
