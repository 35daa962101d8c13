"""``%%eager --agent``: a code interpreter that runs each step while the model writes it.

- ``reply.py``: one streamed response's events as prose and code parts, and the turn sent back (pure)
- ``chat.py``: the same over OpenAI-compatible chat completions, and the turns in that dialect (pure)
- ``result.py``: what goes back to the model after a step, within a budget (pure)
- ``tap.py``: each statement's outputs, observed for the model without taking them from the view
- ``source.py``: one step's request (the Python tool, streamed input) as a ``"parts"`` source
- ``trace.py``: episodes recorded (``--record``) and replayed offline (``--replay-trace``)
- ``episode.py``: the engine's ``Stepper``: what goes back, the next step, the step limit

Names are imported on first use, so the pure modules load without the network stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .episode import AGENT_SYSTEM_PROMPT, DEFAULT_MAX_STEPS, Episode, kernel_history
    from .reply import TOOL_NAME, AgentReply, python_tool
    from .result import tool_result_blocks
    from .source import AgentStepSource

__all__ = [
    "AGENT_SYSTEM_PROMPT",
    "DEFAULT_MAX_STEPS",
    "TOOL_NAME",
    "AgentReply",
    "AgentStepSource",
    "Episode",
    "kernel_history",
    "python_tool",
    "tool_result_blocks",
]

_WHERE = {
    "AGENT_SYSTEM_PROMPT": "episode",
    "DEFAULT_MAX_STEPS": "episode",
    "Episode": "episode",
    "kernel_history": "episode",
    "TOOL_NAME": "reply",
    "AgentReply": "reply",
    "python_tool": "reply",
    "tool_result_blocks": "result",
    "AgentStepSource": "source",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
