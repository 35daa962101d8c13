"""The chunker's grammar tables: statement kinds while pending, the lookahead states, which clauses
may follow which compound statement, and how an IPython line is recognised. Pure data and two small
functions, for ``chunker.py``.

To validate a change: ``tests/test_chunker.py``.
"""

from __future__ import annotations

import keyword
import re

from .chunk import ChunkKind

__all__ = [
    "AFTER",
    "ASYNC_FOR",
    "BLANK",
    "CLAUSES",
    "COMPACT",
    "COMPOUND",
    "CONSTANTS",
    "DECOR",
    "EMPTY",
    "IF",
    "IPY",
    "IPY_ASSIGN",
    "KEYWORDS",
    "KIND_NAME",
    "LAST_WORD",
    "LOOP",
    "NAME_START",
    "NONE",
    "OFF",
    "RECOVER",
    "SIMPLE",
    "START",
    "TRY",
    "WORD",
    "ipython_escape",
    "is_ipython",
]

# Statement kinds while pending.
NONE = 0  # nothing but blank/comment lines
SIMPLE = 1  # a logical line still open (brackets, strings, backslash)
COMPOUND = 2  # a block statement: waits for a column-0 line that is not one of its clauses
DECOR = 3  # decorators waiting for their def/class
IPY = 4  # an IPython line continued: a line magic's open bracket, or a backslash

# Lookahead states of the partial line while a compound statement waits.
OFF = 0  # not waiting, or already decided for this line
BLANK = 1  # nothing but whitespace seen yet
WORD = 2  # a first word that may still become a clause keyword

COMPACT = 256  # pieces of a partial line joined into one at a time

EMPTY: frozenset[str] = frozenset()
IF = frozenset({"elif", "else"})
LOOP = frozenset({"else"})
TRY = frozenset({"except", "else", "finally"})
# Clauses that can follow the first line of a compound statement, by its first word.
CLAUSES = {"if": IF, "for": LOOP, "while": LOOP, "try": TRY, "with": EMPTY, "def": EMPTY,
            "class": EMPTY, "async": EMPTY}
# Clauses that can still follow after (statement, clause just seen).
AFTER = {("if", "elif"): IF, ("try", "except"): TRY, ("try", "else"): frozenset({"finally"})}

START = re.compile(r"([ \t\f]*)(\w*)")
ASYNC_FOR = re.compile(r"[ \t\f]+for\b")
IPY_ASSIGN = re.compile(r"[ \t\f]*[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[!%]")
RECOVER = re.compile(
    r"[ \t\f]*(?:(?:def|class|import|return|pass|while|with|try|except|finally|raise|del|global"
    r"|nonlocal|assert|break|continue|elif)\b|from[ \t\f]+[\w.]+[ \t\f]+import\b)"
)
LAST_WORD = re.compile(r"\w+\Z")
# A physical line that starts with a name: not followed by a quote (a string prefix, `rb"..."`).
NAME_START = re.compile(r"[ \t\f]*([^\W\d]\w*)(?![\w'\"])")
KEYWORDS = frozenset(keyword.kwlist)
CONSTANTS = frozenset({"True", "False", "None"})
KIND_NAME: dict[int, ChunkKind] = {
    NONE: "comment", SIMPLE: "simple", COMPOUND: "compound", DECOR: "compound", IPY: "ipython"
}


def ipython_escape(line: str, word: str, p: int) -> str:
    """The escape character of an IPython line: "%" or "!"."""
    if not word:
        return line[p]
    m = IPY_ASSIGN.match(line)
    assert m is not None
    return line[m.end() - 1]

def is_ipython(line: str, word: str, p: int) -> bool:
    """`%magic`, `!cmd`, `x = !cmd`, `x = %magic` at the start of a logical line."""
    if not word:
        return line.startswith(("%", "!"), p)
    return "=" in line and ("!" in line or "%" in line) and IPY_ASSIGN.match(line) is not None
