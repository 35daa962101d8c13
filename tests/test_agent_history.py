"""The kernel's last cells sent with an episode's first request (``agent.episode.kernel_history``).

Pure: a stand-in shell whose ``user_ns`` holds ``In`` and ``Out`` as IPython keeps them.
"""

from __future__ import annotations

import random
import re
from types import SimpleNamespace
from typing import Any

from eager_jupyter.agent.episode import kernel_history

NOTE = re.compile(r"\n\[\.\.\. (\d+) characters cut \.\.\.\]\n")


def shell(cells: list[str], outputs: dict[int, Any] | None = None) -> SimpleNamespace:
    """A shell that ran ``cells`` (In[1], In[2], ...) and is now running one more."""
    return SimpleNamespace(user_ns={"In": ["", *cells, "%%eager --agent\nnow"], "Out": outputs or {}})


def numbers(history: str) -> list[int]:
    return [int(n) for n in re.findall(r"^In \[(\d+)\]:$", history, re.MULTILINE)]


def test_the_last_five_cells_oldest_first_with_their_out() -> None:
    history = kernel_history(shell([f"hx{i} = {i}\nhx{i}" for i in range(1, 8)], {7: 7, 3: 3}))
    assert numbers(history) == [3, 4, 5, 6, 7]
    assert history.startswith("In [3]:\nhx3 = 3\nhx3\nOut[3]:\n3\n\nIn [4]:")
    assert history.endswith("In [7]:\nhx7 = 7\nhx7\nOut[7]:\n7\n")
    assert "now" not in history  # the running cell
    assert numbers(kernel_history(shell(["a = 1"] * 7), cells=2)) == [6, 7]


def test_magics_that_load_or_run_eager_are_left_out() -> None:
    cells = ["hy = 1", "%load_ext eager_jupyter", "%%eager --agent\nearlier", "hy"]
    assert numbers(kernel_history(shell(cells))) == [1, 4]


def test_an_oversized_newest_cell_is_cut_and_older_cells_stay() -> None:
    big = "".join(f"hz_{i} = {i}\n" for i in range(1000))  # about 12,000 characters
    history = kernel_history(shell(["hz_a = 1", "hz_b = 2", big.strip()]))
    assert len(history) <= 4000
    assert numbers(history) == [1, 2, 3]  # the older cells are still there
    newest = history[history.index("In [3]:"):]
    (cut,) = NOTE.findall(newest)
    entry = f"In [3]:\n{big}"
    # what is shown and what was cut add up to the whole cell: its start and its end, kept whole
    head, tail = NOTE.split(newest)[0], NOTE.split(newest)[2]
    assert len(head) + int(cut) + len(tail) == len(entry)
    assert entry.startswith(head) and entry.endswith(tail)
    assert len(newest) <= 2000  # at most half the budget, to leave room for the cells before it


def test_the_budget_holds_and_the_oldest_cell_that_does_not_fit_is_cut() -> None:
    cells = ["".join(f"hw{n}_{i} = {i}\n" for i in range(120)).strip() for n in range(1, 6)]  # ~1,300 each
    history = kernel_history(shell(cells))
    assert len(history) <= 4000
    assert numbers(history) == [3, 4, 5]
    assert len(NOTE.findall(history)) == 1 and history.index("In [3]:") < NOTE.search(history).start() < \
        history.index("In [4]:")  # only the oldest one shown is cut
    assert cells[4] in history and cells[3] in history


def test_a_long_out_is_cut_with_a_note() -> None:
    history = kernel_history(shell(["hv = list(range(1000))\nhv"], {1: list(range(1000))}))
    out = history[history.index("Out[1]:\n") + 8:]
    assert len(out) <= 601 and NOTE.search(out) and out.rstrip().endswith("998, 999]")


def test_random_cells_stay_within_both_limits() -> None:
    rng = random.Random(16)
    for _ in range(300):
        count = rng.randint(0, 9)
        cells = ["x" * rng.choice([1, 50, 700, 1900, 2100, 3999, 4000, 9000]) for _ in range(count)]
        outputs = {n: "y" * rng.randint(0, 2000) for n in range(1, count + 1) if rng.random() < 0.3}
        budget = rng.choice([400, 1000, 4000])
        history = kernel_history(shell(cells, outputs), budget=budget)
        assert len(history) <= budget
        shown = numbers(history)
        assert len(shown) <= 5 and shown == sorted(shown)
        if count:
            assert shown and shown[-1] == count  # the newest cell is always there, cut if need be
            assert shown == list(range(count - len(shown) + 1, count + 1))
