"""The fence filter: rules on whole replies, then an oracle over random splits."""

from __future__ import annotations

import random
import re

import pytest

from eager_jupyter.fences import FenceFilter, Segment, Withdrawal, looks_like_python, split_reply

FENCED = (
    "Here is the code:\n"
    "```python\n"
    "import pandas as pd\n"
    "df = pd.read_csv('sales.csv')\n"
    "df.groupby('region').revenue.sum()\n"
    "```\n"
    "This shows revenue by region.\n"
)


def code_of(text: str) -> str:
    return "".join(s.text for s in split_reply(text) if s.kind == "code")


def prose_of(text: str) -> str:
    return "".join(s.text for s in split_reply(text) if s.kind == "prose")


def test_fenced_reply_splits_into_prose_code_prose() -> None:
    assert split_reply(FENCED) == [
        Segment("prose", "Here is the code:\n```python\n"),
        Segment(
            "code", "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.groupby('region').revenue.sum()\n"
        ),
        Segment("prose", "```\nThis shows revenue by region.\n"),
    ]


@pytest.mark.parametrize(
    "opening",
    [
        "```python",
        "```py",
        "```Python3",
        "```",
        "~~~python",
        "````python",
        "```python title='x.py'",
        "``` python",
        "```ipython",
        "```{python}",
    ],
)
def test_python_fence_spellings(opening: str) -> None:
    closing = opening[: len(opening) - len(opening.lstrip("`~"))]
    text = f"Text.\n{opening}\nx = 1\n{closing}\nAfter.\n"
    assert code_of(text) == "x = 1\n"


@pytest.mark.parametrize("language", ["bash", "json", "text", "pycon", "sql", "console"])
def test_other_languages_are_prose(language: str) -> None:
    text = f"Run:\n```{language}\npip install pandas\n```\nDone.\n"
    assert code_of(text) == ""
    assert prose_of(text) == text


def test_python_block_after_another_language() -> None:
    text = "Install:\n```bash\npip install x\n```\nThen:\n```python\nimport x\n```\n"
    assert code_of(text) == "import x\n"


def test_python_fence_inside_another_fence_is_not_an_opening() -> None:
    text = "Example:\n````markdown\n```python\nrm_everything()\n```\n````\n```python\nok = 1\n```\n"
    assert code_of(text) == "ok = 1\n"


def test_only_the_first_python_block_is_code() -> None:
    text = "```python\na = 1\n```\nAlternatively:\n```python\na = 2\n```\n"
    assert code_of(text) == "a = 1\n"
    f = FenceFilter()
    f.feed("```python\na = 1\n")
    assert not f.code_ended
    f.feed("```\n")
    assert f.code_ended


def test_unclosed_block_runs_to_the_end() -> None:
    assert code_of("Sure.\n```python\nx = 1\ny = x +") == "x = 1\ny = x +"


def test_closing_fence_rules() -> None:
    body = "```python\nx = 1\n"
    assert code_of(body + "```   \nafter") == "x = 1\n"  # trailing spaces
    assert code_of(body + "   ```\nafter") == "x = 1\n"  # indented up to 3
    assert code_of(body + "````\nafter") == "x = 1\n"  # longer closes
    assert code_of(body + "    ```\nz = 2\n") == "x = 1\n    ```\nz = 2\n"  # 4 spaces: content
    assert code_of(body + "```x\nz = 2\n") == "x = 1\n```x\nz = 2\n"  # info string: content
    assert code_of("````python\nx = 1\n```\ny = 2\n````\n") == "x = 1\n```\ny = 2\n"  # shorter
    assert code_of("~~~python\nx = 1\n```\n~~~\n") == "x = 1\n```\n"  # other character
    assert code_of(body + "```\r\nafter") == "x = 1\n"


def test_backtick_info_with_backtick_is_not_a_fence() -> None:
    text = "Use ```x``` inline.\n```python\nx = 1\n```\n"
    assert code_of(text) == "x = 1\n"


def test_indented_fence_strips_its_indentation_from_content() -> None:
    text = "1. Load:\n  ```python\n  import x\n  if x:\n      y = 1\n y = 2\n  ```\n"
    assert code_of(text) == "import x\nif x:\n    y = 1\ny = 2\n"


def test_crlf_line_endings() -> None:
    text = "Code:\r\n```python\r\nx = 1\r\n```\r\nBye\r\n"
    assert code_of(text) == "x = 1\r\n"
    assert "".join(s.text for s in split_reply(text)) == text


def test_other_line_separators_do_not_end_lines() -> None:
    text = "```python\ns = 'a\x0cb\u2028c'\n```\n"
    assert code_of(text) == "s = 'a\x0cb\u2028c'\n"


