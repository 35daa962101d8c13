"""The OpenAI-compatible source (OpenAI, Ollama, vLLM, LM Studio, OpenRouter): ``source`` (the chat
completions stream), ``errors`` (how its failures read), ``stream`` (the chunks' state). What every
provider shares is in ``sources/remote.py`` and ``sources/errors.py``; which provider a model name
means, in ``sources/providers.py``. The SDK (the ``openai`` extra) is imported only when a request is
made."""

from __future__ import annotations

from .source import *  # noqa: F403
from .source import __all__ as __all__
