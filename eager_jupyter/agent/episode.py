"""``%%eager --agent``: an episode of steps, the engine's ``Stepper`` (``engine/steps.py``).

Each step is one model response (``AgentStepSource``): its prose is shown, its tool calls' code runs
statement by statement while it streams. When the step is over, ``finish_step`` sends back what the
code printed, displayed and raised (``result.py``, captured by ``tap.py``) as one ``tool_result`` per
call, after the assistant turn as it streamed (``AgentReply.assistant_content``), and returns the next
step's source. Early repair: when a statement fails the engine closes the step's stream at once; the
assistant turn then ends with the failing call, its code cut after the failing statement, and the
failure goes back as that call's (error) result.

The episode ends when the model answers without a tool call (its prose is the answer), at the step
limit (a one-line error: the model had not answered), and otherwise as any run ends (an API failure,
``max_tokens``, an interrupt: the engine's own endings, what ran stays run).

To validate a change: ``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..engine.steps import StepEnd, StepOutcome
from ..sources.base import Source
from ..sources.namespace import is_secret_name
from ..sources.prompt import Conversation
from ..sources.secrets import SecretScanner
from .reply import AgentReply
from .result import DEFAULT_MAX_CHARS, CallResult, cut_middle, tool_result_blocks
from .tap import Tap
from .trace import EpisodeWriter

__all__ = ["AGENT_SYSTEM_PROMPT", "DEFAULT_MAX_STEPS", "Episode", "StepSource", "kernel_history"]

DEFAULT_MAX_STEPS = 8

AGENT_SYSTEM_PROMPT = """\
You are a data-analysis assistant working in the user's live Jupyter notebook. You have one tool, \
`python`, which runs code in the user's IPython kernel: variables, imports and data persist between \
calls and are already there from the user's own cells (see <notebook> and <history>). Each top-level \
statement runs as soon as you have written it, so write statements in the order they should run, \
quick steps first, and never refer to something defined later.

Work in small steps: run some code, look at what it printed, displayed or raised (the tool result \
holds the output, the value of the last expression, figures as images and any traceback), then \
continue. If a statement fails, the rest of that call is not run and you see the error at once: fix \
it in the next call. Show results the notebook way (`display(df.head())`, a bare expression on the \
last line, matplotlib inline with `plt.show()`). No `input()`, no `pip install`, no long sleeps.