def test_unfenced_code_is_code() -> None:
    text = "# Load the data\n\nimport pandas as pd\ndf = pd.read_csv('x.csv')\ndf.head()\n"
    assert split_reply(text) == [Segment("code", text)]


@pytest.mark.parametrize(
    "text",
    [
        "Sure! Here is how you could do it.\n\nimport pandas",
        "Sure\nimport pandas as pd\n",
        "# Sales analysis\n\nWe load the data first.\n",
        "I can't do that without the file.",
        "- item\n- other\n",
        "Note: important\n",
        "    indented = 1\n",
    ],
)
def test_unfenced_prose_is_prose(text: str) -> None:
    assert split_reply(text) == [Segment("prose", text)]


def test_only_comments_and_blanks_are_prose() -> None:
    assert split_reply("\n# just a comment\n") == [Segment("prose", "\n# just a comment\n")]
    assert split_reply("") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("import pandas as pd", True),
        ("from pathlib import Path", True),
        ("df = pd.read_csv('sales.csv')", True),
        ("df.head()", True),
        ("print(df)", True),
        ("x = 1", True),
        ("def load(path):", True),
        ("for row in rows:", True),
        ("@lru_cache", True),
        ("df = pd.DataFrame({", True),
        ("%matplotlib inline", True),
        ('"""Revenue by region."""', True),
        ("Sure", False),
        ("Sure!", False),
        ("Here is the code:", False),
        ("Here's the plan", False),
        ("- item", False),
        ("Note: important", False),
        ("Okay (here goes", False),
        ("1. Load the data", False),
        ("", False),
        ("  x = 1", False),
    ],
)
def test_looks_like_python(line: str, expected: bool) -> None:
    assert looks_like_python(line) is expected


# -- incrementality ---------------------------------------------------------------------------


def feed_all(pieces: list[str]) -> tuple[list[Segment], list[tuple[bool, str]]]:
    """Feed pieces; return merged segments, and after each feed (anything emitted yet?, pending)."""
    f = FenceFilter()
    out: list[Segment] = []
    pendings = []
    for piece in pieces:
        out += f.feed(piece)
        pendings.append((bool(out), f.pending))
    out += f.finish()
    merged: list[Segment] = []
    for s in out:
        assert s.text, "empty segment"
        if merged and merged[-1].kind == s.kind:
            merged[-1] = Segment(s.kind, merged[-1].text + s.text)
        else:
            merged.append(s)
    return merged, pendings


def test_code_streams_before_its_line_ends() -> None:
    f = FenceFilter()
    assert f.feed("Here:\n```python\n") == [Segment("prose", "Here:\n```python\n")]
    assert f.feed("import pan") == [Segment("code", "import pan")]
    assert f.feed("das\n``") == [Segment("code", "das\n")]
    assert f.pending == "``"  # might be the closing fence
    assert f.feed("`x") == [Segment("code", "```x")]  # an info string: it was content
    assert f.feed("\n   ") == [Segment("code", "\n")]
    assert f.pending == "   "
    assert f.feed(" y") == [Segment("code", "    y")]  # 4 spaces: cannot be a fence
    assert f.feed("\n```") == [Segment("code", "\n")]
    assert f.feed("\nbye") == [Segment("prose", "```\nbye")]
    assert f.finish() == []


def test_prose_streams_unless_it_may_open_a_fence() -> None:
    f = FenceFilter()
    assert f.feed("Hello there\n") == [Segment("prose", "Hello there\n")]
    assert f.feed("Now wr") == [Segment("prose", "Now wr")]  # decided: streams
    assert f.feed("iting\n``") == [Segment("prose", "iting\n")]
    assert f.feed("`pyth") == []
    assert f.pending == "```pyth"
    assert f.feed("on\nx") == [Segment("prose", "```python\n"), Segment("code", "x")]


def test_first_line_is_held_until_it_ends() -> None:
    f = FenceFilter()
    assert f.feed("\nimport pan") == []
    assert f.pending == "\nimport pan"
    assert f.feed("das as pd\nx") == [Segment("code", "\nimport pandas as pd\nx")]


CORPUS = [
    FENCED,
    "```python\nimport numpy as np\nnp.arange(3)\n```",
    "Sure.\n\n```py\nfor i in range(3):\n    print(i)\n```\n\nThat prints 0 to 2.",
    "Install first:\n```bash\npip install x\n```\nThen:\n~~~python\nimport x\n```\nx.run()\n~~~\n",
    "import pandas as pd\n\ndf = pd.DataFrame({'a': [1, 2]})\ndf\n",
    "# Title\n\nSome prose with `inline` code and ``` in it.\n",
    "  ```python\n  a = [\n      1,\n  ]\n  ```\nafter\n",
    "Text\r\n```python\r\nx = 1\r\n```\r\n",
    "````python\nprint('```')\n```\n````\ntrailing ``` text\n",
    "No code here.",
    "```\nbare = True\n```   \n",
    'Doc:\n```python\nhelp = """\n```\nnot the end\n"""\nx = 1\n```\nafter\n',
    "```python\ns = f'''{\n1}\n```\n'''\n```\n",
]


