"""Oracle tests for the streaming chunker (issue 2, "The chunker" and "Tests").

For any way of cutting a text into pieces, checked after every feed or at the end:
1. released text + `pending` == text fed so far, and all chunks together == the whole text;
2. the chunks' statements are `ast.parse(text).body` grouped per line, each chunk ending on the line
   where its group ends (a last chunk may hold only comments);
3. each chunk compiles alone (`Chunk.syntax_error is None`);
4. each chunk is released by exactly the feed an independent oracle names (`expected_release`,
   from `ast` end positions plus the one-token lookahead rule), never earlier, never later.
Texts that do not compile on the running Python get 1 and "no crash" only; hand-written cases
cover IPython syntax and syntax errors. Runs on 3.11 here and on 3.12/3.13 via
`test_other_pythons.py`, so this file needs nothing beyond pytest and the stdlib.
"""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
import sysconfig
import tokenize
import warnings
from collections.abc import Iterable
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from eager_jupyter.chunker import Chunk, Chunker

CORPUS = Path(__file__).parent / "chunker_corpus"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
FINISH = -1  # "released by finish()"
TRY = (ast.Try, ast.TryStar)
COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, *TRY, ast.With, ast.AsyncWith,
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match)


# -- the oracle ----------------------------------------------------------------------------------


def parse(text: str) -> ast.Module | None:
    if "\r" in text.replace("\r\n", ""):
        return None  # a lone CR is a line break for CPython, not for the chunker (documented)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def compiles(text: str) -> bool:
    """`ast.parse` accepts some programs the compiler rejects (`from __future__ import *`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<whole>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def clauses_left(node: ast.stmt, lines: list[str]) -> set[str]:
    """Keywords that could still continue `node` if they came next at column 0."""
    if isinstance(node, ast.If):
        while len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            nested = node.orelse[0]
            line = lines[nested.lineno - 1].encode()
            if not line[nested.col_offset :].startswith(b"elif"):
                break
            node = nested
        return set() if node.orelse else {"elif", "else"}
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        return set() if node.orelse else {"else"}
    if isinstance(node, TRY):
        if node.finalbody:
            return set()
        return {"finally"} if node.orelse else {"except", "else", "finally"}
    return set()


def expected_release(text: str, tree: ast.Module) -> list[tuple[str, int]]:
    """[(chunk code, number of characters fed when it must be released, or FINISH)]."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    def first_token(stmt: ast.stmt) -> int:
        decorators = getattr(stmt, "decorator_list", None)
        line = decorators[0].lineno if decorators else stmt.lineno
        body = lines[line - 1]
        return starts[line - 1] + len(body) - len(body.lstrip(" \t\f"))

    def logical_end(stmt: ast.stmt) -> int:
        """The line whose newline ends the logical line where `stmt` ends: a backslash after the
        statement (not in a comment) joins the next line, even a blank or comment line."""
        line_no = stmt.end_lineno or stmt.lineno
        tail = lines[line_no - 1].encode()[stmt.end_col_offset or 0 :].strip(b" \t\f\r")
        while tail.endswith(b"\\") and not tail.lstrip(b"; \t\f").startswith(b"#") and line_no < len(lines):
            line_no += 1
            tail = lines[line_no - 1].strip(" \t\f\r").encode()
        return line_no

    groups: list[list[ast.stmt]] = []  # the statements of one logical line (`a; b`)
    for stmt in tree.body:
        if groups and stmt.lineno <= logical_end(groups[-1][-1]):
            groups[-1].append(stmt)
        else:
            groups.append([stmt])

    out: list[tuple[str, int]] = []
    begin = 0
    for k, group in enumerate(groups):
        last = group[-1]
        end_line = logical_end(last)
        end = starts[end_line] if end_line < len(starts) else len(text)
        if isinstance(last, COMPOUND):
            if k + 1 < len(groups):
                start = first_token(groups[k + 1][0])
                keywords = clauses_left(last, lines)
                n = 1
                while any(kw.startswith(text[start : start + n]) for kw in keywords):
                    n += 1
                release = start + n if start + n <= len(text) else FINISH
            else:
                release = FINISH
        else:  # the newline ending its logical line
            release = end if text[end - 1 : end] == "\n" else FINISH
        out.append((text[begin:end], release))
        begin = end
    if begin < len(text):
        out.append((text[begin:], FINISH))
    return out


# -- driving the chunker -------------------------------------------------------------------------


def cut(text: str, sizes: Iterable[int]) -> list[str]:
    pieces, i = [], 0
    for size in sizes:
        if i >= len(text):
            break
        pieces.append(text[i : i + size])
        i += size
    if i < len(text):
        pieces.append(text[i:])
    return pieces


