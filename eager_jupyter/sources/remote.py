"""What every model source does the same way, whatever the SDK: ``RemoteSource``.

A provider's source (``anthropic/source.py``, ``openai/source.py``) subclasses it and supplies four
things: ``_client()`` (its SDK's client, on an HTTP client hooked by ``sockets.py``), ``_events(client)``
(start one streaming request; return the response to close and its events), ``_feed(event)`` (an
event's text, if any) and ``_failure(error)`` (an SDK failure as one of ``errors.py``'s ``ApiError``),
plus ``_check_end()`` for how its reply may stop short. Everything else is here, once:

- Building: ``for_notebook`` expands ``{name}`` and attaches the namespace summary (``prompt.py``,
  ``namespace.py``), with the key passed as a secret so neither can carry it; ``continuation`` builds
  the ``--fix`` round (the same request, the program as it ran, the traceback), recording next to the
  first round's file as ``<stem>.fix<N><suffix>``.
- Retries, only while nothing has been yielded: a retryable ``ApiError`` (429, 529, 5xx, a timeout, a
  dropped or refused connection, an error in the stream before any text) is retried up to ``retries``
  times (backoff ``backoff * 2**n`` with jitter, or the server's ``retry-after`` when it is at most
  ``max_retry_wait`` s; a longer one fails at once). Once text has been yielded, statements may have run
  on it, so the request is never repeated. The SDKs' own retry loops are off: they sleep where
  ``close()`` cannot wake them.
- Closing: ``close()`` (any thread) sets a flag and shuts down every socket the source's HTTP client
  opened (``sockets.Connections``): the server sees the connection close at once, the producer thread
  wakes from ``recv()`` and the stream ends. A retry wait is an ``Event.wait`` that ``close()`` cuts.
- Recording (``record=``): the text pieces with their times since the request, in ``trace.py``'s
  format (``origin: "recorded"``); the end line (usage, stop reason) once the stream has ended, even
  cut short (a replay then says why), never after a failure of the API or the network.
- Revision markers (issue 18): ``MarkedSource`` asks the source to decode them itself
  (``decode_markers``), before recording: the recording holds the decoded text and ``revise``
  lines, its header the pattern used (``revision_markers``), so it replays the same whatever the
  replay's ``Eager.revision_markers``; ``reply`` is the text with the revisions applied.
- The conversation gets the exchange (request, reply so far) when the stream ends, however it ends.
- Secrets: the source's ``SecretScanner`` knows the key and the environment's secret values; the
  namespace summary, ``{name}`` values, the ``--fix`` traceback and what the conversation keeps go
  through it (``secrets.py``). While ``stream()`` runs, the SDKs' loggers are cut off from the cell's
  stderr (``sdk_logs.py``), so ``ANTHROPIC_LOG=debug`` writes no request body into the notebook.

To validate a change: ``tests/test_anthropic_source.py`` and ``tests/test_openai_source.py`` (both SDKs
against loopback servers: the retry rule, close, records, the key); ``tests/test_revisions_record.py``
(recording a model that writes revision markers).
"""

from __future__ import annotations

import copy
import os
import random
import sys
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from ..trace import TraceWriter
from .base import SourceKind
from .errors import ApiError, ConnectionLost, RecordError, Secret, redact, shorten
from .namespace import DEFAULT_BUDGET, summarize_namespace
from .prompt import (
    SYSTEM_PROMPT,
    Conversation,
    Message,
    expand_request,
    repair_messages,
    repair_request,
    user_message,
)
from .revisions import MarkerDecoder, Revision
from .sdk_logs import contained_sdk_logs
from .secrets import SecretScanner, secret_env_values
from .sockets import Connections

__all__ = ["DEFAULT_BACKOFF", "DEFAULT_MAX_TOKENS", "DEFAULT_TIMEOUT", "RemoteSource"]

DEFAULT_MAX_TOKENS = 4096
#: seconds without a byte before a stalled request or reply fails (the APIs ping while they think)
DEFAULT_TIMEOUT = 60.0
#: first retry wait in seconds (doubled each retry), when the server sends no retry-after
DEFAULT_BACKOFF = 0.5


