"""What goes back to the model after a step: one ``tool_result`` per tool call, within a budget.

A tool call's result is built from what its statements printed and displayed (captured by the tap,
``agent/tap.py``, as ``Output`` entries), in order: streams as text (ANSI stripped; ``\\r``-overwritten
progress lines keep their last state), displayed values as their ``text/plain`` (a DataFrame's is its
compact table), figures as PNG image blocks, and for the failing statement its traceback (the
program's own frames and line numbers). A call with nothing to show says so.

Budget, per step: the text of all of a step's results together at most ``max_chars``, notes included
(each call gets an equal share, and what a shorter call leaves goes to the longer ones; only when a
step has so many calls that a share cannot hold the note is a cut call its note alone), each cut in
the middle with a note saying how much was cut (the start says what the code was doing, the end how
it ended: both matter more than the middle); at most ``max_images`` images, the rest named in a
note. Every text is redacted (``redact_for_model``) before it is cut, so a cut never leaves a
piece of a secret the scanner would have found whole.

Pure: no I/O, no IPython. To validate a change: ``tests/test_agent_reply.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._text import strip_ansi
from ..sources.secrets import SecretScanner, redact_for_model

__all__ = ["DEFAULT_MAX_CHARS", "MAX_IMAGES", "CallResult", "Output", "cut_middle", "tool_result_blocks"]

DEFAULT_MAX_CHARS = 8000
MAX_IMAGES = 4
#: one captured output: {"kind": "stream", "text": ...} or {"kind": "display", "data": mime bundle}
Output = dict[str, Any]

@dataclass
class CallResult:
    """One tool call's outputs, and its traceback if a statement of it failed."""

    id: str
    outputs: list[Output] = field(default_factory=list)
    traceback: str | None = None
    note: str | None = None  # e.g. "unknown tool"


def cut_middle(text: str, limit: int, *, dropped: int = 0) -> str:
    """``text`` in at most ``limit`` characters (but never less than its note), its middle replaced
    by a note saying how many characters were cut; ``dropped``: characters already taken out of the
    middle before, counted in the note."""
    if len(text) <= limit and not dropped:
        return text
    cut = len(text) - limit
    while True:  # the note's own length depends on the count it holds
        note = f"\n[... {cut + dropped} characters cut ...]\n"
        keep = min(len(text), max(0, limit - len(note)))
        if len(text) - keep == cut:
            break
        cut = len(text) - keep
    head = keep * 2 // 3
    return f"{text[:head]}{note}{text[len(text) - (keep - head):]}"


def _redacted(text: str, limit: int, scanner: SecretScanner) -> tuple[str, int]:
    """``text`` redacted, and how many characters of its middle were dropped first: of a text far
    longer than ``limit`` only its ends (with a margin, so that a secret at an edge is seen whole)
    can be kept, and only they are scanned."""
    span = limit + 512
    if len(text) <= 2 * span:
        return redact_for_model(text, scanner), 0
    return redact_for_model(text[:span] + text[-span:], scanner), len(text) - 2 * span


def _shares(lengths: list[int], total: int) -> list[int]:
    """Each call's most characters, together at most ``total``: an equal share each, and what a
    shorter call leaves of its share goes to the longer ones."""
    shares = [0] * len(lengths)
    left = total
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for done, i in enumerate(order):
        shares[i] = min(lengths[i], left // (len(order) - done))
        left -= shares[i]
    return shares


def _clean_stream(text: str) -> str:
    """Stream text without colours, each ``\r``-overwritten line in its last state (in time linear in
    the text: a regex over a long line without ``\r`` would take time quadratic in its length)."""
    text = strip_ansi(text)
    if "\r" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = "\r" if line.endswith("\r") and i < len(lines) - 1 else ""  # "\r\n" ends a line
        lines[i] = line[: len(line) - len(end)].rsplit("\r", 1)[-1] + end
    return "\n".join(lines)


def _text_of(call: CallResult) -> tuple[str, list[str]]:
    """The call's text, and its images (base64 PNG), in order."""
    parts: list[str] = []
    images: list[str] = []
    for output in call.outputs:
        if output.get("kind") == "stream":
            parts.append(_clean_stream(str(output.get("text", ""))))
            continue
        data = output.get("data") or {}
        png = data.get("image/png")
        if isinstance(png, str) and png:
            images.append(png.replace("\n", ""))
            continue
        plain = data.get("text/plain")
        if isinstance(plain, str) and plain:
            parts.append(strip_ansi(plain) + ("" if plain.endswith("\n") else "\n"))
        elif data:
            parts.append(f"[a display of {', '.join(sorted(data))}]\n")
    text = "".join(parts)
    if call.traceback:
        text += ("" if not text or text.endswith("\n") else "\n") + strip_ansi(call.traceback).rstrip() + "\n"
    if call.note:
        text += call.note
    return text, images


def tool_result_blocks(
    calls: list[CallResult],
    scanner: SecretScanner,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_images: int = MAX_IMAGES,
) -> tuple[list[dict[str, Any]], str]:
    """The ``tool_result`` content blocks of a step (one per call, in order) and their text as the
    record keeps it (images as ``[image]``)."""
    texts: list[tuple[str, int]] = []
    sends: list[list[str]] = []
    images_left = max_images
    for call in calls:
        text, images = _text_of(call)
        text, dropped = _redacted(text, max_chars, scanner)
        text = text.rstrip("\n")
        sent, extra = images[:images_left], len(images) - min(len(images), images_left)
        images_left -= len(sent)
        if extra:
            plural = "s" if extra != 1 else ""
            text += f"\n[{extra} more figure{plural} not sent: at most {max_images} per step]"
        if not text.strip() and not sent:
            text = "(no output)"
        texts.append((text, dropped))
        sends.append(sent)
    shares = _shares([len(text) for text, _ in texts], max_chars)
    blocks: list[dict[str, Any]] = []
    shown: list[str] = []
    for call, (text, dropped), share, sent in zip(calls, texts, shares, sends, strict=True):
        text = cut_middle(text, share, dropped=dropped)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        for png in sent:
            source = {"type": "base64", "media_type": "image/png", "data": png}
            content.append({"type": "image", "source": source})
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.id, "content": content}
        if call.traceback is not None or call.note is not None:
            block["is_error"] = True
        blocks.append(block)
        shown.append(text + "".join("\n[image]" for _ in sent))
    return blocks, "\n\n".join(shown)