def random_sizes(rng: random.Random, low: int = 1, high: int = 16) -> Iterable[int]:
    while True:
        yield rng.randint(low, high)


def stream(text: str, pieces: list[str]) -> list[tuple[Chunk, int]]:
    """Feed the pieces of `text`; return (chunk, characters fed when released, or FINISH).

    Checks released + pending == fed after every feed while less than 4 KB is pending; beyond
    that, after every release and every (pending / 1 KB)-th feed, which keeps a 750 KB statement
    (pydoc_data/topics.py) fed 1 char at a time linear instead of quadratic.
    """
    chunker = Chunker()
    released_len = 0
    fed_len = 0
    out: list[tuple[Chunk, int]] = []
    for n, piece in enumerate(pieces):
        chunks = chunker.feed(piece)
        fed_len += len(piece)
        for chunk in chunks:
            assert text.startswith(chunk.code, released_len)
            out.append((chunk, fed_len))
            released_len += len(chunk.code)
        waiting = fed_len - released_len
        if chunks or waiting <= 4096 or n % (waiting >> 10) == 0:
            assert chunker.pending == text[released_len:fed_len], f"after feed {n}"
    for chunk in chunker.finish():
        out.append((chunk, FINISH))
    assert chunker.pending == ""
    return out


def check(text: str, pieces: list[str], tree: ast.Module | None,
          compile_chunks: bool = True, reference: list[str] | None = None) -> list[Chunk]:
    """Stream `text` cut into `pieces` and check properties 1-4 (2-4 only if `tree`)."""
    assert "".join(pieces) == text
    released = stream(text, pieces)
    chunks = [c for c, _ in released]
    assert "".join(c.code for c in chunks) == text  # 1. round trip
    if reference is not None:  # the same text gives the same chunks however it is cut
        assert [c.code for c in chunks] == reference
    offset, line = 0, 1
    for c in chunks:
        assert c.code, "empty chunk"
        assert (c.offset, c.start_line) == (offset, line), c
        offset += len(c.code)
        line += c.code.count("\n")
    if tree is None:
        return chunks
    expected = expected_release(text, tree)
    assert [c.code for c in chunks] == [code for code, _ in expected]  # 2. one group per chunk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in test data
        bodies = [ast.dump(s) for c in chunks for s in ast.parse(c.code).body]
    assert bodies == [ast.dump(s) for s in tree.body]
    if compile_chunks and compiles(text):  # 3. whenever the whole program compiles
        errors = [(c.start_line, c.syntax_error) for c in chunks if c.syntax_error]
        assert not errors
    # 4. released by the feed that delivered the deciding character, or by finish()
    bounds = []
    fed = 0
    for piece in pieces:
        fed += len(piece)
        bounds.append(fed)
    for (chunk, got), (_, want) in zip(released, expected, strict=True):
        if want != FINISH:
            want = next(b for b in bounds if b >= want)
        assert got == want, f"chunk at line {chunk.start_line} released at {got}, expected {want}"
    return chunks


def read_source(path: Path) -> str | None:
    try:
        with tokenize.open(path) as f:  # honours coding cookies
            return f.read()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


# -- the corpus ----------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


def variants(text: str) -> dict[str, str]:
    return {"lf": text, "crlf": text.replace("\n", "\r\n"), "no-final-newline": text.rstrip("\n")}


