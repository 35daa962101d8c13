"""``%%eager``: the thin adapter between IPython and the engine.

It parses the options (``magic_arguments``, so ``%%eager?`` prints real help and bad input raises
``UsageError``), reads persistent defaults from the ``Eager`` configurable (``%config Eager.rate =
80``), builds a source, a view and an engine, runs it, binds the run record to ``_eager``, and returns
the value of the program's last expression so IPython displays it as ``Out[n]``, once, as for a cell.

``--agent`` (or ``%config Eager.agent = True``) answers the request as an episode of steps
(``agent/``): the model calls a Python tool, each call's code runs while it streams, what it did goes
back, and the model goes on until it answers; ``--steps N`` caps the steps (``Eager.max_steps``). An
episode recorded with ``--record`` replays with ``--replay-trace FILE`` (recognised by its header).

A cell whose body is empty (``%%eager --replay analysis.py`` alone) is rejected by IPython before any
magic runs; ``load`` installs an input transformer that gives such a cell a one-newline body.
"""

from __future__ import annotations

import builtins
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from . import approval
from . import record as _record
from ._numbers import number
from .engine import Engine, RepairContext, RepairFn
from .engine.revisions import OnRevision, Revisions
from .events import Mode
from .settings import Eager
from .sources.base import Source
from .sources.prompt import Conversation
from .sources.providers import cost_usd
from .sources.replay import ReplayFileError, ReplaySource, TraceSource
from .sources.revisions import MarkedSource
from .trace import TraceError
from .views import probe
from .views.base import View
from .views.plain import PlainView

__all__ = ["Eager", "EagerMagics", "load"]


def _finite(kind: type[float] | type[int], what: str, *, minimum: float = 0, above: bool = False) -> Any:
    """An option's parser: a finite number in range, or a ``UsageError`` (``_numbers.number``)."""
    return number(kind, what, minimum=minimum, above=above, error=UsageError)



def _marked(repair: RepairFn, markers: str) -> RepairFn:
    """``repair`` whose text sources decode revision markers, as the first round's does."""

    def marked(context: RepairContext) -> Source | None:
        source = repair(context)
        return MarkedSource(source, markers) if source is not None and source.kind != "parts" else source

    return marked