When you have the answer, reply in plain prose without calling the tool: say what you found, briefly.
"""


class StepSource(Source, Protocol):
    """A step's source as the episode reads it: a live request (``source.AgentStepSource``) or a
    recorded step (``trace.ReplayStepSource``)."""

    @property
    def reply(self) -> AgentReply: ...

    @property
    def scanner(self) -> SecretScanner: ...

    @property
    def request(self) -> str: ...

    def follow(self, content: list[dict[str, Any]], results: list[dict[str, Any]]) -> StepSource | None:
        """The next step's source, sent this step's assistant turn and tool results (None: none)."""
        ...


_NOT_HISTORY = (
    "%load_ext",
    "%%eager",
    "get_ipython().run_line_magic('load_ext'",
    "get_ipython().run_cell_magic('eager'",
)


# an assignment to a secret-looking name (``api_key = ...``, ``os.environ["TOKEN"] = ...``), or %env
_ASSIGN = re.compile(r"""^(\s*)([\w.\[\]'"]+)(\s*[:=].*)$""")
_SECRET_LINE = re.compile(r"run_line_magic\('env'|^\s*%env\b|environ\b.*=", re.MULTILINE)


def _hide_secret_lines(code: str) -> str:
    """The cell's code with what secret-looking names are set to left out (as the namespace summary
    leaves such names out), and ``%env`` lines and ``os.environ[...] = ...`` assignments hidden."""
    lines = []
    for line in code.splitlines():
        match = _ASSIGN.match(line)
        names = re.findall(r"\w+", match.group(2)) if match else []
        if _SECRET_LINE.search(line) or any(is_secret_name(name) for name in names):
            indent = match.group(1) if match else ""
            lines.append(f"{indent}# (a line that sets a secret: not sent)")
        else:
            lines.append(line)
    return "\n".join(lines)


_MIN_ENTRY = 200  # less room than this left for a cell: it is not sent at all


def kernel_history(shell: Any, *, cells: int = 5, budget: int = 4000) -> str:
    """The last ``cells`` executed cells of this kernel (``In``, with ``Out`` where there is one),
    newest kept first, all within ``budget`` characters; the running cell is left out. A cell longer
    than half the budget is cut in the middle (a note says how much), so that one big cell leaves
    room for the cells before it; the oldest cell that does not fit whole is cut to what is left."""
    ns = shell.user_ns
    inputs = ns.get("In")
    outputs = ns.get("Out")
    if not isinstance(inputs, list):
        return ""
    out_map: Mapping[int, Any] = outputs if isinstance(outputs, dict) else {}
    entries: list[str] = []
    left = budget
    for n in range(len(inputs) - 2, 0, -1):  # the last entry is this cell
        code = str(inputs[n]).strip()
        if not code or code.startswith(_NOT_HISTORY):
            continue
        entry = f"In [{n}]:\n{_hide_secret_lines(code)}\n"
        if n in out_map and not _SECRET_LINE.search(code):
            try:
                value = repr(out_map[n])
            except Exception:
                value = "<unprintable>"
            entry += f"Out[{n}]:\n{cut_middle(value, 600)}\n"
        entry = cut_middle(entry, budget // 2)
        room = left - (1 if entries else 0)  # the newline that joins it to the next entry
        if len(entry) > room:
            if room >= _MIN_ENTRY:
                entries.append(cut_middle(entry, room))
            break
        entries.append(entry)
        left = room - len(entry)
        if len(entries) >= cells:
            break
    return "\n".join(reversed(entries))


class Episode:
    """The ``Stepper`` of an agent run; see the module docstring."""

    def __init__(
        self,
        shell: Any,
        first: StepSource,
        *,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_chars: int = DEFAULT_MAX_CHARS,
        record: Callable[[], Any] | None = None,
        conversation: Conversation | None = None,
        writer: EpisodeWriter | None = None,
    ) -> None:
        self.shell = shell
        self.current: StepSource = first
        self.max_steps = max_steps
        self.max_chars = max_chars
        self._tap = Tap(shell, first.scanner.redact_known)
        #: the engine's record, once the engine exists (its steps' code and statement offsets)
        self.record = record
        self._conversation = conversation
        self.steps = 0
        self._writer = writer  # --record: closed by ``close()``

    # ---- Stepper ------------------------------------------------------------------------------------
    def tap(self, index: int) -> contextlib.AbstractContextManager[None]:
        return self._tap(index)

    def call_at(self, offset: int) -> tuple[int, int]:
        calls = [b for b in self.current.reply.tool_calls if b.decoder is not None]
        number, first_line = 1, 1
        for i, block in enumerate(calls, start=1):
            if block.start <= offset:
                number, first_line = i, block.first_line
        return number, first_line

    def finish_step(self, outcome: StepOutcome) -> StepEnd:
        self.steps = outcome.step
        source = self.current
        reply = source.reply
        outputs = self._tap.take(range(outcome.first, outcome.end))
        calls = [b for b in reply.tool_calls]
        if outcome.failed is None and (outcome.stopped or not calls):
            self._remember(reply)
            return StepEnd()  # the answer (end_turn), or a stop the engine reports itself
        statements = self._statements(outcome)
        cut: int | None = None
        if outcome.failed is not None:
            code, offset = statements[outcome.failed]
            cut = offset + len(code.rstrip())
        content = reply.assistant_content(cut)
        kept = {block["id"] for block in content if block["type"] == "tool_use"}
        results: list[CallResult] = []
        for block in calls:
            if block.id not in kept:
                continue
            result = CallResult(block.id)
            if block.decoder is None:
                result.note = f"unknown tool {block.name!r}: the only tool is 'python'"
            end = block.end if block.end is not None else block.start + len(block.text)
            for index in range(outcome.first, outcome.end):
                code, offset = statements[index]
                last = offset + len(code.rstrip())
                if block.decoder is not None and block.start < last <= end + 1:
                    result.outputs.extend(outputs.get(index, []))
                    if index == outcome.failed:
                        shown = _cell_names(outcome.traceback, self.shell)
                        result.traceback = shown or _one_line(outcome.error)
            results.append(result)
        blocks, text = tool_result_blocks(results, source.scanner, max_chars=self.max_chars)
        if outcome.step >= self.max_steps:
            return StepEnd(
                text,
                None,
                f"the agent stopped at the step limit ({self.max_steps} steps) before the model answered;"
                " allow more with --steps N or %config Eager.max_steps",
            )
        following = source.follow(content, blocks)
        if following is None:  # a replay that has no more recorded steps
            return StepEnd(text, None)
        self.current = following
        return StepEnd(text, following)

    def close(self) -> None:
        """The episode is over (the magic calls this whatever happened): close its recording."""
        if self._writer is not None:
            self._writer.close()

    # ---- internals ------------------------------------------------------------------------------------
    def _statements(self, outcome: StepOutcome) -> dict[int, tuple[str, int]]:
        """Each statement of the step: its code and where it starts in the step's code."""
        record = self.record() if self.record is not None else None
        if record is None or not record.steps:
            return {}
        step = record.steps[-1]
        base = len(record.code) - len(step.code)
        return {s.index: (s.code, s.offset - base) for s in step.statements}

    def _remember(self, reply: Any) -> None:
        """One exchange for the kernel's conversation: the request and the model's final words."""
        if self._conversation is None:
            return
        words = "".join(b.text for b in reply.blocks if b.type == "text").strip()
        self._conversation.add(self.current.request, words or "(no answer)", self.current.scanner)


_FILE = re.compile(r'File "([^"]+)"')


def _cell_names(text: str, shell: Any) -> str:
    """A traceback with the kernel's cell files named as IPython names them (``Cell In[3]``)."""
    name_of = getattr(getattr(shell, "compile", None), "format_code_name", None)
    if name_of is None:
        return text

    def name(match: re.Match[str]) -> str:
        try:
            named = name_of(match.group(1))
        except Exception:
            named = None
        return f"{named[0]} {named[1]}" if named else match.group(0)

    return _FILE.sub(name, text)


def _one_line(error: BaseException | None) -> str:
    if error is None:
        return "the statement failed"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
