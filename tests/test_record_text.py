"""``record.text.GrowingText`` (the run record's code and prose) against plain string slicing: random
appends, reads and truncations (revisions), including cuts inside the head a read joined."""

from __future__ import annotations

import random
import time

import pytest

from eager_jupyter.record.text import GrowingText


@pytest.mark.parametrize("seed", range(40))
def test_growing_text_against_a_string(seed: int) -> None:
    rng = random.Random(seed)
    text, oracle = GrowingText(), ""
    for _ in range(300):
        r = rng.random()
        if r < 0.55:
            piece = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 6)))
            text.append(piece)
            oracle += piece
        elif r < 0.7:
            assert text.value() == oracle
        else:
            n = rng.randint(0, len(oracle) + 2) if rng.random() < 0.8 else len(oracle)
            assert text.truncate(n) == oracle[n:]
            oracle = oracle[:n]
        assert len(text) == len(oracle)
    assert text.value() == oracle


def test_a_truncate_costs_the_tail_not_the_text() -> None:
    """A revision of the last few characters of a long, already read text: well under the cost of
    copying it (the old truncate joined the whole text every time)."""
    text = GrowingText()
    for _ in range(8192):
        text.append("x = 1\n" * 170)  # ~8 MB in 1 KB pieces
    text.value()  # one part now: the head
    start = time.perf_counter()
    for _ in range(1000):
        text.append("tail")
        assert text.truncate(len(text) - 5).endswith("tail")  # one character of the head too
    per_revision = (time.perf_counter() - start) / 1000
    start = time.perf_counter()
    for _ in range(20):
        "".join([text.value(), "y"])[:-1]
    copy = (time.perf_counter() - start) / 20
    assert per_revision < copy / 10, (per_revision, copy)
