"""When the live widget sends, and how much: the rate cap, the byte budget and liveness within it.
Pure: no IPython, no threads (``WidgetView``'s sender thread asks ``next_delta`` what to do).

Budget. The bytes of the live view (every delta but its output ops, with the comm envelope around
it: ~70 bytes with the widget's 12-character comm id) stay within ``ratio`` (3) times the bytes
generated so far, or ``initial`` (600) for a program too small for that. A message that carries
outputs would go for them anyway: its envelope counts as theirs, and what rides along as the view's.
At most ``max_rate`` (20) messages a second.

Rules (``next_delta``). The first message goes at once (the run's source and model). While the model
writes, the whole pending delta goes when it fits the *streaming line*: ``first`` (160) +
``streaming`` (2.8) x the bytes so far - ``per_statement`` (50) x the statements released and not
ended yet (the budget their ends will need once the code stops); statuses at once, code alone at
most every ``min_gap`` (0.4 s, so that a message carries enough code to be worth its envelope). Code
that waited ``code_wait`` (1.5 s), or a status that waited ``stale`` (5 s), goes if the budget less
that reserve for the unfinished statements allows, with its statuses; the code goes without them only
when they cost more than it does (hundreds of one-line statements), else it waits for them to fit too.
After the model wrote, a delta goes when it costs at most its fair share of what is left, shared
among the status steps still to report (a start and an end per statement, the run's end): when
little is left, the ends of long statements are grouped. While the model writes, a status that
waited twice ``stale`` goes even over budget (``over_budget`` counts those: statuses that cost more
than the program, as with hundreds of one-line statements). Outputs are never held back.

What that gives, simulated on the 26 benchmark programs (``tests/test_widget_state.py``): at most 3.0x
at 20-100 tokens/s whether statements run 0.05 or 6 s, no message over budget. At 60 tokens/s with
quick statements, code and statuses reach the view within 0.63 s; with statements of 1.5 s, within
1.7 s while the model writes and 3.1 s after (two statements a message); with statements of 6 s the
ends after generation come two or three at a time (every 12-18 s). Slower models leave less to spend:
at 30 tokens/s code and statuses wait up to 2.7 s, at 20 up to 4 s (a message every 0.9 s), at 15 up
to 3.8 s. A program of 200 one-line statements: 2.75x at 60 tokens/s, one message over budget.

Bytes are counted as jupyter_client's default packer writes them (``json_size``); the envelope is the
comm's (``{"data": {"method": "custom", "content": ...}, "comm_id": ...}``), measured by the view on
its own comm id. Counting every frame of a message instead (Jupyter's header, parent header and
signature: ~550 bytes each) no live view could keep 3x: that is six messages for a 1.3 KB program.

To validate a change: ``tests/test_widget_state.py`` simulates runs of the 26 benchmark programs on a
simulated clock and checks the cap, the budget and the waits; ``tests/test_widget_bytes.py`` measures
the bytes on a real kernel's iopub (a script too: it prints the figures).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .state import Delta, LiveState

__all__ = ["Pacer", "json_size", "next_delta"]


def json_size(obj: Any) -> int:
    """Bytes of ``obj`` as jupyter_client's default JSON packer writes it."""
    return len(json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogateescape"))


class Pacer:
    """When a delta may be sent: rate cap, byte budget and liveness (see the module docstring)."""

    def __init__(
        self,
        *,
        max_rate: float = 20.0,
        ratio: float = 3.0,
        streaming: float = 2.8,
        per_statement: int = 50,
        first: int = 160,
        initial: int = 600,
        min_gap: float = 0.4,
        code_wait: float = 1.5,
        stale: float = 5.0,
        envelope: int = 70,
        measure: Callable[[Any], int] = json_size,
    ) -> None:
        self.interval = 1.0 / max_rate
        self.ratio = ratio  # the budget: live-view bytes <= max(initial, ratio x bytes generated)
        self.streaming = streaming  # what the view may spend while the model writes ...
        self.per_statement = per_statement  # ... less this for each statement not finished yet
        self.first = first  # credit for the first message (the run's source, model and mode)
        self.initial = initial  # the budget of a program too small for its ratio
        self.min_gap = min_gap  # code alone goes at most this often (statuses at once, if affordable)
        self.code_wait = code_wait  # code waits at most this long if the budget (less the reserve) allows
        self.stale = stale  # and a status this long; twice this long, budget or not
        self.envelope = envelope  # bytes a message costs around its delta (comm id, method)
        self.measure = measure
        self.last_sent: float | None = None
        self.last_code: float | None = None  # the last message that was not only outputs
        self.retry_at = 0.0  # after a delta did not fit: when to look again
        self.statuses_since: float | None = None  # when the oldest status op not sent was seen
        self.live_bytes = 0
        self.output_bytes = 0
        self.messages = 0
        self.over_budget = 0  # messages sent over the budget because a status was stale

    def cost(self, delta: Delta) -> tuple[int, int]:
        """(live-view bytes, output bytes) that sending ``delta`` costs. A message that carries
        outputs would go for them anyway: its envelope is theirs, the rest of the delta rides along."""
        total = self.measure(delta) + self.envelope
        if "x" not in delta:
            return total, 0
        outputs = self.measure(delta["x"]) + len('"x": , ') + self.envelope
        live = max(0, total - outputs) if any(key in delta for key in ("c", "p", "n", "s")) else 0
        return live, total - live

    def budget(self, generated: int) -> float:
        """The live view's bytes stay within this, ``generated`` being the bytes generated so far."""
        return max(self.initial, self.ratio * generated)

    def streaming_limit(self, generated: int, unfinished: int) -> float:
        """What the view may have spent while the model writes: the rest waits for the ``unfinished``
        statements (running or queued), whose ends are reported after."""
        spend = self.first + self.streaming * generated - self.per_statement * unfinished
        return min(spend, self.budget(generated))

    def wait(self, now: float) -> float:
        """Seconds until the rate cap allows the next message."""
        if self.last_sent is None:
            return 0.0
        return max(0.0, self.last_sent + self.interval - now)

    def fair_share(self, live: int, steps: int, state: LiveState) -> bool:
        """After the model wrote: whether ``live`` bytes reporting ``steps`` status steps are at most
        their share of the budget left, shared among the steps still to report (each statement's start
        and end, the run's end)."""
        left = self.budget(state.generated_bytes) - self.live_bytes
        remaining = state.steps_left()
        if steps >= remaining:
            return live <= left
        return live * remaining <= left * max(steps, 1)

    def sent(self, delta: Delta, now: float, statuses: bool = True) -> None:
        live, outputs = self.cost(delta)
        self.live_bytes += live
        self.output_bytes += outputs
        self.messages += 1
        self.last_sent = now
        if live:
            self.last_code = now
        if statuses:
            self.statuses_since = None


def next_delta(state: LiveState, pacer: Pacer, now: float) -> Delta | float | None:
    """What to send at ``now``: a delta (marked sent), or seconds to wait, or None (nothing pending).
    See the module docstring for the rules."""
    if not state.has_changes():
        pacer.statuses_since = None
        return None
    if pacer.statuses_since is None and state.statuses_pending():
        pacer.statuses_since = now
    wait = max(pacer.wait(now), pacer.retry_at - now)
    if wait > 0:
        return wait
    statuses = _choose(state, pacer, now)
    if statuses is None:
        delta = state.take_outputs()
        if delta is None:
            pacer.retry_at = now + pacer.interval
            return pacer.interval
        statuses = False
    else:
        delta = state.take_delta(statuses)
    pacer.sent(delta, now, statuses)
    return delta


def _choose(state: LiveState, pacer: Pacer, now: float) -> bool | None:
    """True: send the whole pending delta; False: the code without the statuses; None: neither."""
    whole = state.peek_delta()
    live = pacer.cost(whole)[0]
    quiet = now - (pacer.last_code if pacer.last_code is not None else now)  # code waited this long
    waited = now - (pacer.statuses_since if pacer.statuses_since is not None else now)
    generated = state.generated_bytes
    total = pacer.budget(generated)
    if not (state.generating or "c" in whole or "p" in whole):  # the model wrote: statuses share what is left
        steps = state.pending_steps() if "s" in whole else 0
        return True if pacer.fair_share(live, steps, state) else None
    unfinished = state.unfinished()
    keep = total - pacer.per_statement * unfinished  # what the ends still to report will need
    limit = pacer.streaming_limit(generated, unfinished) if state.generating else total  # else: last words
    eager = "s" in whole or quiet >= pacer.min_gap
    if pacer.messages == 0 or (eager and pacer.live_bytes + live <= limit):
        return True
    if (quiet >= pacer.code_wait or waited >= pacer.stale) and pacer.live_bytes + live <= keep:
        return True
    if quiet >= pacer.code_wait:  # the code alone, only when its statuses cost more than it does
        code = pacer.cost(state.peek_delta(statuses=False))[0]
        if live - code > code - pacer.envelope and pacer.live_bytes + code <= keep:
            return False
    if waited >= 2 * pacer.stale:  # statuses that cost more than the budget has
        pacer.over_budget += 1
        return True
    return None