class RemoteSource:
    """Streams a model's reply to one request; see the module docstring. Subclass per provider."""

    kind: SourceKind = "markdown"
    #: the provider's name: the trace's ``source``, the first word of ``label``
    provider = "remote"
    #: the module whose ``DEFAULT_TIMEOUT`` and ``DEFAULT_BACKOFF`` a new source takes (a provider's
    #: package, so that setting ``eager_jupyter.sources.anthropic.DEFAULT_TIMEOUT`` takes effect)
    settings_module = __name__
    #: the revision-marker pattern this source decodes itself ("": none; see ``decode_markers``)
    revision_markers = ""

    def __init__(
        self,
        request: str,
        *,
        api_key: str | None,
        model: str,
        context: str = "",
        conversation: Conversation | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float | None = None,
        system: str = SYSTEM_PROMPT,
        base_url: str | None = None,
        record: str | Path | None = None,
        timeout: float | None = None,
        connect_timeout: float = 10.0,
        retries: int = 2,
        backoff: float | None = None,
        max_retry_wait: float = 20.0,
        scanner: SecretScanner | None = None,
    ) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
        self._key = Secret(api_key)
        self._scanner = scanner or _scanner_for(api_key)
        self.request = request
        self.model: str | None = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.system = system
        self.base_url = base_url
        self.record_path = Path(record) if record is not None else None
        settings = sys.modules[self.settings_module]
        self.timeout = float(settings.DEFAULT_TIMEOUT) if timeout is None else timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = float(settings.DEFAULT_BACKOFF) if backoff is None else backoff
        self.max_retry_wait = max_retry_wait
        self.label = self.provider
        self._conversation = conversation
        # the history as it was before this request: a --fix continuation resends it
        self._history: list[Message] = conversation.messages() if conversation is not None else []
        self._turn = user_message(request, context)
        self._exchange_request = request.strip()  # what the conversation keeps of this request
        self.messages: list[Message] = [*self._history, {"role": "user", "content": self._turn}]
        self._repairs = 0
        self._new_run()

    def _new_run(self) -> None:
        """The state of one ``stream()`` (a continuation is a copy with this state fresh)."""
        #: token counts reported by the API (input_tokens, output_tokens, ...), filled as they come
        self.usage: dict[str, int] = {}
        self.attempts = 0
        self.closed_at: float | None = None  # time.perf_counter() when close() was first called
        self._pieces: list[str] = []
        self._closed = threading.Event()
        self._started = False
        self._connections: Connections | None = None

    @property
    def spec(self) -> str:
        """``provider:model``, the key of the price table (``providers.cost_usd``)."""
        return f"{self.provider}:{self.model}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self.model!r} request={shorten(self.request, 60)!r}>"

    # ---- building ----------------------------------------------------------------------------
    @classmethod
    def _key_for(cls, options: dict[str, Any]) -> str | None:
        """The key for ``for_notebook`` (from ``options["api_key"]``); raise ``MissingApiKey`` if needed."""
        key = options.get("api_key")
        return key if isinstance(key, str) and key else None

    @classmethod
    def for_notebook(
        cls,
        text: str,
        namespace: Mapping[str, Any],
        *,
        hidden: Collection[str] = (),
        conversation: Conversation | None = None,
        context_budget: int | None = None,
        **options: Any,
    ) -> Self:
        """The source for a ``%%eager`` cell: ``{name}`` expanded from ``namespace``, its summary attached.

        Raises ``MissingApiKey`` or ``RequestError`` before anything is sent. ``options`` go to the
        constructor (``model``, ``max_tokens``, ``temperature``, ``record``, ...).
        """
        key = cls._key_for(options)
        options["api_key"] = key
        scanner = _scanner_for(key)
        request = expand_request(text.strip(), namespace, scanner=scanner)
        budget = DEFAULT_BUDGET if context_budget is None else context_budget
        context = summarize_namespace(namespace, hidden=hidden, scanner=scanner, budget=budget)
        return cls(request, context=context, conversation=conversation, scanner=scanner, **options)

    def continuation(
        self,
        code_ran: str,
        failed_code: str,
        traceback: str,
        *,
        namespace: Mapping[str, Any] | None = None,
        hidden: Collection[str] = (),
    ) -> Self:
        """``--fix``: a new source whose reply continues the program from the failing statement.

        Sends this source's request turn, the program as it ran up to and including ``failed_code``,
        and ``traceback``; with ``namespace``, a fresh summary of the kernel as it now is. Call it on
        the first round's source every time: ``code_ran`` is everything that ran in the cell so far.
        """
        scanner = self._scanner
        context = "" if namespace is None else summarize_namespace(namespace, hidden=hidden, scanner=scanner)
        ask = repair_request(failed_code, traceback, scanner)
        self._repairs += 1
        source = copy.copy(self)
        source._new_run()
        source.messages = repair_messages(
            self._history, self._turn, code_ran, failed_code, user_message(ask, context), scanner
        )
        source._exchange_request = ask
        source.label = f"{self.provider} (fix {self._repairs})"
        if self.record_path is not None:
            path = self.record_path
            source.record_path = path.with_name(f"{path.stem}.fix{self._repairs}{path.suffix}")
        return source

    @property
    def scanner(self) -> SecretScanner:
        """The secret scanner of this source (the key, the environment's secrets): for tool results."""
        return self._scanner

    @property
    def reply(self) -> str:
        """The text streamed so far."""
        return "".join(self._pieces)

    def decode_markers(self, pattern: str) -> bool:
        """Decode the revision markers ``pattern`` matches here, before recording (``MarkedSource``
        asks; True: this source's items are already decoded)."""
        self.revision_markers = pattern
        return True

    # ---- the Source protocol -----------------------------------------------------------------
    def close(self) -> None:
        if self.closed_at is None:
            self.closed_at = time.perf_counter()
        self._closed.set()
        connections = self._connections
        if connections is not None:
            connections.abort()

    def stream(self) -> Iterator[str | Revision]:
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} streams once; build a new one")
        self._started = True
        with contained_sdk_logs():  # ANTHROPIC_LOG=debug would write the request body into the cell
            yield from self._stream()

    def _stream(self) -> Iterator[str | Revision]:
        t0 = time.perf_counter()
        writer: TraceWriter | None = None
        client: Any = None
        try:
            if self._closed.is_set():
                return
            writer = self._open_record()
            self._connections = Connections()
            if self._closed.is_set():
                self._connections.abort()
            client = self._client(self._connections)
            for attempt in range(self.retries + 1):
                self.attempts = attempt + 1
                failure: ApiError | None = None
                try:
                    yield from self._attempt(client, t0, writer)
                except ApiError as error:
                    failure = error
                if self._closed.is_set():
                    return
                if failure is None:
                    break
                if self._pieces or not failure.retryable or attempt == self.retries:
                    raise failure.after_attempts(self.attempts) if attempt else failure
                if failure.retry_after is not None and failure.retry_after > self.max_retry_wait:
                    raise failure
                if self._closed.wait(self._retry_wait(attempt, failure)):
                    return
            if writer is not None:  # the end line (stop reason) first: a replay of a cut reply names it
                writer.end(time.perf_counter() - t0, **self._end_info())
            self._check_end()
        finally:
            self._finish(writer, client)

    # ---- what a provider supplies --------------------------------------------------------------
    def _client(self, connections: Connections) -> Any:
        """The SDK client for this stream, its HTTP connections registered in ``connections``."""
        raise NotImplementedError

    def _events(self, client: Any) -> Any:
        """Send the request; return the SDK's stream (iterable, with ``close()`` and ``response``)."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Forget what a failed attempt's events left (called before each attempt)."""

    def _feed(self, event: Any) -> str | None:
        """One event's text, if any (and note usage, stop reason, ...)."""
        raise NotImplementedError

    def _ended(self) -> bool:
        """Whether the reply ended properly (else the stream was cut: a ``ConnectionLost``)."""
        raise NotImplementedError

    def _failure(self, error: BaseException) -> ApiError:
        """An SDK or httpx failure as one of ours: one line, the key redacted, no references."""
        raise NotImplementedError

    def _check_end(self) -> None:
        """Raise ``ReplyIncomplete`` if the reply stopped where its code must not run as it is."""

    def _end_info(self) -> dict[str, Any]:
        """What the trace's end line says (usage, stop reason)."""
        return {}

    def _cut_message(self) -> str:
        return "the reply ended before it was complete"

    # ---- internals ---------------------------------------------------------------------------
    def _attempt(self, client: Any, t0: float, writer: TraceWriter | None) -> Iterator[str | Revision]:
        """One request. Yields text (and revisions, decoding markers); raises an ``ApiError`` (never
        with the SDK's error attached)."""
        failure: ApiError | None = None
        stream = None
        decoder = MarkerDecoder(self.revision_markers) if self.revision_markers else None
        self._reset()
        try:
            stream = self._events(client)
        except Exception as error:  # raised below, outside the except block
            failure = self._failure(error)
        if failure is not None or stream is None:
            raise failure or ConnectionLost("no response from the API")
        try:
            connections = self._connections
            if connections is not None and not connections.installed:
                connections.track(stream.response.extensions.get("network_stream"))
            events = iter(stream)
            while not self._closed.is_set():
                try:
                    event = next(events)
                except StopIteration:
                    break
                except Exception as error:  # raised below, outside the except block
                    failure = self._failure(error)
                    break
                text = self._feed(event)
                if text and not self._closed.is_set():
                    yield from self._out(decoder.feed(text) if decoder else [text], t0, writer)
            if decoder is not None and failure is None and not self._closed.is_set():
                yield from self._out(decoder.finish(), t0, writer)
        finally:
            try:
                stream.close()
            except Exception:  # closing a half-dead connection must not hide why we stopped
                pass
        if self._closed.is_set():
            return
        if failure is not None:
            raise failure
        if not self._ended():
            during = bool(self._pieces)
            message = self._cut_message() + (" (mid-reply)" if during else "")
            raise ConnectionLost(message, during_reply=during)

    def _out(
        self, items: list[str | Revision], t0: float, writer: TraceWriter | None
    ) -> Iterator[str | Revision]:
        """Yield decoded items, keeping ``reply`` and the recording in step."""
        for item in items:
            t = time.perf_counter() - t0
            if isinstance(item, Revision):
                self._pieces[:] = [self.reply[: item.offset]]  # one piece, maybe "": text was yielded
                if writer is not None:
                    writer.revise(t, item.offset)
            else:
                self._pieces.append(item)
                if writer is not None:
                    writer.piece(t, item)
            yield item

    def _retry_wait(self, attempt: int, failure: ApiError) -> float:
        if failure.retry_after is not None:
            return max(0.0, failure.retry_after)
        return float(self.backoff * 2**attempt * (0.75 + 0.25 * random.random()))

    def _open_record(self) -> TraceWriter | None:
        if self.record_path is None:
            return None
        try:
            return TraceWriter.open(
                self.record_path,
                kind="markdown",
                source=self.provider,
                model=self.model,
                request=redact(self.request, self._key.reveal()),
                recorded=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                origin="recorded",
                revision_markers=self.revision_markers,
            )
        except OSError as error:
            raise RecordError(
                f"cannot write the recording {self.record_path}: {error.strerror or error}"
            ) from None

    def _finish(self, writer: TraceWriter | None, client: Any) -> None:
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a half-dead connection must not hide why we stopped
                pass
        if self._connections is not None:
            self._connections.release()
        if self._conversation is not None:
            self._conversation.add(self._exchange_request, self.reply, self._scanner)


def _scanner_for(key: str | None) -> SecretScanner:
    """The secret scanner of one request: the key in use and the environment's secret values."""
    return SecretScanner([key or "", *secret_env_values(os.environ)])