def random_reply(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        kind = rng.choice(["prose", "fence", "code", "blank", "comment"])
        if kind == "prose":
            parts.append(rng.choice(["Here you go:", "Sure!", "Note: x", "A ``` B", "`` two"]))
        elif kind == "fence":
            char = rng.choice("`~")
            parts.append(
                " " * rng.randint(0, 4)
                + char * rng.randint(2, 5)
                + rng.choice(["", "python", "py", "bash", " python x", "`"])
            )
        elif kind == "code":
            parts.append(
                " " * rng.choice([0, 0, 1, 3, 4])
                + rng.choice(["x = 1", "import os", "df.head()", "if x:", "    y = 2", "print('```')"])
            )
        elif kind == "blank":
            parts.append(rng.choice(["", "   ", "\t"]))
        else:
            parts.append("# comment")
    return rng.choice(["\n", "\r\n"]).join(parts) + rng.choice(["", "\n"])


def random_split(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(0, 12))))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


# what may be held once the reply's kind is decided: one unfinished line that may be a fence
_MAY_BE_FENCE = re.compile(r" {0,3}(`*|~*)[ \t\r]*| {0,3}(`{3,}|~{3,})[^\n]*")


def test_oracle_random_splits() -> None:
    rng = random.Random(4)
    texts = CORPUS + [random_reply(rng) for _ in range(400)]
    for text in texts:
        whole = split_reply(text)
        for _ in range(25):
            pieces = random_split(text, rng) if len(text) > 1 else [text]
            merged, pendings = feed_all(pieces)
            assert merged == whole, (text, pieces)
            for emitted, pending in pendings:
                if emitted:  # decided: only a possible fence line is ever held back
                    assert pending == "" or _MAY_BE_FENCE.fullmatch(pending), (text, pending)
        if not re.search(r"^ {1,3}(`{3,}|~{3,})", text, re.M):
            assert "".join(s.text for s in whole) == text


def test_char_by_char_code_latency() -> None:
    """Inside the block, every code character is out by the time the next one is fed, except a
    line start that may be the closing fence."""
    text = "Intro\n```python\nimport x\nif x:\n    y = 1\n   z\n```\nend\n"
    f = FenceFilter()
    code = ""
    for i, ch in enumerate(text):
        code += "".join(s.text for s in f.feed(ch) if s.kind == "code")
        fed = text[: i + 1]
        if fed.startswith("Intro\n```python\n") and "\n```\n" not in fed:
            body = fed[len("Intro\n```python\n") :]
            last = body.rsplit("\n", 1)[-1]
            held = last if re.fullmatch(r" {0,3}`*", last) else ""
            assert code == body[: len(body) - len(held)], (fed, code)
    assert code == "import x\nif x:\n    y = 1\n   z\n"


def test_feed_after_finish_is_an_error() -> None:
    f = FenceFilter()
    f.finish()
    with pytest.raises(RuntimeError):
        f.feed("x")


def test_a_fence_line_inside_a_string_is_code() -> None:
    reply = 'Here:\n```python\nusage = """\n```\nexample\n```\n"""\nprint(usage)\n```\nDone.\n'
    assert code_of(reply) == 'usage = """\n```\nexample\n```\n"""\nprint(usage)\n'
    assert prose_of(reply) == "Here:\n```python\n```\nDone.\n"
    # after the string closes, a fence line closes the block again
    assert code_of("```python\nx = '''a'''\n```\ny = 1\n") == "x = '''a'''\n"
    # an unterminated single-quoted string ends at its line, as in CPython
    assert code_of("```python\nx = 'a\n```\ny = 1\n") == "x = 'a\n"


def test_a_fence_line_inside_a_string_is_code_split_anyhow() -> None:
    reply = 'Here:\n```python\nusage = """\n```\n"""\n   ```\nafter\n'
    whole = split_reply(reply)
    assert whole[-1] == Segment("prose", "   ```\nafter\n")
    for size in (1, 2, 3, 5):
        merged, _ = feed_all([reply[i : i + size] for i in range(0, len(reply), size)])
        assert merged == whole


