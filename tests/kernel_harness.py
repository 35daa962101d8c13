"""A real Jupyter kernel for tests: start, execute with every iopub message collected, interrupt.

Used by the tests of ``%%eager`` and by anything that must see what a frontend sees.
"""

from __future__ import annotations

import json
import queue
import textwrap
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager


@dataclass
class Execution:
    reply: dict[str, Any]
    outputs: list[dict[str, Any]] = field(default_factory=list)  # iopub messages, in order
    elapsed: float = 0.0

    @property
    def status(self) -> str:
        return str(self.reply["content"]["status"])

    @property
    def ename(self) -> str | None:
        return self.reply["content"].get("ename")

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.outputs if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout"
        )

    @property
    def images(self) -> list[dict[str, Any]]:
        shown = self.of_type("display_data", "update_display_data")
        return [m for m in shown if "image/png" in m["content"]["data"]]

    def texts(self, mime: str = "text/plain") -> list[str]:
        return [
            m["content"]["data"][mime]
            for m in self.of_type("display_data", "execute_result", "update_display_data")
            if mime in m["content"]["data"]
        ]


class Kernel:
    def __init__(self, **env: str) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env={**__import__("os").environ, **env})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(
        self,
        code: str,
        timeout: float = 60,
        interrupt_after: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Execution:
        msg_id = self.send(code, metadata) if metadata is not None else self.client.execute(code)
        start = time.monotonic()
        timer = None
        if interrupt_after is not None:
            timer = threading.Timer(interrupt_after, self.manager.interrupt_kernel)
            timer.start()
        outputs: list[dict[str, Any]] = []
        try:
            while True:
                remaining = timeout - (time.monotonic() - start)
                if remaining <= 0:
                    raise TimeoutError(f"no idle status within {timeout} s")
                try:
                    msg = self.client.get_iopub_msg(timeout=remaining)
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status":
                    if msg["content"]["execution_state"] == "idle":
                        break
                    continue
                if msg["msg_type"] == "execute_input":
                    continue
                outputs.append(msg)
            reply = self.client.get_shell_msg(timeout=30)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = self.client.get_shell_msg(timeout=30)
        finally:
            if timer is not None:
                timer.cancel()
        return Execution(reply, outputs, time.monotonic() - start)

    def send(self, code: str, metadata: dict[str, Any] | None = None) -> str:
        """Queue an execute request with ``metadata`` (what a frontend adds to its requests); its id."""
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata=metadata or {})
        self.client.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    def value(self, expression: str) -> Any:
        """Evaluate an expression in the kernel and return it (through its JSON repr)."""
        import json

        result = self.execute(f"import json as _json; print(_json.dumps({expression}))")
        assert result.status == "ok", result.reply["content"]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def error_line(r: Execution) -> str:
    """The one line a failed cell shows (its ``error`` message's traceback, joined)."""
    errors = r.of_type("error")
    assert len(errors) == 1, errors
    lines = errors[0]["content"]["traceback"]
    assert len(lines) == 1, lines
    return str(lines[0])


def assert_usable(kernel: Kernel) -> None:
    """The kernel still runs a cell and shows its value."""
    r = kernel.execute("40 + 2")
    assert r.status == "ok" and r.texts() == ["42"]


def loaded_kernel(*setup: str, **env: str) -> Kernel:
    """A kernel with ``%load_ext eager_jupyter`` and each of ``setup`` run (each must succeed)."""
    kernel = Kernel(**env)
    for code in ("%load_ext eager_jupyter", *setup):
        r = kernel.execute(code)
        assert r.status == "ok", r.reply["content"]
    return kernel


class Transcript:
    """Every output and reply of the cells a test module runs, to show that a secret reached none."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def run(self, kernel: Kernel, cell: str, timeout: float = 60, **kw: Any) -> Execution:
        r = kernel.execute(textwrap.dedent(cell).lstrip("\n"), timeout=timeout, **kw)
        self.items.extend(r.outputs)
        self.items.append(r.reply["content"])
        return r

    def assert_without(self, secret: str) -> None:
        assert secret not in json.dumps(self.items, default=str)
