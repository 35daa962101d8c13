"""Observe a statement's outputs for the model, without taking them from the view: ``Tap``.

The engine enters ``tap(index)`` inside the view's ``statement_output(index)`` (``engine/steps.py``),
so whatever the view does with outputs (the plain view lets them flow into the cell, the widget view
captures them) still happens: the tap swaps ``sys.stdout``/``sys.stderr`` for streams that note each
write and pass it on, and ``shell.display_pub`` for a publisher that notes each display (not updates
of an earlier display, not ``clear_output``) and passes it on. What it passes on has the known
secrets (the API key in use, secret-named environment variables' values) redacted, so code the model
wrote that prints the key does not put it in the notebook: each write and each display's text
formats are redacted on their own (a key written in pieces shorter than 8 characters is not found).
Tracebacks are not tapped: the engine hands the failing statement's traceback over as text. On the
way out the originals come back, and streams kept by the code keep passing writes on.

Main thread only, like the executor. What is not seen: writes to file descriptors (C extensions,
subprocesses) and outputs of threads after the statement ended.

To validate a change: ``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..views.capture import redirected
from .result import Output

__all__ = ["Tap"]


Redact = Callable[[str], str]


def _unchanged(text: str) -> str:
    return text


class _TeeStream(io.TextIOBase):
    def __init__(self, outputs: list[Output], original: Any, redact: Redact = _unchanged) -> None:
        super().__init__()
        self.outputs = outputs
        self.original = original
        self.redact = redact
        self.active = True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.active and text:
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last.get("kind") == "stream":
                last["text"] += text
            else:
                self.outputs.append({"kind": "stream", "text": text})
        self.original.write(self.redact(text) if text else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.original.flush()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to close (the original stays open)."""

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        return int(self.original.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _TeePublisher:
    def __init__(self, outputs: list[Output], original: Any, redact: Redact = _unchanged) -> None:
        self.outputs = outputs
        self.original = original
        self.redact = redact
        self.active = True

    def publish(
        self, data: dict[str, Any], metadata: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> None:
        if self.active and not kwargs.get("update"):
            self.outputs.append({"kind": "display", "data": dict(data)})
        if isinstance(data, dict):  # text formats only: an image's base64 is left as it is
            data = {mime: self.redact(v) if _is_text(mime, v) else v for mime, v in data.items()}
        self.original.publish(data, metadata, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def _is_text(mime: str, value: Any) -> bool:
    return isinstance(value, str) and (mime.startswith("text/") or mime.endswith(("+json", "/json", "xml")))


class Tap:
    """What each statement printed and displayed (``outputs[index]``), for the model; ``redact``: what
    the notebook is shown instead of each write and text display (the known secrets redacted)."""

    def __init__(self, shell: Any, redact: Redact = _unchanged) -> None:
        self.shell = shell
        self.redact = redact
        self.outputs: dict[int, list[Output]] = {}

    @contextlib.contextmanager
    def __call__(self, index: int) -> Iterator[None]:
        outputs = self.outputs.setdefault(index, [])
        shell = self.shell
        out, err = _TeeStream(outputs, sys.stdout, self.redact), _TeeStream(outputs, sys.stderr, self.redact)
        publisher = getattr(shell, "display_pub", None)
        tee = _TeePublisher(outputs, publisher, self.redact) if publisher is not None else None
        if tee is not None:
            shell.display_pub = tee
        try:
            with redirected(out, err):
                yield
        finally:
            if tee is not None:
                tee.active = False
                if shell.display_pub is tee:
                    shell.display_pub = publisher

    def take(self, indices: range) -> dict[int, list[Output]]:
        """The outputs of these statements, forgotten here."""
        return {i: self.outputs.pop(i) for i in indices if i in self.outputs}
