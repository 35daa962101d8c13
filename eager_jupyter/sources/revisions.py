"""Revisions in a source's stream: the ``Revision`` item, and the decoder of revision markers.

A revisable source (issue 18) may yield, besides text pieces, a ``Revision(k)``: "withdraw everything
from character offset ``k`` of my output on; what follows is appended after ``k``". Offsets count the
characters of the source's own output (the text it yielded, revisions applied, markers removed): for
a markdown reply, of the reply (the fence filter maps them to code offsets).

A model served with revision tokens (behind an OpenAI-compatible server, say) emits them as text.
``MarkerDecoder`` turns such markers into revisions, in any text source's output::

    decoder = MarkerDecoder(DEFAULT_MARKERS)
    for piece in source.stream():
        for item in decoder.feed(piece):     # str pieces and Revision objects
            ...
    items = decoder.finish()

The pattern (``%config Eager.revision_markers``, default ``DEFAULT_MARKERS``: ``<|revise:K|>``) is a
regex with one group, the offset in decimal digits. It must start with a literal text (its
*opening*, ``<|revise:`` by default) and end with a literal delimiter, so that a marker is only
complete once its delimiter arrived; a marker is at most ``MAX_MARKER`` characters long.

Markers may be split across pieces. Algorithm (pure, linear): text is emitted at once except a tail
that may still become a marker: a partial opening at the very end (``<|re``), or an opening whose
marker has not matched yet, held while it is shorter than ``MAX_MARKER``; then it is text after all.
The cost of a piece is its own length plus the held tail (at most ``MAX_MARKER``).

A marker naming an offset past the output so far is an error (``RevisionError``, one line): the
model's output cannot be trusted to run.

Validate a change with ``pytest tests/test_revisions_sources.py`` (markers cut at every position, an
oracle against a whole-text decode).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import SourceError

if TYPE_CHECKING:
    from .base import Source, SourceKind

__all__ = [
    "DEFAULT_MARKERS",
    "MAX_MARKER",
    "MarkedSource",
    "MarkerDecoder",
    "Revision",
    "RevisionError",
    "literal_prefix",
]

#: the default revision marker: ``<|revise:42|>`` withdraws the output from character 42 on
DEFAULT_MARKERS = r"<\|revise:(\d+)\|>"
MAX_MARKER = 64

_SPECIAL = set(".^$*+?{}[]|()")
_QUANTIFIERS = set("*+?{")


@dataclass(frozen=True)
class Revision:
    """Withdraw the source's output from character offset ``offset`` on."""

    offset: int


class RevisionError(SourceError):
    """A revision marker is malformed or names an offset the output never reached."""


def literal_prefix(pattern: str) -> str:
    """The literal text every match of ``pattern`` starts with ("" if it starts with a class, a
    group, an alternation ...)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                break  # \d, \w, \1 ...: not a literal
            ch, i = pattern[i + 1], i + 2
        elif c in _SPECIAL:
            break
        else:
            ch, i = c, i + 1
        if i < len(pattern) and pattern[i] in _QUANTIFIERS:
            break  # `a*`: that character is optional
        out.append(ch)
    if "|" in pattern.replace("\\|", ""):
        return ""  # an alternation at the top: the prefix is not shared (conservative)
    return "".join(out)


class MarkerDecoder:
    """``feed(piece) -> list[str | Revision]``, ``finish() -> list[str | Revision]`` (pure)."""

    def __init__(self, pattern: str = DEFAULT_MARKERS) -> None:
        try:
            self._re = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"revision marker pattern {pattern!r} is not a regex: {error}") from None
        if self._re.groups < 1:
            raise ValueError(f"revision marker pattern {pattern!r} needs a group for the offset")
        self._open = literal_prefix(pattern)
        if not self._open:
            raise ValueError(f"revision marker pattern {pattern!r} must start with literal text")
        self._held = ""
        self._length = 0  # characters of output so far (revisions applied)

    def feed(self, piece: str) -> list[str | Revision]:
        text = self._held + piece if self._held else piece
        self._held = ""
        return self._scan(text, final=False)

    def finish(self) -> list[str | Revision]:
        text, self._held = self._held, ""
        return self._scan(text, final=True)

    def revise(self, k: int) -> list[str | Revision]:
        """The source itself revised its output to ``k``: held text goes out first, then the
        revision."""
        out = self.finish()
        self._length = k
        out.append(Revision(k))
        return out

    def _scan(self, text: str, final: bool) -> list[str | Revision]:
        out: list[str | Revision] = []
        opening = self._open
        pos = 0
        while True:
            i = text.find(opening, pos)
            if i < 0:
                break
            m = self._re.match(text, i)
            if m is None:
                if not final and len(text) - i < MAX_MARKER:
                    self._text(out, text[pos:i])
                    self._held = text[i:]
                    return out
                self._text(out, text[pos : i + 1])  # not a marker: the opening's first char is text
                pos = i + 1
                continue
            self._text(out, text[pos:i])
            out.append(self._revision(m))
            pos = m.end()
        tail = text[pos:]
        if not final:  # a partial opening at the very end waits
            for n in range(min(len(opening) - 1, len(tail)), 0, -1):
                if tail.endswith(opening[:n]):
                    self._held = tail[-n:]
                    tail = tail[:-n]
                    break
        self._text(out, tail)
        return out

    def _text(self, out: list[str | Revision], text: str) -> None:
        if text:
            self._length += len(text)
            if out and isinstance(out[-1], str):
                out[-1] += text
            else:
                out.append(text)

    def _revision(self, m: re.Match[str]) -> Revision:
        digits = m.group(1)
        if not digits or not digits.isdecimal():
            raise RevisionError(f"revision marker {m.group()!r}: the offset must be decimal digits")
        k = int(digits)
        if k > self._length:
            raise RevisionError(
                f"revision marker {m.group()!r} goes back to character {k}, "
                f"but the output has only {self._length}"
            )
        self._length = k
        return Revision(k)


class MarkedSource:
    """A source whose text output goes through a ``MarkerDecoder`` (``Eager.revision_markers``).

    A source with a ``decode_markers(pattern) -> bool`` method that answers True decodes itself (a
    model source, so that its recording holds the decoded text and revision lines) or was decoded
    when it was recorded (a recorded trace): its items are passed on as they are."""

    def __init__(self, source: Source, pattern: str = DEFAULT_MARKERS) -> None:
        MarkerDecoder(pattern)  # a bad pattern fails now
        self.source = source
        self.pattern = pattern
        hook = getattr(source, "decode_markers", None)
        self.decoded = bool(hook(pattern)) if callable(hook) else False
        self.label: str = source.label
        self.model: str | None = source.model
        self.kind: SourceKind = source.kind
        self.usage: dict[str, int] = source.usage

    def stream(self) -> Iterator[str | Revision]:
        decoder = None if self.decoded else MarkerDecoder(self.pattern)
        for item in self.source.stream():
            if isinstance(item, tuple):  # a "parts" source's (kind, text): the magic never wraps one
                raise TypeError("MarkedSource decodes text sources, not a parts source")
            if decoder is None:
                yield item
            elif isinstance(item, Revision):
                yield from decoder.revise(item.offset)
            else:
                yield from decoder.feed(item)
        self.usage = self.source.usage
        if decoder is not None:
            yield from decoder.finish()

    def close(self) -> None:
        self.source.close()

    def __getattr__(self, name: str) -> Any:
        """Everything else is the wrapped source's (``spec``, ``scanner``, ``request``, ...)."""
        return getattr(self.source, name)
