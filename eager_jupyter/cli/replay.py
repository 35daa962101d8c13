"""``eager-jupyter replay FILE``: the engine in a terminal (what it prints is ``printer``'s, as for ``demo``).

The command starts a fresh kernel (``jupyter_client``), runs ``%%eager --replay FILE`` in it (or
``--replay-trace FILE`` for a ``.jsonl`` trace) with the plain view, and prints what a frontend
receives, as it arrives: each statement when it starts (its code), its stdout and stderr, the text of
what it displays (a note for images), held statements, failures. When the run is over it asks the
kernel for the run record (``_eager``, through ``user_expressions``: nothing is printed in the kernel)
and prints every statement's times (written, released, started, finished) and the run's summary.

Why read iopub instead of observing the engine's events: it is what every frontend sees, so the
terminal shows exactly what the saved notebook will hold, and it needs nothing in the kernel but the
magic. What is read is the metadata the plain view puts on each of its outputs (``views.plain``:
``{"eager_jupyter": {"part": "header" | "statement" | "prose", ...}}``), never the text meant for
people: a statement's block is shown when it starts and updated when it ends slow or failed; the header
carries the live state and the held statements. The release of a statement is not visible there until
it starts; the table at the end has its time.

Ctrl-C interrupts the kernel (the run ends with what already ran kept, as in a notebook), prints the
record and exits with 130; a second Ctrl-C leaves at once.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .._numbers import number
from .printer import RunPrinter, Screen, record_lines

__all__ = ["RECORD_EXPRESSION", "drain", "fetch_record", "kernel_env", "main", "parse_record_reply"]

#: evaluated in the kernel (``user_expressions``) after a run: the record as JSON, or None
RECORD_EXPRESSION = "__import__('json').dumps(_eager.to_dict()) if '_eager' in globals() else None"

def kernel_env(live: bool = False) -> dict[str, str]:
    """The environment for a demo or replay kernel: offline unless ``live``, inline figures."""
    env = dict(os.environ)
    if not live:
        env.pop("ANTHROPIC_API_KEY", None)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _magic_line(args: argparse.Namespace) -> str:
    path = str(args.file)
    # IPython expands $name and {expr} in a magic's line; a path must reach the magic as it is
    quoted = json.dumps(path).replace("$", "$$").replace("{", "{{").replace("}", "}}")
    if Path(path).suffix == ".jsonl":
        parts = [f"%%eager --replay-trace {quoted}"]
    else:
        parts = [f"%%eager --replay {quoted} --rate {args.rate:g} --ttft {args.ttft:g}"]
    if args.serial:
        parts.append("--serial")
    if args.no_exec:
        parts.append("--no-exec")
    parts.append(f"--gate {args.gate} --view plain")
    return " ".join(parts)


_rate = number(float, "the rate", above=True, error=argparse.ArgumentTypeError)
_ttft = number(float, "the time to first token", error=argparse.ArgumentTypeError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eager-jupyter replay",
        description="Stream FILE into a fresh kernel as a model would write it; show code and outputs live.",
    )
    parser.add_argument("file", type=Path, help="a .py file, a .md reply, or a .jsonl trace (its own timing)")
    parser.add_argument("--rate", type=_rate, default=60.0, help="tokens per second (60)")
    parser.add_argument("--ttft", type=_ttft, default=0.0, help="seconds before the first token (0)")
    parser.add_argument("--serial", action="store_true", help="baseline: run it all once it is written")
    parser.add_argument("--no-exec", action="store_true", help="stream and show, run nothing")
    parser.add_argument("--gate", choices=["paper", "off"], default="paper", help="hold risky statements")
    parser.add_argument(
        "--live", action="store_true", help="keep ANTHROPIC_API_KEY in the kernel's environment"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.file.is_file():
        print(f"eager-jupyter replay: no such file: {args.file}", file=sys.stderr)
        return 2
    args.file = args.file.resolve()
    if args.serial and args.no_exec:
        print("eager-jupyter replay: --serial and --no-exec exclude each other", file=sys.stderr)
        return 2
    from jupyter_client.manager import KernelManager

    screen = Screen()
    mode = "serial" if args.serial else "no-exec" if args.no_exec else "eager"
    speed = "its recorded timing" if args.file.suffix == ".jsonl" else f"{args.rate:g} tokens/s"
    screen.line(f"replaying {args.file.name} at {speed} · {mode} · gate {args.gate}")
    screen.status("starting a kernel")
    manager = KernelManager(kernel_name="python3")
    # the kernel's own stderr (start-up warnings) goes to a log, shown only if the kernel dies
    with tempfile.TemporaryFile("w+") as log:
        manager.start_kernel(env=kernel_env(args.live), stderr=log)
        client = manager.client()
        try:
            return _replay(args, screen, manager, client)
        except KernelDied:
            log.seek(0)
            screen.close()
            print(f"eager-jupyter replay: the kernel died\n{log.read()[-2000:]}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # a second Ctrl-C: leave at once
            return 130
        finally:
            screen.close()
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def _replay(args: argparse.Namespace, screen: Screen, manager: Any, client: Any) -> int:
    started = time.perf_counter()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    alive = manager.is_alive
    setup = drain(client, client.execute("%load_ext eager_jupyter"), lambda msg: None, alive)
    if setup["status"] != "ok":
        screen.close()
        print(f"eager-jupyter replay: cannot load the extension: {setup.get('evalue')}", file=sys.stderr)
        return 1
    screen.line(screen.dim(f"kernel ready in {time.perf_counter() - started:.1f} s"))
    printer = RunPrinter(screen, max_lines=20)
    printer.start()
    interrupted = False
    msg_id = client.execute(_magic_line(args))
    try:
        reply = drain(client, msg_id, printer.message, alive)
    except KeyboardInterrupt:
        interrupted = True
        screen.line(screen.dim("interrupting the kernel…"))
        manager.interrupt_kernel()
        reply = drain(client, msg_id, printer.message, alive)
    screen.status(None)
    record = fetch_record(client)
    if record is not None:
        screen.line()
        for line in record_lines(record):
            screen.line(screen.dim(line))
    screen.line()
    if printer.final:
        screen.line(printer.final)
    if reply.get("status") != "ok" and not printer.errors:
        screen.line(f"{reply.get('ename')}: {reply.get('evalue')}")
    return 130 if interrupted else 0 if reply.get("status") == "ok" else 1


class KernelDied(RuntimeError):
    """The kernel process ended while we waited for its messages."""


def drain(
    client: Any,
    msg_id: str,
    on_message: Callable[[dict[str, Any]], None],
    alive: Callable[[], bool] = lambda: True,
) -> dict[str, Any]:
    """Pass execution ``msg_id``'s iopub messages to ``on_message`` until the kernel is idle; its reply."""
    while True:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            if not alive():
                raise KernelDied("the kernel died") from None
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        if msg["msg_type"] != "execute_input":
            on_message(msg)
    while True:
        reply = client.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return dict(reply["content"])


def fetch_record(client: Any, timeout: float = 30) -> dict[str, Any] | None:
    """``_eager.to_dict()`` from a blocking client, without printing anything in the kernel."""
    msg_id = client.execute("", silent=True, store_history=False, user_expressions={"r": RECORD_EXPRESSION})
    while True:
        reply = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return parse_record_reply(reply["content"])


def parse_record_reply(content: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record out of an execute reply to :data:`RECORD_EXPRESSION` (None if there is none)."""
    result = (content.get("user_expressions") or {}).get("r") or {}
    if result.get("status") != "ok":
        return None
    text = ast.literal_eval(result["data"]["text/plain"])
    return json.loads(text) if isinstance(text, str) else None
