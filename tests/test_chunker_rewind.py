"""Oracle tests for `Chunker.rewind` (issue 18, revisable streams).

A revisable stream appends text and sometimes withdraws everything from an offset on. Random
revision histories are generated whose final text is a corpus or stdlib file: pieces of the file,
detours (text from elsewhere in the file, or junk) later withdrawn, and withdrawals into text
already released. Checked:
1. after every step, the chunks still standing + `pending` == the text as revised so far;
2. `rewind` withdraws a suffix of the standing chunks, at most one of them lying wholly before the
   rewind offset (the one whose release the withdrawn lookahead decided);
3. at the end, the standing chunks equal a fresh chunking of the final text (code, offset, line,
   kind, IPython lines), whatever the revisions and piece sizes were;
4. a rewind deep inside a long pending def, or into a long released def's lookahead, re-feeds fewer
   than `CHECKPOINT` lines (counted by the chunker's private `_refed`, not timed), and still chunks
   like a fresh chunker.
The stdlib checks take a sample of files (every third of `test_chunker.stdlib_sample`, three
histories each): one history per file over the whole stdlib takes over half an hour, on each of
three Pythons, which the suite cannot afford.
Pure (pytest + stdlib), so it also runs on 3.12 and 3.13 via `test_other_pythons.py`.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_chunker import read_source, stdlib_sample

from eager_jupyter.chunker import Chunk, Chunker
from eager_jupyter.chunker.chunker import CHECKPOINT

CORPUS = Path(__file__).parent / "chunker_corpus"
JUNK = ["else:\n", "el", "elif x:\n    pass\n", "    y = 2\n", "(", ")\n", "'''", '"', "#", "\\\n",
        "def g():\n", "@d\n", "%time x\n", "!ls \\\n", "x = [1,\n", "\n", "  ", "f'{", "try:\n"]


def fields(chunk: Chunk) -> tuple[object, ...]:
    return (chunk.code, chunk.offset, chunk.start_line, chunk.kind, chunk.ipython_lines)


def fresh(text: str) -> list[tuple[object, ...]]:
    chunker = Chunker()
    return [fields(c) for c in chunker.feed(text) + chunker.finish()]


class Run:
    """A chunker under revision, with the caller's view of it: the chunks standing and the text."""

    def __init__(self) -> None:
        self.chunker = Chunker()
        self.standing: list[Chunk] = []
        self.text = ""
        self.rewinds = 0
        self.withdrawn = 0

    def take(self, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            assert chunk.offset == sum(len(c.code) for c in self.standing[-1:]) + (
                self.standing[-1].offset if self.standing else 0)
            self.standing.append(chunk)
        self.check()

    def check(self) -> None:
        assert "".join(c.code for c in self.standing) + self.chunker.pending == self.text

    def feed(self, piece: str) -> None:
        self.text += piece
        self.take(self.chunker.feed(piece))

    def rewind(self, k: int) -> None:
        gone = self.chunker.rewind(k)
        n = len(self.standing)
        assert gone == list(range(n - len(gone), n)), (gone, n)  # 2. a suffix
        before = [c for c in self.standing[n - len(gone) :] if c.offset + len(c.code) <= k]
        assert len(before) <= 1, [c.code for c in before]
        del self.standing[n - len(gone) :]
        self.text = self.text[:k]
        self.rewinds += 1
        self.withdrawn += len(gone)
        # 1. (queued chunks come with the next feed: check after an empty one)
        self.take(self.chunker.feed(""))

    def finish(self) -> list[tuple[object, ...]]:
        self.take(self.chunker.finish())
        assert self.chunker.pending == ""
        return [fields(c) for c in self.standing]


def revise(final: str, rng: random.Random, high: int = 40) -> Run:
    """A random revision history ending in `final`, fed in random pieces of 1..`high` characters."""
    run = Run()
    good = 0  # run.text[:good] is known to be final[:good]
    while True:
        r = rng.random()
        if good < len(run.text) and r < 0.5:  # off track: go back, sometimes further
            back = rng.choice([0, 0, 1, 5, 10 * high, 400])
            run.rewind(max(0, good - rng.randint(0, back)))
            good = len(run.text)
        elif good < len(run.text):
            run.feed(rng.choice(JUNK))
        elif r < 0.03:  # a detour: junk or text from elsewhere in the file
            if rng.random() < 0.5:
                run.feed(rng.choice(JUNK))
            else:
                i = rng.randrange(len(final) + 1)
                run.feed(final[i : i + rng.randint(1, 200)])
        elif r < 0.05 and run.text:  # a withdrawal of correct text
            run.rewind(max(0, len(run.text) - rng.randint(0, 10 * high)))
            good = len(run.text)
        elif good == len(final):
            return run
        else:
            run.feed(final[good : good + rng.randint(1, high)])
            good = len(run.text)


def corpus_texts() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


@pytest.mark.parametrize("path", corpus_texts(), ids=lambda p: p.stem)
def test_rewind_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = fresh(text)
    for seed in range(30):
        rng = random.Random(f"{path.name}:{seed}")
        run = revise(text, rng, high=rng.choice([1, 3, 40]))
        assert run.finish() == expected, f"seed {seed}"


@pytest.mark.parametrize("path", stdlib_sample()[::3], ids=lambda p: p.name)
def test_rewind_stdlib(path: Path) -> None:
    text = read_source(path)
    if text is None or len(text) > 200_000:
        pytest.skip("unreadable or too large for a revision history")
    expected = fresh(text)
    rewinds = 0
    for seed in range(3):
        rng = random.Random(f"{path.name}:{seed}")
        run = revise(text, rng, high=rng.choice([3, 40]))
        assert run.finish() == expected, f"seed {seed}"
        rewinds += run.rewinds
    assert rewinds > 0 or len(text) < 2000


def test_rewind_into_lookahead_reopens_the_statement() -> None:
    chunker = Chunker()
    assert chunker.feed("if x:\n    a()\n") == []
    (chunk,) = chunker.feed("elsewhere = 1")
    assert chunk.code == "if x:\n    a()\n"
    assert chunker.rewind(len("if x:\n    a()\nel")) == [0]  # `el` may still become `else`
    assert chunker.feed("se:\n    b()\n") == []
    (whole,) = chunker.finish()
    assert whole.code == "if x:\n    a()\nelse:\n    b()\n"


def test_rewind_inside_pending_and_back_to_a_released_statement() -> None:
    chunker = Chunker()
    first = chunker.feed("a = 1\nb = f(1,\n")
    assert [c.code for c in first] == ["a = 1\n"]
    assert chunker.rewind(len("a = 1\nb = f(")) == []  # inside the pending statement
    assert chunker.pending == "b = f("
    assert [c.code for c in chunker.feed("2)\n")] == ["b = f(2)\n"]
    assert chunker.rewind(2) == [0, 1]  # into `a = 1`
    assert chunker.pending == "a "
    assert [c.code for c in chunker.feed("= 3\n")] == ["a = 3\n"]


def test_rewind_keeps_a_statement_the_kept_text_completes() -> None:
    chunker = Chunker()
    chunker.feed("for i in r:\n    p(i)\n")
    assert [c.code for c in chunker.feed("x = 1\n")] == ["for i in r:\n    p(i)\n", "x = 1\n"]
    assert chunker.rewind(len("for i in r:\n    p(i)\nx")) == [0, 1]
    # `x` alone already decides the loop: released again with the next feed.
    assert [c.code for c in chunker.feed("")] == ["for i in r:\n    p(i)\n"]
    assert chunker.pending == "x"


def test_rewind_bad_offset() -> None:
    chunker = Chunker()
    chunker.feed("abc")
    with pytest.raises(ValueError, match="only 3 characters"):
        chunker.rewind(4)
    assert chunker.rewind(3) == []
    assert chunker.rewind(0) == []
    assert chunker.pending == ""


def long_def(n: int) -> str:
    """A def of about `n` lines whose body holds brackets, strings and comments across lines."""
    parts = ["@deco\ndef f(a,\n      b):\n"]
    for i in range(n // 8):
        parts.append(
            f"    v{i} = g({i},\n"
            f"          [{i}, {{'k': {i}}}])  # note {i}\n"
            f'    s{i} = """text {i}\n'
            f"    more ( [ {i}\n"
            f'    """\n'
            f"    # a comment\n"
            f"    w{i} = f'{{v{i}}}' + \\\n"
            f"        'x'\n"
        )
    return "".join(parts)


def test_rewind_deep_in_a_long_pending_def_refeeds_a_few_lines() -> None:
    # The def is pending (its end is not known): a rewind anywhere in it must re-feed only the few
    # lines since the last checkpoint, not the statement from its start, and still chunk like a
    # fresh chunker.
    text = long_def(4000)
    lines = text.splitlines(keepends=True)
    longest = max(len(line) for line in lines)
    rng = random.Random("deep")
    for _ in range(12):
        line = rng.randrange(len(lines) // 4, len(lines))
        k = sum(len(x) for x in lines[:line]) + rng.randrange(len(lines[line]))
        for tail in (text[k:], "\n    pass\nx = 1\n", '"""\n', "(\nelse:\n"):
            chunker = Chunker()
            assert chunker.feed(text) == []
            refed = chunker._refed
            assert chunker.rewind(k) == []
            assert chunker._refed - refed < CHECKPOINT * longest, (line, k)
            assert chunker.pending == text[:k]
            chunks = [fields(c) for c in chunker.feed(tail) + chunker.finish()]
            assert chunks == fresh(text[:k] + tail), (line, k, tail)


def test_rewind_into_a_long_released_def_refeeds_a_few_lines() -> None:
    # The def was released by the next line's first word; withdrawing that lookahead, or the def's
    # last lines, reopens it from a checkpoint, not from its start.
    text = long_def(4000) + "# after\n"
    longest = max(len(line) for line in text.splitlines(keepends=True))
    for look, k, tail in (
        ("x = 1", len(text) + 1, " = 2\n"),  # inside the lookahead
        ("xyz", len(text), "    pass\n"),  # before it: the def goes on
        ("el", len(text) - 20, "\n"),  # into the def's last line
        ("class C:\n    pass\n", len(text) - 200, "\nx = 1\n"),
    ):
        chunker = Chunker()
        (chunk, *_) = chunker.feed(text + look)
        assert chunk.code == text[: len(text) - len("# after\n")]
        refed = chunker._refed
        assert chunker.rewind(k)[0] == 0
        assert chunker._refed - refed < CHECKPOINT * longest + len(look), (look, k)
        final = (text + look)[:k] + tail
        chunks = [fields(c) for c in chunker.feed("") + chunker.feed(tail) + chunker.finish()]
        assert chunks == fresh(final), (look, k, tail)
