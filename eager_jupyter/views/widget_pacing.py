"""When the live widget sends, and how much: the rate cap, the byte budget and the liveness floor.
Pure: no IPython, no threads (``WidgetView``'s sender thread asks ``next_delta`` what to do).

Budget. ``Pacer`` sends at most ``max_rate`` (20) deltas a second, and keeps the bytes of the live
view (everything but output ops; the comm envelope around each delta, ~80 bytes, included) within
``ratio`` (2.5) times the code generated so far plus ``initial`` (200) bytes, so the first messages
go at once. When a whole delta does not fit, the code alone goes if it fits (code streams first;
statuses wait and coalesce), with a reserve (``reserve`` times the code size) kept for statuses: a
code-only message waits until enough code has come to be worth its envelope. Liveness comes before
the budget: whatever is pending goes at least every ``max_wait`` (0.6 s).

What that gives. Simulated on the 26 benchmark programs: 2.0-2.7x at 100 tokens/s (3 updates a
second), 2.5-2.9x at 60 (2 a second), and 3.3-3.9x at 30, where the 0.6 s refresh costs more than
the code it carries; a program of one-line statements (``x = i``) costs ~6x, its statuses (~35 bytes
each) outweighing its code. The budget also gives way when statements run long while the code
streams: every status change still reaches the view within 0.6 s, so at 60 tokens/s with every
statement running 0.3 s the worst benchmark program costs 3.1x, at 0.7 s 4.3x, at 1.5 s 4.7x
(simulated). Measured on a real kernel's iopub at 60 tokens/s on 2026-12-03: 2.6-3.2x in comm
content (the widget's comm_open, ~415 bytes once, aside), 1.7 messages a second, exactly the bytes
the pacer counts; counting every frame of those messages (Jupyter's header, parent header and
signature, ~550 bytes each) it is 8-10x: below one message a second no view would look live.

Bytes are counted as jupyter_client's default packer writes them (``json_size``), and the envelope
is the comm's (``{"data": {"method": "custom", "content": ...}, "comm_id": ...}``).

To validate a change: ``tests/test_widget_state.py`` simulates runs of the 26 benchmark programs on a
simulated clock and checks the cap, the floor and the budget; ``tests/test_widget_bytes.py`` measures
the bytes on a real kernel's iopub (a script too: it prints the figures).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .widget_state import Delta, LiveState

__all__ = ["Pacer", "json_size", "next_delta"]


def json_size(obj: Any) -> int:
    """Bytes of ``obj`` as jupyter_client's default JSON packer writes it."""
    return len(json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogateescape"))


class Pacer:
    """When a delta may be sent: rate cap and byte budget (see the module docstring)."""

    def __init__(
        self,
        *,
        max_rate: float = 20.0,
        ratio: float = 2.5,
        reserve: float = 0.5,
        initial: int = 200,
        max_wait: float = 0.6,
        envelope: int = 80,
        measure: Callable[[Any], int] = json_size,
    ) -> None:
        self.interval = 1.0 / max_rate
        self.ratio = ratio
        self.reserve = reserve
        self.initial = initial  # credit at the start, so the first messages go at once
        self.max_wait = max_wait  # liveness: whatever the budget, changes wait at most this long
        self.envelope = envelope  # bytes a message costs around its delta (comm id, method)
        self.measure = measure
        self.last_sent: float | None = None
        self.retry_at = 0.0  # after a delta did not fit: when to look again
        self.live_bytes = 0
        self.output_bytes = 0
        self.messages = 0

    def cost(self, delta: Delta) -> tuple[int, int]:
        """(live-view bytes, output bytes) that sending ``delta`` costs, envelope included."""
        total = self.measure(delta) + self.envelope
        if "x" not in delta:
            return total, 0
        if not any(key in delta for key in ("c", "p", "n", "s")):
            return 0, total  # a message that only carries outputs is the outputs' cost
        outputs = self.measure(delta["x"]) + len('"x": , ')
        return total - outputs, outputs

    def wait(self, now: float) -> float:
        """Seconds until the rate cap allows the next message."""
        if self.last_sent is None:
            return 0.0
        return max(0.0, self.last_sent + self.interval - now)

    def overdue(self, now: float) -> bool:
        """True when the last message is ``max_wait`` old: the next delta goes, budget or not."""
        return self.last_sent is not None and now - self.last_sent >= self.max_wait

    def affordable(self, delta: Delta, generated: int) -> bool:
        """Whether ``delta`` fits the budget, ``generated`` being the bytes generated so far."""
        live, _ = self.cost(delta)
        if live == 0:
            return True
        limit = self.initial + self.ratio * generated
        if "s" not in delta:  # code alone waits until enough came to be worth a message
            limit -= self.reserve * generated  # and leaves room for the statuses still to come
        return self.live_bytes + live <= limit

    def sent(self, delta: Delta, now: float) -> None:
        live, outputs = self.cost(delta)
        self.live_bytes += live
        self.output_bytes += outputs
        self.messages += 1
        self.last_sent = now


def next_delta(state: LiveState, pacer: Pacer, now: float) -> Delta | float | None:
    """What to send at ``now``: a delta (marked sent), or seconds to wait, or None (nothing pending).

    The whole pending delta if it fits the budget, or when the last message is ``max_wait`` old;
    else the code alone if it fits (statuses wait and coalesce); else the outputs alone (never held
    back); else wait one interval for more code to pay for it.
    """
    if not state.has_changes():
        return None
    wait = max(pacer.wait(now), pacer.retry_at - now)
    if wait > 0:
        return wait
    statuses = True
    if not pacer.affordable(state.peek_delta(), state.generated_bytes) and not pacer.overdue(now):
        statuses = False
        code = state.peek_delta(statuses=False)
        if not ("c" in code or "p" in code) or not pacer.affordable(code, state.generated_bytes):
            outputs = state.take_outputs()
            if outputs is not None:
                pacer.sent(outputs, now)
                return outputs
            pacer.retry_at = now + pacer.interval
            return pacer.interval
    delta = state.take_delta(statuses)
    pacer.sent(delta, now)
    return delta
