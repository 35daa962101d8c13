"""``Eager``: the persistent defaults of ``%%eager`` (``%config Eager.<name> = <value>``), a traitlets
configurable the magic reads when a cell starts. A run reads them once: generated code that changes
them (which the gate holds anyway) cannot change the run it is part of.

To validate a change: ``tests/test_kernel_magic.py``.
"""

from __future__ import annotations

from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode
from traitlets.config import Configurable

from .gate import DEFAULT_ALLOW, DEFAULT_DENY, Gate
from .sources.revisions import DEFAULT_MARKERS

__all__ = ["Eager"]


class Eager(Configurable):
    """Defaults for ``%%eager``; set them with ``%config Eager.<name> = <value>``."""

    rate = Float(60.0, help="Replay speed in tokens per second.").tag(config=True)
    ttft = Float(0.0, help="Replay: seconds before the first token.").tag(config=True)
    gate = Enum(["paper", "off"], "paper", help="Gate policy for risky statements.").tag(config=True)
    view = Enum(["auto", "widget", "plain"], "auto", help="How a run is shown.").tag(config=True)
    model = Unicode("claude-sonnet-5-5", help="provider:model (ollama:qwen3-coder) or an Anthropic id.").tag(
        config=True
    )
    providers = Dict(help='More providers: {"vllm": {"base_url": ..., "api_key_env": ...}}.').tag(config=True)
    prices = Dict(help='USD per million tokens in, out: {"openai:gpt-5-mini": [0.25, 2.0]}.').tag(config=True)
    base_url = Unicode("", help="Base URL of the openai-compatible provider.").tag(config=True)
    max_tokens = Int(4096, help="Most tokens the model may write.").tag(config=True)
    temperature = Float(None, allow_none=True, help="Sampling temperature (model default if unset).").tag(
        config=True
    )
    fix = Int(0, help="Self-repair rounds after a failing statement.").tag(config=True)
    on_revision = Enum(
        ["stop", "rerun"],
        "stop",
        help="When the model revises a statement that already ran: stop the run (stop) or run the "
        "revised statement and everything after it again (rerun).",
    ).tag(config=True)
    hold_tokens = Int(
        0, help="Revision window: release a finished statement only after this many more code pieces "
        "(tokens of code; prose does not count)."
    ).tag(config=True)
    revision_markers = Unicode(
        DEFAULT_MARKERS,
        help="Regex of the revision markers a model writes as text, its group the offset to go back "
        "to ('' turns decoding off).",
    ).tag(config=True)
    approve = Enum(
        ["auto", "ask", "deny"],
        "auto",
        help="Held statements, once generation ends: run them (auto), ask first (ask), never (deny).",
    ).tag(config=True)
    agent = Bool(False, help="Answer model requests as an agent (--agent): run, look, go on.").tag(
        config=True
    )
    max_steps = Int(8, help="--agent: most model responses (steps) in one episode.").tag(config=True)
    agent_result_chars = Int(
        8000, help="--agent: most characters of output sent back to the model per step."
    ).tag(config=True)
    gate_deny = Dict(
        value_trait=Unicode(),
        help="Extra names the gate holds, name -> reason shown (added to the paper's list).",
    ).tag(config=True)
    gate_allow = List(
        Unicode(), help="Extra dotted prefixes the gate lets through (e.g. 'os.listdir')."
    ).tag(config=True)

    def make_gate(self, policy: str) -> Gate | None:
        if policy == "off":
            return None
        return Gate({**DEFAULT_DENY, **self.gate_deny}, (*DEFAULT_ALLOW, *self.gate_allow))