MUTATIONS = ["", "'", '"', '"""', "(", ")", "[", "}", "{", "\\", "\n", ":", "#", "f'", 'f"{', "\t",
             "    ", "\f", "\r\n", "else:", "@", "%", "!", "def ", "import x\n", "é", "\x00"]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_mutated_corpus(path: Path) -> None:
    """Broken variants: no crash, round trip, the same chunks for every cut, and the oracle
    whenever a mutation happens to leave valid Python."""
    original = path.read_text(encoding="utf-8")
    rng = random.Random(path.name)
    for _ in range(60):
        text = original
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text) + 1)
            j = min(len(text), i + rng.choice([0, 0, 1, 2, 5]))
            text = text[:i] + rng.choice(MUTATIONS) + text[j:]
        tree = parse(text)
        reference = [c.code for c in check(text, [text], tree)]
        check(text, list(text), tree, reference=reference)
        for seed in range(3):
            check(text, cut(text, random_sizes(random.Random(seed))), tree, reference=reference)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_corpus_is_valid_where_expected(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    needs = (3, 12) if text.startswith("# requires: 3.12") else (3, 11)
    if sys.version_info >= needs:
        assert parse(text) is not None, f"{path.name} should compile on this Python"
    else:
        assert parse(text) is None


@pytest.mark.parametrize("variant", ["lf", "crlf", "no-final-newline"])
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_corpus_oracle(path: Path, variant: str) -> None:
    text = variants(path.read_text(encoding="utf-8"))[variant]
    tree = parse(text)
    check(text, list(text), tree)  # 1-char feeds: exact timing
    check(text, [text], tree)  # everything at once
    for seed in range(20):
        check(text, cut(text, random_sizes(random.Random(seed))), tree)
    check(text, cut(text, random_sizes(random.Random(99), 17, 200)), tree)


# -- the standard library ------------------------------------------------------------------------


def stdlib_files() -> list[Path]:
    return sorted(p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts)


def stdlib_sample() -> list[Path]:
    files = stdlib_files()
    picked = set(files[:: max(1, len(files) // 30)])  # an even spread, incl. test data
    for name in ("typing.py", "tokenize.py", "test/test_grammar.py", "test/test_patma.py",
                 "test/test_fstring.py", "test/test_except_star.py", "test/test_type_params.py",
                 "lib2to3/tests/data/py2_test_grammar.py", "test/bad_coding2.py",
                 "test/badsyntax_3131.py"):
        if (STDLIB / name).exists():
            picked.add(STDLIB / name)
    return sorted(picked)


def run_stdlib_file(path: Path, seed: int, one_char: bool) -> None:
    text = read_source(path)
    if text is None:
        return
    tree = parse(text)
    rng = random.Random(f"{path.name}:{seed}")
    check(text, cut(text, random_sizes(rng)), tree)
    if one_char:  # (each chunk compiles: checked once, above)
        check(text, list(text), tree, compile_chunks=False)


@pytest.mark.parametrize("path", stdlib_sample(), ids=lambda p: str(p.relative_to(STDLIB)))
def test_stdlib_sample(path: Path) -> None:
    run_stdlib_file(path, seed=0, one_char=True)


def _shards() -> list[int]:
    return list(range(16))


@pytest.mark.slow
@pytest.mark.parametrize("shard", _shards())
def test_whole_stdlib(shard: int) -> None:
    """Every stdlib file: random 1..16 pieces (pending checked after every feed) and 1-char feeds."""
    files = stdlib_files()[shard :: len(_shards())]
    for path in files:
        run_stdlib_file(path, seed=1, one_char=True)


# -- hand-written cases: IPython syntax, syntax errors, lookahead details -----------------------
# Each case: the chunks, each with the number of characters past its end that must be fed before
# it is released (0: by the feed of its own last character; None: by finish()).

CASES: dict[str, list[tuple[str, int | None]]] = {
    "ipython lines": [
        ("%time x = 1\n", 0),
        ("%matplotlib inline\n", 0),
        ("!pip list\n", 0),
        ("files = !ls\n", 0),
        ("a, b = %sx echo 1\n", 0),
        ('!echo "(" don\'t\n', 0),
        ("x = 1\n", 0),
    ],
    "ipython lines continued as IPython reads them": [
        ("%timeit sum([1,\n  2])\n", 0),  # a line magic's argument is code: its bracket continues
        ("%time x = 1 + \\\n  2\n", 0),  # a backslash joins the next line to any IPython line
        ("r = %timeit -o f(1,\n 2)\n", 0),
        ("!echo a \\\n  (b\n", 0),  # shell text: only the backslash counts
        ("!echo (\n", 0),
        ("%cd it's\n", 0),  # an unterminated quote ends the line, as in code
        ("%timeit f(\n", 9),  # given up at a line that cannot continue it (at its newline)
        ("def g():\n    pass\n", None),
    ],
    "ipython in and after a block": [
        ("for f in files:\n    !echo {f}\n    %time g(f)\n", 1),
        ("%who\n", 0),
        ("if x:\n    pass\n", 1),
        ("!ls\n", 0),
    ],
    "broken header released at the next statement": [
        ("def f(:\n    pass\n", 1),
        ("x = 1\n", 0),
    ],
    "unterminated string ends at its line": [
        ("s = 'abc\n", 0),
        ("t = 1\n", 0),
        ('u = "x\n', 0),
        ("v = 2\n", 0),
    ],
    "unclosed bracket given up at a keyword line": [
        ("y = (1,\nz = 2\n", len("import sys\n")),
        ("import sys\n", 0),
        ("w = 3\n", 0),
    ],
    "unclosed bracket given up at a name after an operand": [
        ('df = load("a.csv"\n', len("print(df)\n")),
        ("print(df)\n", 0),
        ("x = [1, 2\n  # a comment decides nothing\n\n", len("z = x\n")),
        ("z = x\n", 0),
        ("t = (None\n", len("match\n")),  # a soft keyword is a name here
        ("match\n", 0),
    ],
    "an unclosed bracket waits while a continuation could be valid": [
        # keyword argument, string concatenation, a clause keyword, an attribute across lines
        ("f(a,\nb = 1,\n'x'\nf'y'\nif c else d.\nattr\n", None),
    ],
    "unclosed bracket in a body, given up at a name": [
        ("def f():\n    x = g(1\n    return x\n", 1),
        ("if a:\n    y = h(x\n    z = 2\n", 1),
        ("k = 0\n", 0),
    ],
    "unclosed bracket in a body": [
        ("def f():\n    x = [1,\n    return x\n", 1),
        ("y = 2\n", 0),
        ("for i in (1,\n", len("def g(): pass\n")),
        ("def g(): pass\n", 1),
        ("k = 0\n", 0),
    ],
    "unexpected indent": [
        ("x = 1\n", 0),
        ("    y = 2\n", 0),
        ("z = 3\n", 0),
    ],
    "stray clause": [
        ("else:\n    pass\n", 1),
        ("x = 1\n", 0),
    ],
    "decorator without def": [
        ("@dec\n", len("x = 1\n")),
        ("x = 1\n", 0),
        ("@dec\ndef f():\n    pass\n", None),
    ],
    "extra closing bracket": [
        ("x = 1)\n", 0),
        ("y = 2\n", 0),
    ],
    "unterminated triple-quoted string holds the rest": [
        ("x = 1\n", 0),
        ('s = """abc\ndef f():\n    pass\n', None),
    ],
    "comment lines decide nothing": [
        ("if x:\n    pass\n", len("# c\n\n    # d\n") + 1),
        ("# c\n\n    # d\nprint(1)\n", 0),
        ("while x:\n    pass\n", None),
        ("\n# only a comment\n", None),
    ],
    "clauses left after else and finally": [
        ("if x:\n    a\nelse:\n    b\n", 1),
        ("else_ = 1\n", 0),
        ("try:\n    a\nexcept E:\n    b\nelse:\n    c\n", 1),  # only `finally` is left
        ("el = 2\n", 0),
        ("try:\n    a\nexcept E:\n    b\nelse:\n    c\n", len("finally_")),
        ("finally_ = 3\n", 0),
    ],
    "top-level async (IPython allows it)": [
        ("async for x in y:\n    pass\n", len("elsew")),
        ("elsewhere = 1\n", 0),
        ("async with a as b:\n    pass\n", 1),
        ("e = 2\n", 0),
        ("await z\n", 0),
    ],
    "a compound statement at the very end": [
        ("if x:\n    pass", None),
    ],
    "form feed resets the indentation": [
        ("if x:\n    pass\n", len("  \f") + 1),
        ("  \fy = 1\n", 0),
        ("def f():\n\f    pass\n", None),
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_cases(name: str) -> None:
    chunks = CASES[name]
    text = "".join(code for code, _ in chunks)
    wanted = []
    end = 0
    for code, extra in chunks:
        end += len(code)
        wanted.append(FINISH if extra is None else end + extra)
    for pieces in [list(text), [text], *(cut(text, random_sizes(random.Random(s))) for s in range(10))]:
        released = stream(text, pieces)
        assert [c.code for c, _ in released] == [code for code, _ in chunks]
        bounds = []
        fed = 0
        for piece in pieces:
            fed += len(piece)
            bounds.append(fed)
        got = [t for _, t in released]
        assert got == [w if w == FINISH else next(b for b in bounds if b >= w) for w in wanted]


def release_all(text: str) -> list[Chunk]:
    chunker = Chunker()
    return chunker.feed(text) + chunker.finish()


def test_ipython_chunks_are_marked_and_masked() -> None:
    chunks = release_all("%time x = 1\nfor f in fs:\n    !echo {f}\nfiles = !ls\n")
    assert [c.kind for c in chunks] == ["ipython", "compound", "ipython"]
    assert [c.ipython_lines for c in chunks] == [(1,), (3,), (4,)]
    assert [c.syntax_error for c in chunks] == [None, None, None]


def test_continued_ipython_lines_fail_as_in_a_cell() -> None:
    """The magic takes one line (plus backslash-joined ones); lines its open bracket pulled in are
    code after it, so the statement has the cell's compile error, and masking keeps them."""
    chunks = release_all("x = 1\n%timeit sum([1,\n  2])\n%time y = 1 + \\\n  2\n!echo \\\n  a\n")
    assert [c.kind for c in chunks] == ["simple", "ipython", "ipython", "ipython"]
    assert [c.ipython_lines for c in chunks[1:]] == [(2,), (4,), (6,)]
    assert chunks[1].syntax_error == "unexpected indent (line 3)"
    assert chunks[2].syntax_error is None and chunks[3].syntax_error is None


def test_syntax_error_message_uses_stream_lines() -> None:
    chunks = release_all("x = 1\n\ndef f(:\n    pass\ny = (\n")
    assert [c.syntax_error for c in chunks][:1] == [None]
    assert chunks[1].syntax_error == "invalid syntax (line 3)"
    assert chunks[2].syntax_error is not None and chunks[2].syntax_error.endswith("(line 5)")
    assert release_all("await f()\n")[0].syntax_error is None  # top-level await, as in IPython
    assert "line 2" in (release_all("\nreturn 1\n")[0].syntax_error or "")


def test_chunk_fields() -> None:
    chunks = release_all("# lead\nx = 1\n@d\nclass A:\n    pass\n# tail")
    assert [(c.start_line, c.end_line, c.offset, c.kind) for c in chunks] == [
        (1, 2, 0, "simple"), (3, 5, 13, "compound"), (6, 6, 34, "comment")]
    with pytest.raises(FrozenInstanceError):
        chunks[0].code = "y"  # type: ignore[misc]


def test_empty_and_reuse() -> None:
    chunker = Chunker()
    assert chunker.feed("") == []
    assert chunker.finish() == []
    assert chunker.pending == ""


def test_feed_returns_a_fresh_list() -> None:
    chunker = Chunker()
    first = chunker.feed("x")
    first.append(None)  # type: ignore[arg-type]  # the engine does `released += ...`
    assert chunker.feed("y") == []


def test_import_stays_light() -> None:
    code = (
        "import sys, eager_jupyter\n"
        "from eager_jupyter import Chunker, Chunk\n"
        "heavy = {'IPython', 'ipykernel', 'ipywidgets', 'anthropic'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=root)
    assert out.stdout.strip() == "[]"


# ---- one huge line ------------------------------------------------------------------------------

HUGE_LINES = {
    "list": "x = [" + "1, " * 20_000 + "]\n" + "y = len(x)\n",
    "string": "s = '" + "abc " * 30_000 + "'\n" + "t = s\n",
    "fstring": "f = f'" + "{1 + 2} and {'a'!r:>4} " * 5_000 + "'\n" + "g = f\n",
    "call": "print(" + ", ".join(f"v{i}" for i in range(20_000)) + ")\n",
    "semicolons": "; ".join(f"a{i} = {i}" for i in range(8_000)) + "\n" + "b = 1\n",
    "unclosed": "z = (" + "1 + " * 30_000 + "\n",
}


@pytest.mark.parametrize("name", HUGE_LINES)
def test_one_huge_line_in_small_pieces_equals_it_whole(name: str) -> None:
    """However a huge line arrives (3 characters, random sizes up to 16, whole), the chunks are the
    same, and the oracle's properties hold."""
    text = HUGE_LINES[name]
    whole = Chunker()
    reference = [c.code for c in whole.feed(text) + whole.finish()]
    assert "".join(reference) == text
    tree = parse(text)
    rng = random.Random(name)
    for pieces in (cut(text, iter(lambda: 3, 0)), cut(text, random_sizes(rng))):
        check(text, pieces, tree, reference=reference)


def _padded_error(chunk: Chunk) -> str | None:
    """The message of the chunk compiled padded to its stream line (what syntax_error must match)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile("\n" * (chunk.start_line - 1) + chunk.code, "<chunk>", "exec",
                    ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as e:
        return f"{e.msg} (line {e.lineno})"
    return None


def test_syntax_errors_name_stream_lines_as_if_padded() -> None:
    broken = [
        "x = (1,\n  2]\n", "def f(:\n    pass\n", "y = [1,\n\n 2)\n", "return 5\n", "a = 1 +\n",
        "if x:\npass\n", "s = 'abc\n", "f(**)\n", "z = {1: 2, 3}\n", "class C:\n    x = (\n]\n",
    ]
    text = "".join(f"ok{i} = {i}\n" + code for i, code in enumerate(broken * 3))
    chunks = release_all(text)
    errors = [(c.syntax_error, _padded_error(c)) for c in chunks]
    assert sum(1 for got, _ in errors if got) >= len(broken) * 3
    assert all(got == want for got, want in errors), [e for e in errors if e[0] != e[1]]
