"""Measure what the live widget sends on a real kernel's iopub: a script that prints figures, and a test.

    .venv/bin/python tests/test_widget_bytes.py [--rate 60] [--json FILE] [TASK.py ...]

Runs each program (default: three of the benchmark tasks) through the engine with the widget view in
a fresh kernel, and listens on the kernel's iopub socket with a raw ZeroMQ subscriber, so the bytes
are the frames on the wire. For the widget's comm it reports, per program:

- ``content``: the comm_msg content frames (comm id + the delta), outputs excluded;
- ``wire``: every frame of those messages (identities, signature, header, parent header, metadata,
  content): what the socket carried, with ~550 bytes of Jupyter envelope per message; and that per
  KB of program (``wire/KB``), the figure to watch;
- ``outputs``: the output ops (what the statements printed and displayed);
- the number of messages and their rate, and the comm_open (the widget's initial state);
- ``sent``: the messages the view itself counted.

As a test (marker ``kernel``) it runs two programs at 60 tokens/s, checks that the wire carries every
message the view sent, and prints the figures (written to ``test-artifacts/widget-bytes.json``); the
bytes are measured, not asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import zmq
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TASKS = ["sales_summary.py", "word_frequency.py", "kmeans_clusters.py"]

CELL = """
from eager_jupyter.engine import Engine
from eager_jupyter.gate import Gate
from eager_jupyter.sources import ReplaySource
from eager_jupyter.views.widget import WidgetView
view = WidgetView()
try:
    Engine(get_ipython(), ReplaySource({program!r}, rate={rate}), view=view, gate=Gate()).run()
except Exception as error:
    print("run ended:", type(error).__name__)
print("SENT", view.messages)
"""


@dataclass
class Figures:
    program: str
    program_bytes: int
    messages: int
    content_bytes: int  # outputs excluded
    wire_bytes: int  # outputs excluded, every frame
    output_bytes: int
    open_bytes: int
    seconds: float
    sent: int = 0  # the messages the view counted
    carried: int = 0  # the widget's comm messages on the wire (outputs-only ones included)

    @property
    def content_ratio(self) -> float:
        return self.content_bytes / self.program_bytes

    @property
    def wire_ratio(self) -> float:
        return self.wire_bytes / self.program_bytes

    @property
    def wire_per_kb(self) -> float:
        return self.wire_bytes / (self.program_bytes / 1024)


def _split(body: dict[str, Any], size: int) -> tuple[int, int]:
    """(live view, outputs) bytes of one comm message of ``size`` bytes: a message that carries
    outputs would go for them anyway, so its envelope is theirs."""
    data = body.get("data", {})
    delta = data.get("content", {}) if data.get("method") == "custom" else {}
    if "x" not in delta:
        return size, 0
    if not any(key in delta for key in ("c", "p", "n", "s")):
        return 0, size
    envelope = size - len(json.dumps(delta, ensure_ascii=False).encode())
    outputs = len(json.dumps(delta["x"], ensure_ascii=False).encode()) + len('"x": , ') + envelope
    return size - outputs, outputs


def measure(program: str, name: str, rate: float = 60.0, timeout: float = 300.0) -> Figures:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    frames: list[tuple[float, list[bytes]]] = []
    stop = threading.Event()
    try:
        client.wait_for_ready(timeout=60)
        info = manager.get_connection_info()
        context = zmq.Context.instance()
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")

        def listen() -> None:
            poller = zmq.Poller()
            poller.register(sub, zmq.POLLIN)
            while not stop.is_set():
                if poller.poll(50):
                    frames.append((time.monotonic(), sub.recv_multipart()))

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)  # the subscription must be in place before the run
        started = time.monotonic()
        printed: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])

        reply = client.execute_interactive(
            CELL.format(program=program, rate=rate), timeout=timeout, output_hook=hook
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        time.sleep(0.5)
        stop.set()
        listener.join()
        sub.close()
        elapsed = time.monotonic() - started
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    comm_id = None
    sent_line = next(line for line in "".join(printed).splitlines() if line.startswith("SENT "))
    figures = Figures(name, len(program.encode()), 0, 0, 0, 0, 0, elapsed, int(sent_line.split()[1]))
    every = 0
    for _, parts in frames:
        delimiter = parts.index(b"<IDS|MSG>")
        header, content = json.loads(parts[delimiter + 2]), parts[delimiter + 5]
        kind = header["msg_type"]
        body = json.loads(content)
        if kind == "comm_open" and body.get("data", {}).get("state", {}).get("_model_name") == "EagerModel":
            comm_id = body["comm_id"]
            figures.open_bytes = len(content)
        if kind != "comm_msg" or body.get("comm_id") != comm_id:
            continue
        every += 1
        live, outputs = _split(body, len(content))
        figures.output_bytes += outputs
        if live == 0:
            continue
        figures.messages += 1
        figures.content_bytes += live
        figures.wire_bytes += sum(len(p) for p in parts) - outputs
    figures.carried = every
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="program files (default: three benchmark tasks)")
    parser.add_argument("--rate", type=float, default=60.0, help="tokens per second")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    tasks = ROOT / "eager_jupyter" / "bench" / "tasks"
    paths = [Path(t) for t in args.tasks] or [tasks / t for t in DEFAULT_TASKS]
    results = [measure(path.read_text(), path.stem, args.rate) for path in paths]
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


def report(results: list[Figures]) -> str:
    lines = [
        f"{'program':22} {'bytes':>6} {'msgs':>5} {'msg/s':>6} {'content':>8} {'ratio':>6} "
        f"{'sent':>5} {'wire':>7} {'ratio':>6} {'wire/KB':>8} {'outputs':>8} {'open':>5}"
    ]
    for f in results:
        lines.append(
            f"{f.program:22} {f.program_bytes:6d} {f.messages:5d} {f.messages / f.seconds:6.2f} "
            f"{f.content_bytes:8d} {f.content_ratio:6.2f} {f.sent:5d} "
            f"{f.wire_bytes:7d} {f.wire_ratio:6.2f} {f.wire_per_kb:8.0f} "
            f"{f.output_bytes:8d} {f.open_bytes:5d}"
        )
    return "\n".join(lines)


@pytest.mark.kernel
@pytest.mark.timeout(600)
def test_the_wire_carries_every_message_the_live_view_sends() -> None:
    tasks = ROOT / "eager_jupyter" / "bench" / "tasks"
    results = [measure((tasks / name).read_text(), Path(name).stem) for name in DEFAULT_TASKS[:2]]
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "widget-bytes.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(report(results))
    for figures in results:
        assert figures.messages >= 5, "the live view should have been updated as the code streamed"
        assert figures.carried == figures.sent, report(results)


if __name__ == "__main__":
    sys.exit(main())