@magics_class
class EagerMagics(Magics):
    def __init__(self, shell: Any, config: Eager) -> None:
        super().__init__(shell)
        self.settings = config
        self.conversation = Conversation()  # this kernel's %%eager exchanges; --new clears it

    @magic_arguments()
    @argument(
        "--replay",
        nargs="?",
        const=True,
        default=None,
        metavar="FILE",
        help="Stream FILE (or, with no FILE, this cell's own body) as if a model were writing it.",
    )
    @argument("--replay-trace", metavar="FILE", help="Replay a recorded trace (JSONL) with its real timing.")
    @argument(
        "--rate", type=_finite(float, "--rate", above=True), help="Replay speed, tokens/s (default 60)."
    )
    @argument("--ttft", type=_finite(float, "--ttft"), help="Replay: seconds before the first token.")
    @argument("--serial", action="store_true", help="Baseline: generate everything, then run it as one cell.")
    @argument("--no-exec", action="store_true", help="Stream and show the code; run nothing.")
    @argument("-i", "--insert", action="store_true", help="Put the finished code into a new cell below.")
    @argument("--gate", choices=["paper", "off"], help="Hold risky statements until generation ends.")
    @argument(
        "--approve",
        choices=["auto", "ask", "deny"],
        help="Held statements after generation: run them, ask first, or never run them.",
    )
    @argument("--view", choices=["auto", "widget", "plain"], help="Live widget or plain outputs.")
    @argument("-m", "--model", help="provider:model (openai:, ollama:, ...) or an Anthropic id.")
    @argument("--base-url", metavar="URL", help="Send this cell's request to URL (e.g. http://host:8000/v1).")
    @argument(
        "--max-tokens", type=_finite(int, "--max-tokens", minimum=1), help="Most tokens the model may write."
    )
    @argument("--temperature", type=_finite(float, "--temperature"), help="Sampling temperature.")
    @argument("--new", action="store_true", help="Start a new conversation (forget earlier requests).")
    @argument("--record", metavar="FILE", help="Record the model's stream to FILE for --replay-trace.")
    @argument("--fix", type=_finite(int, "--fix"), help="Repair rounds after a failing statement.")
    @argument("--agent", action="store_true", help="Agent: run each step, send its output back, continue.")
    @argument("--steps", type=_finite(int, "--steps", minimum=1), help="--agent: most steps (default 8).")
    @argument(
        "--hold-tokens", metavar="K", type=_finite(int, "--hold-tokens"),
        help="Release a statement only after K more tokens did not revise it.",
    )
    @argument(
        "--on-revision", choices=["stop", "rerun"], help="A statement that ran was revised: stop or rerun."
    )
    @argument(
        "--fix-replay",
        metavar="FILE",
        help="With --fix and a replay: what a repair round streams (a .py file or a trace), offline.",
    )
    @line_cell_magic
    def eager(self, line: str, cell: str | None = None) -> Any:
        """Run code while it is being written: each top-level statement runs as soon as it is complete.

        The cell body is the request to the model; with --replay it is the code itself.
        """
        try:
            args = parse_argstring(self.eager, line)
        except ValueError as error:  # shlex: "No closing quotation", "No escaped character"
            raise UsageError(f"%%eager options: {error}") from None
        body = cell or ""
        if args.serial and args.no_exec:
            raise UsageError("--serial and --no-exec exclude each other")
        stepper = None
        if self._agent_wanted(args):
            source, request, stepper = self._agent_source(args, body)
        else:
            source, request = self._source(args, body)
        mode: Mode = "serial" if args.serial else "no-exec" if args.no_exec else "eager"
        gate = self.settings.make_gate(args.gate or self.settings.gate)
        rounds = args.fix if args.fix is not None else self.settings.fix
        repair = self._repair(args, source) if rounds and mode == "eager" and stepper is None else None
        approve = self._approve(args) if mode == "eager" and gate is not None else None
        # last, after every check that can fail: a widget view opens its comm when it is made
        hold = args.hold_tokens if args.hold_tokens is not None else self.settings.hold_tokens
        if hold < 0:
            raise UsageError(f"--hold-tokens (or Eager.hold_tokens) must be >= 0, not {hold}")
        markers = self.settings.revision_markers
        if markers and source.kind != "parts":  # an agent's tool calls: no markers
            try:
                source = MarkedSource(source, markers)
            except ValueError as error:
                raise UsageError(f"Eager.revision_markers: {error}") from None
            if repair is not None:  # every repair round's source decodes them the same way
                repair = _marked(repair, markers)
        view = self._view(args.view or self.settings.view)
        engine = Engine(
            self.shell,
            source,
            mode=mode,
            gate=gate if mode == "eager" else None,
            view=view,
            request=request,
            repair=repair,
            max_repairs=rounds,
            approve=approve,
            price=self._price(source),
            stepper=stepper,
        )
        if stepper is not None:
            stepper.record = lambda: engine.record
        on_revision = cast(OnRevision, args.on_revision or self.settings.on_revision)
        engine.revisions = Revisions(engine, on_revision, hold)
        shell = self.shell
        assert shell is not None
        try:
            engine.run()
        finally:
            if stepper is not None:
                stepper.close()  # an --agent --record trace
            _record.set_last_run(engine.record)
            shell.user_ns["_eager"] = engine.record
            program = engine.record.program or engine.record.code
            if args.insert and program.strip():
                shell.set_next_input(program.rstrip("\n"), replace=False)
        if engine.has_value:
            return engine.take_value()
        return None

    # ---- parts -----------------------------------------------------------------------------------
    def _source(self, args: Any, body: str) -> tuple[Source, str | None]:
        rate = args.rate if args.rate is not None else self.settings.rate
        ttft = args.ttft if args.ttft is not None else self.settings.ttft
        if not (math.isfinite(rate) and rate > 0):
            raise UsageError(f"--rate (or Eager.rate) must be a finite number > 0, not {rate}")
        if not (math.isfinite(ttft) and ttft >= 0):
            raise UsageError(f"--ttft (or Eager.ttft) must be a finite number >= 0, not {ttft}")
        if args.fix_replay:  # read it now: a bad file is one line before anything runs
            fix = self._path(args.fix_replay)
            try:
                TraceSource.from_file(fix) if fix.suffix == ".jsonl" else ReplaySource.from_file(fix, rate)
            except (TraceError, ReplayFileError) as error:
                raise UsageError(f"--fix-replay: {error}") from None
        if args.replay is not None and args.replay_trace:
            raise UsageError("--replay and --replay-trace exclude each other")
        if args.record and (args.replay is not None or args.replay_trace):
            raise UsageError("--record records a model's stream; a replay has nothing new to record")
        if args.replay_trace:
            path = self._path(args.replay_trace)
            try:
                return TraceSource.from_file(path), str(path)
            except TraceError as error:
                raise UsageError(str(error)) from None
        if args.replay is True:
            if not body.strip():
                raise UsageError("--replay with no FILE replays the cell body, and the body is empty")
            return ReplaySource(body, rate, ttft, name="cell"), None
        if args.replay is not None:
            path = self._path(args.replay)
            try:
                return ReplaySource.from_file(path, rate, ttft), str(path)
            except ReplayFileError as error:
                raise UsageError(str(error)) from None
        return self._model_source(args, body)

    def _agent_wanted(self, args: Any) -> bool:
        """``--agent``, ``Eager.agent`` for a model request, or a recorded episode to replay. Options
        an episode cannot honour are one ``UsageError``, whichever of these chose the agent."""
        from .agent.trace import is_episode

        if args.replay_trace and is_episode(self._path(args.replay_trace)):
            args.agent = True
        replay = args.replay is not None or bool(args.replay_trace)
        if args.agent:
            chosen, hint = "--agent", ""
        elif self.settings.agent and not replay and not args.no_exec:
            chosen, hint = "Eager.agent = True", " (%config Eager.agent = False to use it)"
        else:
            return False
        for given, name in ((args.replay is not None, "--replay"), (args.no_exec, "--no-exec"),
                            (args.fix, "--fix"), (args.fix_replay, "--fix-replay"),
                            (args.insert, "--insert")):
            if given:
                raise UsageError(f"{chosen} and {name} cannot be combined (yet){hint}")
        if args.record and args.replay_trace:
            raise UsageError("--record records a model's stream; a replay has nothing new to record")
        return True

    def _agent_source(self, args: Any, body: str) -> tuple[Source, str | None, Any]:
        """The first step of an agent episode, and the episode (the engine's stepper)."""
        from .agent.start import start_episode

        if args.new:
            self.conversation.clear()
        path = self._path(args.replay_trace) if args.replay_trace else None
        return start_episode(self.shell, self.settings, self.conversation, args, body, path)

    def _model_source(self, args: Any, body: str) -> tuple[Source, str | None]:
        if not body.strip():
            raise UsageError("%%eager needs a request in the cell body (or --replay FILE)")
        from .sources.base import SourceError
        from .sources.models import make_model_source

        shell = self.shell
        assert shell is not None
        record = None
        if args.record:
            record = Path(os.path.expanduser(args.record.strip().strip("'\"")))
            if not record.parent.is_dir():
                raise UsageError(f"--record: no such directory: {record.parent}")
        if args.new:
            self.conversation.clear()
        try:
            source = make_model_source(
                args.model or self.settings.model,
                body,
                shell.user_ns,
                hidden=shell.user_ns_hidden,
                conversation=self.conversation,
                providers=self.settings.providers,
                prices=self.settings.prices,
                base_url=args.base_url,
                compatible_base_url=self.settings.base_url,
                max_tokens=args.max_tokens if args.max_tokens is not None else self.settings.max_tokens,
                temperature=args.temperature if args.temperature is not None else self.settings.temperature,
                record=record,
            )
        except SourceError as error:  # a bad spec or config, no key, no SDK, an unknown {name}
            raise UsageError(str(error)) from None
        return source, source.request

    def _repair(self, args: Any, source: Source) -> RepairFn | None:
        """How a repair round gets its continuation (``--fix``)."""
        if args.fix_replay:
            path = self._path(args.fix_replay)
            rate = args.rate if args.rate is not None else self.settings.rate

            def replay_fix(context: RepairContext) -> Source:
                if path.suffix == ".jsonl":
                    return TraceSource.from_file(path)
                return ReplaySource.from_file(path, rate)

            return replay_fix
        if isinstance(source, ReplaySource | TraceSource):
            raise UsageError("--fix with a replay needs --fix-replay FILE: what the repair round streams")
        from .sources.remote import RemoteSource

        if isinstance(source, RemoteSource):
            shell = self.shell
            assert shell is not None
            first = source

            def model_fix(context: RepairContext) -> Source:
                # always from the first round's source: context.code_ran is all that ran so far
                return first.continuation(
                    context.code_ran,
                    context.failed_code,
                    context.traceback,
                    namespace=shell.user_ns,
                    hidden=shell.user_ns_hidden,
                )

            return model_fix
        return None

    def _approve(self, args: Any) -> approval.ApproveFn | None:
        """``Eager.approve`` (or ``--approve``), read once, before anything runs: generated code that
        changes the setting cannot change this run. ``ask`` reads its answer as ``input()`` in a cell
        does: the kernel's input request (bound now, not looked up when asking), or the terminal's."""
        policy = str(args.approve or self.settings.approve)
        setting = f"--approve {policy}" if args.approve else f"Eager.approve = {policy!r}"
        ask: approval.AskFn | None = None
        if policy == "ask":
            kernel = getattr(self.shell, "kernel", None)
            ask = kernel.raw_input if kernel is not None else builtins.input
        return approval.approver(policy, ask, setting=setting)

    def _price(self, source: Source) -> Callable[[Mapping[str, int]], float | None] | None:
        """What a run's tokens cost, where the model's price is known (``sources.providers``)."""
        spec = getattr(source, "spec", None)  # "ollama:qwen3-coder"; a replay has none
        if not spec:
            return None
        settings = self.settings
        return lambda usage: cost_usd(spec, usage, settings.prices, settings.providers)

    def _path(self, name: str) -> Path:
        try:
            path = Path(os.path.expanduser(name.strip().strip("'\"")))
            found = path.is_file()
        except (ValueError, OSError) as error:  # a NUL byte, a name too long
            raise UsageError(f"not a usable file name: {name!r} ({error})") from None
        if not found:
            raise UsageError(f"no such file: {path}")
        return path

    def _view(self, choice: str) -> View:
        """The live widget where the frontend that sent this cell has our labextension (``views.probe``),
        else plain outputs. A kernel's frontend applies display updates; a terminal would print each
        one again, so there the plain view shows only its summary."""
        live = getattr(self.shell, "kernel", None) is not None
        if live and (choice == "widget" or (choice == "auto" and probe.widget_frontend(self.shell))):
            from .views.widget import WidgetView

            return WidgetView(self.shell)
        return PlainView(live=live)


def _empty_body_gets_a_newline(lines: list[str]) -> list[str]:
    """IPython rejects a cell magic with an empty body; ``%%eager --replay FILE`` alone is valid."""
    if lines and lines[0].startswith("%%eager") and not "".join(lines[1:]).strip():
        first = lines[0] if lines[0].endswith("\n") else lines[0] + "\n"
        return [first, "\n"]
    return lines


def load(shell: Any) -> None:
    existing = [c for c in shell.configurables if isinstance(c, Eager)]
    settings = existing[0] if existing else Eager(parent=shell)
    if not existing:
        shell.configurables.append(settings)
    shell.register_magics(EagerMagics(shell, settings))
    cleanup = shell.input_transformers_cleanup
    if _empty_body_gets_a_newline not in cleanup:
        cleanup.append(_empty_body_gets_a_newline)


def unload(shell: Any) -> None:
    cleanup = shell.input_transformers_cleanup
    if _empty_body_gets_a_newline in cleanup:
        cleanup.remove(_empty_body_gets_a_newline)
