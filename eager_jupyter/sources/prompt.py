"""What the Anthropic source sends: the system prompt, the request, the history, the repair request.

All pure text building, no network, so it is tested on its own (``tests/test_anthropic_source.py``).

- ``SYSTEM_PROMPT`` asks for one Python block of notebook code made of top-level statements, because
  each statement runs as soon as it is complete, in the user's kernel, while the rest is written.
- ``expand_request`` replaces ``{name}`` in the request with ``str()`` of that notebook variable, as
  jupyter-ai users expect. ``{{`` and ``}}`` stand for literal braces; braces around anything that is
  not a name (``{"a": 1}``) are left alone. An unknown name, one that looks like a secret, or a value
  holding a known secret (the key or a part of it, a secret environment value) is a ``RequestError``
  before anything is sent; anything else the secret scanner flags in a value (a token, a
  high-entropy string) is sent as ``[redacted]``.
- ``user_message`` puts the namespace summary (``eager_jupyter.sources.namespace``) in a ``<notebook>`` block
  before the request: the current state travels with the current request only; the history keeps the
  requests and replies, not old summaries.
- ``Conversation`` is the history of one kernel's ``%%eager`` exchanges (the magic keeps one per shell;
  ``--new`` clears it). It sends the most recent exchanges that fit a character budget, whole.
- ``repair_request`` and ``repair_messages`` build the ``--fix`` continuation: the request, then the
  program as it ran (up to and including the failing statement) as the assistant's turn, then the
  traceback and the ask to continue from the failing statement without repeating what ran.

Secrets (``eager_jupyter.sources.secrets``): every text the notebook produced goes through the
scanner before it is sent: the traceback and the program in a repair request (``scanner=``, built by
the source with the key in use; without one, a scanner of token formats and high-entropy strings),
and whatever ``Conversation.add`` keeps, so a secret that reached one request is never resent with
every later one. A traceback is redacted after its colours are stripped (an escape code can split a
token) and before it is cut to its last characters (a cut can leave a piece too short to recognise).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from .._text import strip_ansi
from .base import SourceError
from .namespace import is_secret_name
from .secrets import SecretScanner

__all__ = [
    "SYSTEM_PROMPT",
    "Conversation",
    "Exchange",
    "Message",
    "RequestError",
    "clean_traceback",
    "expand_request",
    "repair_messages",
    "repair_request",
    "user_message",
]


class RequestError(SourceError):
    """The request cannot be sent as written (an unknown ``{name}``, a secret-looking ``{name}``)."""


class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: str


SYSTEM_PROMPT = """\
You write Python for a Jupyter notebook, and your code runs while you write it: each top-level \
statement is executed in the user's live IPython kernel as soon as it is complete. The kernel \
already holds the variables and imports listed in <notebook>; reuse them rather than reloading or \
recomputing.

