"""What goes back to the model after a step: one ``tool_result`` per tool call, within a budget.

A tool call's result is built from what its statements printed and displayed (captured by the tap,
``agent/tap.py``, as ``Output`` entries), in order: streams as text (ANSI stripped; ``\\r``-overwritten
progress lines keep their last state), displayed values as their ``text/plain`` (a DataFrame's is its
compact table), figures as PNG image blocks, and for the failing statement its traceback (the
program's own frames and line numbers). A call with nothing to show says so.

Budget, per step: the text of all of a step's results together at most ``max_chars`` (each call gets
an equal share), cut in the middle with a note saying how much was cut (the start says what the code
was doing, the end how it ended: both matter more than the middle); at most ``max_images`` images,
the rest named in a note. Every text is redacted (``redact_for_model``) before it leaves.

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


def cut_middle(text: str, limit: int) -> str:
    """``text`` at most about ``limit`` characters, its middle replaced by a note."""
    if len(text) <= limit:
        return text
    head = max(0, limit * 2 // 3)
    tail = max(0, limit - head)
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} characters cut ...]\n{text[len(text) - tail:] if tail else ''}"


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
    share = max(200, max_chars // max(1, len(calls)))
    blocks: list[dict[str, Any]] = []
    shown: list[str] = []
    images_left = max_images
    for call in calls:
        text, images = _text_of(call)
        text = redact_for_model(cut_middle(text, share), scanner).rstrip("\n")
        sent, extra = images[:images_left], len(images) - min(len(images), images_left)
        images_left -= len(sent)
        if extra:
            plural = "s" if extra != 1 else ""
            text += f"\n[{extra} more figure{plural} not sent: at most {max_images} per step]"
        if not text.strip() and not sent:
            text = "(no output)"
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
