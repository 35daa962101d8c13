"""The Anthropic source: Claude writes the code, streamed from the Messages API as it is written.

``AnthropicSource`` implements :class:`~eager_jupyter.sources.base.Source` with ``kind == "markdown"``:
``stream()`` yields the text deltas of one streaming Messages request (through the ``anthropic`` SDK,
``client.messages.create(stream=True)``), and the engine's fence filter picks the Python block out.
The magic builds one per cell with :meth:`AnthropicSource.for_notebook` (request with ``{name}``
expanded, the namespace summary, the kernel's conversation), checks the key first with
:func:`check_api_key`, and for ``--fix`` asks :meth:`AnthropicSource.continuation` for the next round.

Configuration: ``ANTHROPIC_API_KEY`` (or ``api_key=``), ``ANTHROPIC_BASE_URL`` (or ``base_url=``),
model id (any string: never checked against a list), ``max_tokens``, ``temperature``. The SDK 2.x
dropped sampling parameters (it sends ``anthropic-version: 2026-10-21``, which refuses them), so a
``temperature`` is only sent when asked for, in ``extra_body``; where the API refuses it, the 400
becomes a ``BadRequest`` that says to leave it unset.

Retries. The SDK's own retry loop is off (``max_retries=0``): it sleeps in ``time.sleep``, which
``close()`` cannot cut short, and it honours any ``retry-after``. The source retries itself, and only
while nothing has been yielded: a 429, 529 or 5xx answer, a timeout or a dropped connection before
the first text delta, or an SSE ``error`` event before any text, is retried up to ``retries`` times
(backoff ``backoff * 2**n`` with jitter, or the server's ``retry-after`` when it is at most
``max_retry_wait`` seconds; a longer ``retry-after`` fails at once and says so). Once a piece of
text has been yielded, statements may have run on it, so the request is never repeated: any failure
then ends the stream with an error.

Closing. ``close()`` (from the main thread: early interruption, a kernel interrupt) sets a flag and
shuts down every socket the source's HTTP client opened (see ``_sockets``): the server sees the
connection close at once, and the producer thread, woken from ``recv()``, ends the stream. A retry
wait is an ``Event.wait`` that ``close()`` cuts short.

Errors (one line each, never carrying the SDK's exception or the key) are in ``_errors``.

Secrets. The source's ``SecretScanner`` knows the key and the environment's secret values; the
namespace summary, ``{name}`` values, the ``--fix`` traceback and what the conversation keeps go
through it (``..secrets``). While ``stream()`` runs, the SDK's loggers are cut off from the cell's
stderr (``..sdk_logs``), so ``ANTHROPIC_LOG=debug`` writes no request body into the notebook.

Recording (``record=``): the text pieces with their times since the request, in the trace format of
``eager_jupyter.trace`` (``origin: "recorded"``); the end line (usage, stop reason) only if the reply
completed. A ``--fix`` continuation records to ``<stem>.fix<N><suffix>`` next to it.
"""

from __future__ import annotations

import copy
import os
import random
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ...trace import TraceWriter
from ..base import SourceKind
from ..namespace import DEFAULT_BUDGET, summarize_namespace
from ..prompt import (
    SYSTEM_PROMPT,
    Conversation,
    Message,
    RequestError,
    expand_request,
    repair_messages,
    repair_request,
    user_message,
)
from ..sdk_logs import contained_sdk_logs
from ..secrets import SecretScanner, secret_env_values
from .errors import (
    API_KEY_ENV,
    MISSING_KEY,
    AnthropicSourceError,
    ApiError,
    ApiTimeout,
    BadRequest,
    ConnectionLost,
    KeyRejected,
    MissingApiKey,
    ModelNotFound,
    Overloaded,
    RateLimited,
    RecordError,
    ReplyIncomplete,
    ServerError,
    _Secret,
    api_key_from_env,
    check_api_key,
    one_line,
    redact,
    translate,
)
from .stream import ReplyState, check_stop

if TYPE_CHECKING:
    import anthropic

    from .sockets import Connections

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "AnthropicSource",
    "AnthropicSourceError",
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "ConnectionLost",
    "Conversation",
    "KeyRejected",
    "MissingApiKey",
    "ModelNotFound",
    "Overloaded",
    "RateLimited",
    "RecordError",
    "ReplyIncomplete",
    "RequestError",
    "ServerError",
    "check_api_key",
]

#: the newest Sonnet the SDK knows (claude-sonnet-4-5 is deprecated: end of life 2026-11-30)
DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_TOKENS = 4096
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
#: seconds without a byte before a stalled request or reply fails (the API pings while it thinks)
DEFAULT_TIMEOUT = 60.0
#: first retry wait in seconds (doubled each retry), when the server sends no retry-after
DEFAULT_BACKOFF = 0.5


