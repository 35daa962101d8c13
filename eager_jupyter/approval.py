"""Approval: whether the statements the gate held run once generation has ended (``Eager.approve``).

The gate holds a statement that reaches for a side effect (a process, a file write, the network, ...)
and every statement after it until generation ends; then the engine asks the function built here,
once per round, with the held statements from the run record, and gets a ``Decision``:

- ``auto`` (the paper's policy, the default): no function; held statements run after generation.
- ``ask``: the user answers an input request, as ``input()`` in a cell does (the kernel's
  ``raw_input``: an ``input_request`` on the stdin channel, which JupyterLab, Notebook 7 and VS Code
  answer). The prompt lists each held statement (number, line, first line of code, why it was held)
  and the choices ``r`` run all, ``s`` skip held, ``x`` stop; an unknown answer is asked again, at
  most ``TRIES`` times in all, then the run stops. ``s`` skips the held statements and the cell ends
  well (the user chose it); ``x`` skips them and everything else not yet run, and the cell fails.
- ``deny``: held statements never run. The cell **fails** (one line, after what was free to run has
  run): the user asked for a program and part of it did not run, so Run All must stop rather than go
  on with cells that may need what was skipped.
- ``ask`` without a frontend that can answer (nbclient and papermill send ``allow_stdin: false`` and
  ipykernel raises ``StdinNotImplementedError``, a ``NotImplementedError``): behaves as ``deny``, and
  the line and each statement's note say so.

The policy is a value fixed when the magic builds the function, before anything runs: generated code
that changes ``Eager.approve`` (which the gate holds anyway, as a change of this extension's settings)
cannot change what happens in the run under way. The function reading answers is bound then too.

Pure: no IPython, no I/O of its own; ``ask`` is given (the kernel's ``raw_input``, or ``input`` in a
terminal). To validate a change: ``tests/test_approval.py`` (in-process) and
``tests/test_approval_kernel.py`` (a real kernel's stdin channel, and nbclient).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .record import StatementRecord

__all__ = [
    "CHOICES", "TRIES", "ApproveFn", "AskFn", "Choice", "Decision", "Policy", "approver", "parse", "prompt"
]

Policy = Literal["auto", "ask", "deny"]
Choice = Literal["run", "skip", "stop"]

#: how many answers ``ask`` reads before it stops the run
TRIES = 3

#: what the user may answer (case and surrounding blanks ignored)
CHOICES: dict[str, Choice] = {
    "r": "run", "run": "run", "run all": "run",
    "s": "skip", "skip": "skip", "skip held": "skip",
    "x": "stop", "stop": "stop",
}

_SHOWN = 12  # statements listed in the prompt; the rest are counted
_WIDTH = 72  # characters of a statement's first line shown


@dataclass(frozen=True)
class Decision:
    """What the engine does with the held statements.

    ``run``: they run. ``skip``: they are skipped, each with ``reason``; with an ``error`` the cell
    then fails with that line, once what was free to run has run. ``stop``: they and everything not
    yet run are skipped, and the cell fails with ``error``.
    """

    choice: Choice
    reason: str = ""
    error: str | None = None


ApproveFn = Callable[[list[StatementRecord]], Decision]
AskFn = Callable[[str], str]


def approver(policy: str, ask: AskFn | None = None, *, setting: str | None = None) -> ApproveFn | None:
    """The engine's ``approve`` function for ``policy`` (None for ``auto``). ``ask`` reads one answer
    for a prompt; None, or one that raises ``NotImplementedError`` or ``OSError``, means no frontend
    can answer. ``setting`` names where the policy came from, for the messages (``--approve deny``)."""
    if policy == "auto":
        return None
    where = setting or f"Eager.approve = {policy!r}"
    if policy == "deny":
        return lambda held: _denied(held, where)
    if policy != "ask":
        raise ValueError(f"unknown approval policy {policy!r}")

    def approve(held: list[StatementRecord]) -> Decision:
        return _asked(held, ask, where)

    return approve


def _denied(held: Sequence[StatementRecord], why: str) -> Decision:
    n = len(held)
    error = f"{n} held statement{'s' if n != 1 else ''} not run: {why}"
    return Decision("skip", f"held statements are not run: {why}", error)


def _asked(held: Sequence[StatementRecord], ask: AskFn | None, where: str) -> Decision:
    no_frontend = f"no frontend can answer, so {where} acts as 'deny'"
    if ask is None:
        return _denied(held, no_frontend)
    text = prompt(held, where)
    for attempt in range(TRIES):
        try:
            answer = ask(text)
        except (NotImplementedError, OSError):  # StdinNotImplementedError: nbclient, papermill
            return _denied(held, no_frontend)
        except EOFError:  # the frontend closed its input
            break
        choice = parse(answer)
        if choice == "run":
            return Decision("run")
        if choice == "skip":
            return Decision("skip", "not approved")
        if choice == "stop":
            break
        left = TRIES - attempt - 1
        text = f"{answer.strip()!r} is not one of r, s, x ({left} tr{'ies' if left != 1 else 'y'} left): "
    n = len(held)
    return Decision(
        "stop",
        "not approved",
        f"{n} held statement{'s were' if n != 1 else ' was'} not approved; the run stopped",
    )


def parse(answer: str) -> Choice | None:
    """The choice an answer names, or None."""
    return CHOICES.get(" ".join(answer.lower().split()))


def prompt(held: Sequence[StatementRecord], where: str = "Eager.approve = 'ask'") -> str:
    """The input request's text: each held statement with its reason, then the choices."""
    n = len(held)
    lines = [f"{n} statement{'s' if n != 1 else ''} held until you approve ({where}):"]
    for stmt in held[:_SHOWN]:
        lines.append(f"  {stmt.index + 1}. line {stmt.line}: {_first_line(stmt.code)}")
        lines.append(f"       held: {stmt.held_reason or 'held'}")
    if n > _SHOWN:
        lines.append(f"  ... and {n - _SHOWN} more")
    lines.append("Run them? r = run all, s = skip held, x = stop the run: ")
    return "\n".join(lines)


def _first_line(code: str) -> str:
    """The statement's first line of code (not a comment), shortened; ``…`` when more follow."""
    lines = [t.rstrip() for t in code.splitlines() if t.strip() and not t.strip().startswith("#")]
    if not lines:
        return code.strip()[:_WIDTH]
    first = lines[0]
    if len(first) > _WIDTH:
        return first[: _WIDTH - 1] + "…"
    return first + (" …" if len(lines) > 1 else "")
