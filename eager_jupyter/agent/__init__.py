"""``%%eager --agent``: a code interpreter that runs each step while the model writes it.

- ``reply.py``: one streamed response's events as prose and code parts, and the turn sent back (pure)
- ``result.py``: what goes back to the model after a step, within a budget (pure)
- ``tap.py``: each statement's outputs, observed for the model without taking them from the view
- ``source.py``: one step's request (the Python tool, streamed input) as a ``"parts"`` source
- ``episode.py``: the engine's ``Stepper``: what goes back, the next step, the step limit
"""

from __future__ import annotations

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
