"""Starting an agent episode from a ``%%eager --agent`` cell: the first step's source (a model's, or a
recorded episode's replay) and the ``Episode`` that drives the next steps. The magic calls it; every
bad option or setting is a ``UsageError`` (one line) before anything is sent.

To validate a change: ``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from ..settings import Eager
from ..sources.base import Source, SourceError
from ..sources.prompt import Conversation
from ..sources.providers import parse_spec, provider_table, resolve
from ..trace import TraceError
from .episode import AGENT_SYSTEM_PROMPT, Episode, kernel_history
from .source import AgentStepSource
from .trace import EpisodeWriter, ReplayStepSource, read_episode

__all__ = ["start_episode"]


def start_episode(
    shell: Any, settings: Eager, conversation: Conversation, args: Any, body: str, path: Path | None
) -> tuple[Source, str | None, Episode]:
    """The first step's source, the request shown, and the episode. ``path``: a recorded episode to
    replay (``--replay-trace``), already checked to exist."""
    steps = args.steps if args.steps is not None else settings.max_steps
    if steps < 1:
        raise UsageError("--steps must be at least 1")
    chars = settings.agent_result_chars
    if path is not None:
        try:
            header, recorded = read_episode(path)
        except TraceError as error:
            raise UsageError(str(error)) from None
        replay = ReplayStepSource(header, recorded)
        return replay, str(path), Episode(shell, replay, max_steps=steps, max_chars=chars)
    if not body.strip():
        raise UsageError("%%eager --agent needs a request in the cell body")
    record = None
    if args.record:
        record = Path(os.path.expanduser(args.record.strip().strip("'\"")))
        if not record.parent.is_dir():
            raise UsageError(f"--record: no such directory: {record.parent}")
    try:
        parsed = parse_spec(args.model or settings.model, provider_table(settings.providers))
        provider = parsed.provider
        base_url = args.base_url
        if provider.name == "openai-compatible" and not base_url:
            base_url = settings.base_url or None
        resolved = resolve(provider, os.environ, base_url)
        options: dict[str, Any] = {"model": parsed.model, "base_url": resolved.base_url}
        if provider.api != "anthropic":
            from ..sources.openai.errors import check_sdk

            check_sdk(provider)
            options["provider"] = provider
        if resolved.api_key:
            options["api_key"] = resolved.api_key
        source = AgentStepSource.for_notebook(
            body,
            shell.user_ns,
            history=kernel_history(shell),
            hidden=shell.user_ns_hidden,
            conversation=conversation,
            system=AGENT_SYSTEM_PROMPT,
            max_tokens=args.max_tokens if args.max_tokens is not None else settings.max_tokens,
            temperature=args.temperature if args.temperature is not None else settings.temperature,
            **options,
        )
        writer = None
        if record is not None:
            request = source.scanner.redact(source.request)
            writer = EpisodeWriter.open(record, source=provider.name, model=source.model, request=request)
            source.record(writer)
    except SourceError as error:
        raise UsageError(str(error)) from None
    episode = Episode(
        shell, source, max_steps=steps, max_chars=chars, conversation=conversation, writer=writer
    )
    return source, source.request, episode