class AnthropicSource:
    """Streams Claude's reply to one request. See the module docstring for the design."""

    kind: SourceKind = "markdown"

    def __init__(
        self,
        request: str,
        *,
        context: str = "",
        conversation: Conversation | None = None,
        model: str = DEFAULT_MODEL,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float | None = None,
        system: str = SYSTEM_PROMPT,
        api_key: str | None = None,
        base_url: str | None = None,
        record: str | Path | None = None,
        timeout: float | None = None,
        connect_timeout: float = 10.0,
        retries: int = 2,
        backoff: float | None = None,
        max_retry_wait: float = 20.0,
        scanner: SecretScanner | None = None,
    ) -> None:
        """``request`` is the user's text, ``{name}`` already expanded (``for_notebook`` does that)."""
        key = api_key or api_key_from_env()
        if not key:
            raise MissingApiKey(MISSING_KEY)
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
        self._key = _Secret(key)
        self._scanner = scanner or _scanner_for(key)
        self.request = request
        self.model: str | None = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.system = system
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        self.record_path = Path(record) if record is not None else None
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = DEFAULT_BACKOFF if backoff is None else backoff
        self.max_retry_wait = max_retry_wait
        self.label = "anthropic"
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
        self._state = ReplyState()
        #: token counts from the API (input_tokens, output_tokens, cache counts), filled as they come
        self.usage: dict[str, int] = self._state.usage
        self.attempts = 0
        self.closed_at: float | None = None  # time.perf_counter() when close() was first called
        self._pieces: list[str] = []
        self._closed = threading.Event()
        self._started = False
        self._connections: Connections | None = None

    def __repr__(self) -> str:
        return f"<AnthropicSource model={self.model!r} request={one_line(self.request, 60)!r}>"

    # ---- building ----------------------------------------------------------------------------
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
    ) -> AnthropicSource:
        """The source for a ``%%eager`` cell: ``{name}`` expanded from ``namespace``, its summary attached.

        Raises ``MissingApiKey`` or ``RequestError`` before anything is sent. ``options`` go to the
        constructor (``model``, ``max_tokens``, ``temperature``, ``record``, ...).
        """
        key = options.pop("api_key", None) or api_key_from_env()
        check_api_key(key)
        scanner = _scanner_for(key)
        request = expand_request(text.strip(), namespace, scanner=scanner)
        budget = DEFAULT_BUDGET if context_budget is None else context_budget
        context = summarize_namespace(namespace, hidden=hidden, scanner=scanner, budget=budget)
        return cls(
            request, context=context, conversation=conversation, api_key=key, scanner=scanner, **options
        )

    def continuation(
        self,
        code_ran: str,
        failed_code: str,
        traceback: str,
        *,
        namespace: Mapping[str, Any] | None = None,
        hidden: Collection[str] = (),
    ) -> AnthropicSource:
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
        source.label = f"anthropic (fix {self._repairs})"
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

    @property
    def stop_reason(self) -> str | None:
        return self._state.stop_reason

    @property
    def served_model(self) -> str | None:
        """The model id the API answered with."""
        return self._state.served_model

    # ---- the Source protocol -----------------------------------------------------------------
    def close(self) -> None:
        if self.closed_at is None:
            self.closed_at = time.perf_counter()
        self._closed.set()
        connections = self._connections
        if connections is not None:
            connections.abort()

    def stream(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("an AnthropicSource streams once; build a new one")
        self._started = True
        with contained_sdk_logs():  # ANTHROPIC_LOG=debug would write the request body into the cell
            yield from self._stream()

    def _stream(self) -> Iterator[str]:
        t0 = time.perf_counter()
        writer: TraceWriter | None = None
        client: anthropic.Anthropic | None = None
        try:
            if self._closed.is_set():
                return
            writer = self._open_record()
            client = self._client()
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
            check_stop(self.stop_reason, self.reply, self.max_tokens)
            if writer is not None:
                writer.end(time.perf_counter() - t0, usage=dict(self.usage), stop_reason=self.stop_reason)
        finally:
            self._finish(writer, client)

    # ---- internals ---------------------------------------------------------------------------
    def _client(self) -> anthropic.Anthropic:
        import anthropic
        import httpx2

        from .sockets import Connections, closable_http_client

        connections = Connections()
        self._connections = connections
        if self._closed.is_set():
            connections.abort()
        timeout = httpx2.Timeout(self.timeout, connect=min(self.connect_timeout, self.timeout))
        http_client = closable_http_client(connections, timeout)
        return anthropic.Anthropic(
            api_key=self._key.reveal(),
            base_url=self.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        )

    def _attempt(self, client: anthropic.Anthropic, t0: float, writer: TraceWriter | None) -> Iterator[str]:
        """One request. Yields text; raises an ``ApiError`` (never with the SDK's error attached)."""
        failure: ApiError | None = None
        stream = None
        try:
            stream = client.messages.create(
                model=self.model or DEFAULT_MODEL,
                max_tokens=self.max_tokens,
                system=self.system,
                messages=cast(Any, self.messages),
                stream=True,
                # The SDK (2.x) has no sampling parameters: API version 2026-10-21 refuses them. A
                # temperature the user asked for is sent as is; where it is refused, the 400 says so.
                extra_body=None if self.temperature is None else {"temperature": self.temperature},
            )
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
                text = self._state.feed(event)
                if text and not self._closed.is_set():
                    self._pieces.append(text)
                    if writer is not None:
                        writer.piece(time.perf_counter() - t0, text)
                    yield text
        finally:
            stream.close()
        if self._closed.is_set():
            return
        if failure is not None:
            raise failure
        if not self._state.stopped:
            raise ConnectionLost(
                "the API's reply ended before message_stop" + (" (mid-reply)" if self._pieces else ""),
                during_reply=bool(self._pieces),
            )

    def _failure(self, error: BaseException) -> ApiError:
        return translate(
            error,
            during=bool(self._pieces),
            key=self._key.reveal(),
            model=self.model or DEFAULT_MODEL,
            base_url=self.base_url,
            timeout=self.timeout,
            temperature=self.temperature,
        )

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
                source="anthropic",
                model=self.model,
                request=redact(self.request, self._key.reveal()),
                recorded=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                origin="recorded",
            )
        except OSError as error:
            raise RecordError(
                f"cannot write the recording {self.record_path}: {error.strerror or error}"
            ) from None

    def _finish(self, writer: TraceWriter | None, client: anthropic.Anthropic | None) -> None:
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