Answer with exactly one ```python code block. At most one short sentence may come before it and one \
after it; nothing outside the block runs, so put everything that must happen inside it.

Write the code as notebook code, not as a script:
- Top-level statements in the order they should run; define a function only when it is reused, and \
call it at top level. No `if __name__ == "__main__":`, no `main()` wrapper.
- Each statement runs before the next is written, so never refer to something defined later, and put \
quick steps (imports, loading, small checks) first.
- Show results the notebook way: `display(df.head())` or `display(value)` for each table or value \
worth seeing along the way, and the most important result as a bare expression on the last line. \
Plots use matplotlib inline: build one figure per plot and finish it with `plt.show()`.
- No `input()`, no `pip install` or shell commands, no infinite loops or long sleeps.
- If the request cannot be done with code, say why in one sentence and write no code block.
"""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_VALUE_CHARS = 20_000
_FORMATS = SecretScanner()  # token formats and high-entropy strings; no known secret


def expand_request(
    text: str,
    namespace: Mapping[str, Any],
    *,
    secrets: Iterable[str] = (),
    scanner: SecretScanner | None = None,
    max_chars: int = _MAX_VALUE_CHARS,
) -> str:
    """``text`` with every ``{name}`` replaced by ``str(namespace[name])`` (``{{``, ``}}`` escape)."""
    if scanner is None:
        scanner = SecretScanner(secrets)

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if is_secret_name(name):
            raise RequestError(f"{{{name}}} in the request: not sent, the name looks like a secret")
        if name not in namespace:
            raise RequestError(
                f"{{{name}}} in the request: no variable {name!r} in the notebook"
                " (write {{ and }} for literal braces)"
            )
        try:
            value = str(namespace[name])
        except Exception as error:  # a user object's __str__ may raise anything
            raise RequestError(
                f"{{{name}}} in the request: str({name}) failed with {type(error).__name__}"
            ) from None
        if len(value) > max_chars:
            value = value[:max_chars] + f"\n... ({len(value) - max_chars} more characters not sent)"
        if scanner.holds_known(value):
            raise RequestError(
                f"{{{name}}} in the request: not sent, its value contains the API key"
                " (or a part of it, or a secret from the environment)"
            )
        return scanner.redact(value)

    return _PLACEHOLDER.sub(replace, text)


def user_message(request: str, context: str = "") -> str:
    """The user turn: the namespace summary (if any), then the request."""
    request = request.strip()
    if not context.strip():
        return request
    return f"<notebook>\n{context.strip()}\n</notebook>\n\n{request}"


def clean_traceback(text: str, limit: int = 4000, scanner: SecretScanner | None = None) -> str:
    """A traceback as plain text (no colours), secrets redacted, its last ``limit`` characters."""
    text = (scanner or _FORMATS).redact(strip_ansi(text)).strip()
    if len(text) > limit:
        text = "...\n" + text[-limit:]
    return text


def repair_request(failed_code: str, traceback: str, scanner: SecretScanner | None = None) -> str:
    """The ``--fix`` ask: the failing statement, its traceback (both redacted), what to write next."""
    scanner = scanner or _FORMATS
    return (
        "Running that stopped with an error in this statement:\n"
        f"```python\n{scanner.redact(failed_code.rstrip())}\n```\n"
        f"```\n{clean_traceback(traceback, scanner=scanner)}\n```\n"
        "Every statement before it ran, and what it defined is in the kernel; nothing after it ran.\n"
        "Continue the program from there: answer with one ```python block that starts with a "
        "corrected version of the failing statement and then goes on with the rest of the program. "
        "Do not repeat the statements that already ran."
    )


def repair_messages(
    history: list[Message],
    request_turn: str,
    code_ran: str,
    failed_code: str,
    ask_turn: str,
    scanner: SecretScanner | None = None,
) -> list[Message]:
    """History, the request, the program as it ran (through the failing statement, redacted), the ask."""
    program = code_ran
    if program and not program.endswith("\n"):
        program += "\n"
    program += failed_code
    if not program.endswith("\n"):
        program += "\n"
    return [
        *history,
        {"role": "user", "content": request_turn},
        {"role": "assistant", "content": f"```python\n{(scanner or _FORMATS).redact(program)}```"},
        {"role": "user", "content": ask_turn},
    ]


@dataclass(frozen=True)
class Exchange:
    """One request (as sent, without the namespace summary) and the reply it got (maybe cut short)."""

    request: str
    reply: str


class Conversation:
    """The ``%%eager`` history of one kernel: earlier requests and replies, sent with the next one.

    ``max_chars`` bounds what is sent: the most recent exchanges that fit, whole, oldest dropped
    first. Everything is kept (``exchanges``) so a larger budget later sees more. What is kept is
    redacted first (the ``scanner`` passed to ``add``, else this conversation's, else one of token
    formats and high-entropy strings).
    """

    def __init__(self, max_chars: int = 24_000, scanner: SecretScanner | None = None) -> None:
        self.max_chars = max_chars
        self.scanner = scanner
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def __len__(self) -> int:
        with self._lock:
            return len(self._exchanges)

    def add(self, request: str, reply: str, scanner: SecretScanner | None = None) -> None:
        """Remember an exchange, redacted; one with an empty request or reply is not kept (the API
        refuses it)."""
        if request.strip() and reply.strip():
            scanner = scanner or self.scanner or _FORMATS
            exchange = Exchange(scanner.redact(request), scanner.redact(reply))
            with self._lock:
                self._exchanges.append(exchange)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def messages(self) -> list[Message]:
        """The recent exchanges as alternating user/assistant messages, within ``max_chars``."""
        chosen: list[Exchange] = []
        used = 0
        for exchange in reversed(self.exchanges):
            size = len(exchange.request) + len(exchange.reply)
            if used + size > self.max_chars:
                break
            chosen.append(exchange)
            used += size
        out: list[Message] = []
        for exchange in reversed(chosen):
            out.append({"role": "user", "content": exchange.request})
            out.append({"role": "assistant", "content": exchange.reply})
        return out