def test_one_huge_line_in_small_pieces_equals_whole() -> None:
    line = "x = [" + "1, " * 20000 + "]\n"
    for reply in ("```python\n" + line + "```\nend\n", "Intro " * 5000 + "\n```python\n" + line, line):
        whole = split_reply(reply)
        merged, _ = feed_all([reply[i : i + 3] for i in range(0, len(reply), 3)])
        assert merged == whole
        assert "".join(s.text for s in whole) == reply


# -- revisions (issue 18): rewind(k) withdraws the reply from k on -------------------------------


class Reader:
    """The filter's consumer: the code and prose it has been given, revisions applied."""

    def __init__(self) -> None:
        self.f = FenceFilter()
        self.text = ""
        self.code = ""
        self.prose = ""

    def take(self, segments: list[Segment]) -> None:
        for s in segments:
            assert s.text
            if s.kind == "code":
                self.code += s.text
            else:
                self.prose += s.text

    def feed(self, piece: str) -> None:
        self.text += piece
        self.take(self.f.feed(piece))

    def rewind(self, k: int) -> Withdrawal:
        w = self.f.rewind(k)
        assert w.code <= len(self.code) and w.prose <= len(self.prose)
        self.code, self.prose, self.text = self.code[: w.code], self.prose[: w.prose], self.text[:k]
        self.take(w.segments)
        # exactly what a fresh filter fed the revised text gives (nothing more is taken back)
        fresh = FenceFilter()
        segments = fresh.feed(self.text)
        assert self.code == "".join(s.text for s in segments if s.kind == "code"), self.text
        assert self.prose == "".join(s.text for s in segments if s.kind == "prose"), self.text
        return w


def test_rewind_oracle_random_revisions() -> None:
    rng = random.Random(18)
    texts = CORPUS + [random_reply(rng) for _ in range(300)]
    junk = ["```\n", "```python\n", "x = 1\n", "prose\n", "   ", "'''", "`", "\n", "# c\n", "~~~py\n"]
    for final in texts:
        for _ in range(8):
            r = Reader()
            good = 0
            while not (good == len(r.text) == len(final)):
                roll = rng.random()
                if good < len(r.text) and roll < 0.6:
                    r.rewind(max(0, good - rng.choice([0, 0, 1, 4, 30])))
                    good = len(r.text)
                elif good < len(r.text) or roll < 0.15:
                    r.feed(rng.choice(junk))
                elif roll < 0.25 and r.text:
                    r.rewind(rng.randint(0, len(r.text)))
                    good = len(r.text)
                else:
                    r.feed(final[good : good + rng.randint(1, 8)])
                    good = len(r.text)
            r.take(r.f.finish())
            whole = split_reply(final)
            assert r.code == "".join(s.text for s in whole if s.kind == "code"), final
            assert r.prose == "".join(s.text for s in whole if s.kind == "prose"), final


def test_rewind_reopens_a_closed_block() -> None:
    r = Reader()
    r.feed("Here:\n```python\nx = 1\n```\nDone.\n")
    assert r.f.code_ended
    w = r.rewind(len("Here:\n```python\nx = 1\n"))
    assert (w.code, w.segments) == (len("x = 1\n"), [])  # no code taken back: prose only
    assert w.prose == len("Here:\n```python\n")
    assert not r.f.code_ended
    r.feed("y = 2\n```\n")
    assert (r.code, r.prose) == ("x = 1\ny = 2\n", "Here:\n```python\n```\n")


def test_rewind_into_code_maps_to_a_code_offset() -> None:
    r = Reader()
    r.feed("  ```python\n  a = f(1)\n  b = 2\n")  # an indented fence: content loses 2 spaces
    w = r.rewind(len("  ```python\n  a = f("))
    assert w == Withdrawal(len("a = f("), len("  ```python\n"), [])
    r.feed("2)\n  ```\n")
    assert r.code == "a = f(2)\n"


def test_rewind_into_prose_before_the_block_withdraws_all_code() -> None:
    r = Reader()
    r.feed("Intro\n```python\nimport os\n")
    w = r.rewind(3)
    assert (w.code, w.prose, r.code, r.prose) == (0, 0, "", "")  # the first line is undecided again
    assert r.f.pending == "Int"
    r.feed("ro:\n~~~bash\nls\n~~~\n")  # now the reply continues with another language
    assert r.code == ""


def test_rewind_to_the_end_takes_nothing_back() -> None:
    r = Reader()
    r.feed("```python\nx = 1\ny")
    assert r.rewind(len(r.text)) == Withdrawal(len("x = 1\ny"), len("```python\n"), [])
    with pytest.raises(ValueError, match="only"):
        r.f.rewind(100)
    r.f.finish()
    with pytest.raises(RuntimeError):
        r.f.rewind(0)
