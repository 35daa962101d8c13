"""``eager-jupyter demo``: run the demo notebooks headless, offline, and show what happens as it happens.

Each notebook of ``demo_notebooks/`` runs top to bottom in a fresh kernel through nbclient, with the
notebook's folder as the working directory and ``ANTHROPIC_API_KEY`` removed from the kernel's
environment (``--live`` keeps it), so every request replays the trace shipped beside the notebook.

While a cell runs, its iopub messages are printed as they arrive (``printer.RunPrinter``: each
statement when it starts, with the time since the cell started, its outputs, held statements,
failures); on a terminal a status line under them shows the notebook, the cell and the run's state.
After each ``%%eager`` cell the run record ``_eager`` is read through ``user_expressions`` (nothing is
run in the notebook's cells, nothing is added to its outputs) and summed up in one line.

At the end: a summary (per notebook; eager against ``--serial`` where a notebook runs both; every eager
run against running its statements after generation), the executed notebooks and their HTML export in
``demo_output/``, and how to open the notebooks live. Exit status 1 if a notebook failed: a cell raised
without the ``raises-exception`` tag, or the kernel died.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

from .printer import RunPrinter, Screen, summarise
from .replay import RECORD_EXPRESSION, kernel_env, parse_record_reply

__all__ = ["NotebookResult", "find_notebooks", "main", "run_notebook"]

_REPO_NOTEBOOKS = Path(__file__).resolve().parents[2] / "demo_notebooks"


@dataclass
class NotebookResult:
    path: Path
    title: str
    ok: bool = True
    error: str | None = None
    seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def find_notebooks(folder: Path | None) -> Path | None:
    """``folder``, else ``./demo_notebooks``, else the one beside this package (a source checkout)."""
    for candidate in (folder, Path("demo_notebooks"), _REPO_NOTEBOOKS):
        if candidate is not None and candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate.resolve()
    return None


def _title(nb: Any, path: Path) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return str(line[2:]).replace("`", "")
    return path.stem


class _Watcher:
    """nbclient hooks and a message tap: prints each cell as it runs, reads ``_eager`` after a run."""

    def __init__(self, client: NotebookClient, screen: Screen, result: NotebookResult, cells: int) -> None:
        self.client = client
        self.screen = screen
        self.result = result
        self.cells = cells
        self.printer = RunPrinter(screen, max_lines=6, indent="    ")
        self.number = 0

    def on_cell_execute(self, cell: Any, cell_index: int) -> None:
        self.number += 1
        lines = cell.source.strip().splitlines() or [""]
        s = self.screen
        if lines[0].startswith("%%eager"):
            # the body is the request to the model, unless the cell replays its own body as code
            own_code = re.search(r"--replay(?!-)(?!\s+[^-\s])", lines[0]) is not None
            request = "" if own_code else " ".join(line.strip() for line in lines[1:])
            s.line(f"  {s.style('In', '1')} {s.style(lines[0], '1')}")
            if request:
                s.line(f"     {s.dim(request[:110] + ('…' if len(request) > 110 else ''))}")
        else:
            more = f"  (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
            s.line(f"  {s.dim('In ' + lines[0][:90] + more)}")
        self.printer = RunPrinter(s, max_lines=6, indent="    ")
        self.printer.start(f"{self.result.path.stem} · cell {cell_index + 1}/{self.cells}")

    async def on_cell_executed(self, cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        self.screen.status(f"{self.result.path.stem} · cell {cell_index + 1}/{self.cells} · reading _eager")
        if cell.source.lstrip().startswith("%%eager"):
            record = await self._fetch_record()
            if record is not None:
                record["notebook"] = self.result.path.name
                self.result.records.append(record)
                self.screen.line(f"    {run_line(record, self.screen)}")
        if execute_reply["content"]["status"] != "ok" and "raises-exception" in cell.metadata.get("tags", []):
            self.screen.line(
                f"    {self.screen.dim('(this cell is expected to fail: tagged raises-exception)')}"
            )
        self.screen.status(f"{self.result.path.stem} · cell {cell_index + 1}/{self.cells}")

    async def _fetch_record(self) -> dict[str, Any] | None:
        kc: Any = self.client.kc  # an AsyncKernelClient: its get_shell_msg is a coroutine
        assert kc is not None
        msg_id = kc.execute("", silent=True, store_history=False, user_expressions={"r": RECORD_EXPRESSION})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = await kc.get_shell_msg(timeout=deadline - time.monotonic())
            if reply["parent_header"].get("msg_id") == msg_id:
                return parse_record_reply(reply["content"])
        return None


class _WatchingClient(NotebookClient):
    """A NotebookClient that shows every iopub message of a cell to a ``_Watcher`` as it arrives."""

    watcher: _Watcher | None = None

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if self.watcher is not None and msg["msg_type"] not in ("status", "execute_input"):
            self.watcher.printer.message(msg)
        return super().process_message(msg, cell, cell_index)


def run_line(record: dict[str, Any], screen: Screen) -> str:
    """One line per run: statuses, generation, end-to-end, time saved."""
    counts: dict[str, int] = {}
    for s in record.get("statements", []):
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    figures = summarise(record)
    parts = [", ".join(f"{n} {k}" for k, n in counts.items()) or "no statements", record.get("mode", "eager")]
    if figures["generation"] is not None:
        parts.append(f"written in {figures['generation']:.2f} s")
    if figures["end_to_end"] is not None:
        parts.append(f"end-to-end {figures['end_to_end']:.2f} s")
    if record.get("mode") == "eager" and figures["saved"] is not None:
        parts.append(f"{figures['saved']:.2f} s saved vs running after generation")
    mark = {"ok": screen.style("■", "32"), "error": screen.style("■", "31")}.get(
        record.get("status", ""), "■"
    )
    return f"{mark} run {' · '.join(parts)}"


def run_notebook(
    path: Path, output: Path, screen: Screen, *, live: bool = False, html: bool = True, timeout: int = 300
) -> NotebookResult:
    """Execute one notebook in a fresh kernel, printing as it goes; write it (and its HTML) to ``output``."""
    nb = _read(path)
    result = NotebookResult(path, _title(nb, path))
    client = _WatchingClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    watcher = _Watcher(client, screen, result, len(nb.cells))
    client.watcher = watcher
    client.on_cell_execute = watcher.on_cell_execute
    client.on_cell_executed = watcher.on_cell_executed
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as kernel_log:
        try:
            # the kernel's own stderr (start-up warnings) goes to a log, shown only if the kernel dies
            client.execute(env=kernel_env(live), stderr=kernel_log)
        except CellExecutionError as error:
            result.ok, result.error = False, _short(str(error))
        except DeadKernelError as error:
            kernel_log.seek(0)
            result.ok, result.error = False, f"the kernel died: {error}\n{kernel_log.read()[-2000:]}"
        except Exception as error:  # a broken notebook must not stop the others
            result.ok, result.error = False, f"{type(error).__name__}: {error}"
    result.seconds = time.perf_counter() - started
    screen.status(None)
    output.mkdir(parents=True, exist_ok=True)
    target = output / path.name
    _write(nb, target)
    result.outputs.append(target)
    if html:
        screen.status(f"{path.stem} · exporting HTML")
        body = _html(nb)
        page = target.with_suffix(".html")
        page.write_text(body, encoding="utf-8")
        result.outputs.append(page)
        screen.status(None)
    return result


def _short(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-8:])


def print_summary(results: list[NotebookResult], screen: Screen, wall: float) -> None:
    s = screen
    s.line()
    s.line(s.style("Summary", "1"))
    for r in results:
        state = s.style("ok", "32") if r.ok else s.style("FAILED", "31")
        n_eager = sum(1 for rec in r.records if rec.get("mode") == "eager")
        s.line(f"  {r.path.name:<28} {state:<2}  {r.seconds:5.1f} s  {len(r.records)} runs ({n_eager} eager)")
        if r.error:
            for line in r.error.splitlines():
                s.line(f"      {line}")
    for r in results:
        for eager, serial in _pairs(r.records):
            e, se = eager["end_to_end"], serial["end_to_end"]
            saved = se - e
            s.line(
                f"  eager vs serial, {r.path.stem} ({eager['source']}): eager {e:.2f} s, serial {se:.2f} s: "
                f"{s.style(f'{saved:.2f} s saved ({saved / se:.0%})', '1')}"
            )
    runs = [rec for r in results for rec in r.records if rec.get("mode") == "eager"]
    figures = [summarise(rec) for rec in runs]
    figures = [f for f in figures if f["saved"] is not None and f["end_to_end"] is not None]
    if figures:
        total = sum(f["end_to_end"] or 0.0 for f in figures)
        saved = sum(f["saved"] or 0.0 for f in figures)
        s.line(
            f"  all {len(figures)} eager runs: {total:.2f} s end-to-end; running each program after it was "
            f"written would have taken {total + saved:.2f} s: {s.style(f'{saved:.2f} s saved', '1')} "
            f"({saved / (total + saved):.0%})"
        )
    s.line(f"  wall time {wall:.1f} s")


def _pairs(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(eager, serial) runs of the same source, a serial run right after its eager run."""
    pairs = []
    for before, after in itertools.pairwise(records):
        if (
            before.get("mode") == "eager"
            and after.get("mode") == "serial"
            and before.get("source") == after.get("source")
            and before.get("end_to_end") is not None
            and after.get("end_to_end")
        ):
            pairs.append((before, after))
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eager-jupyter demo",
        description="Run the demo notebooks headless and offline, showing what happens as it happens.",
    )
    parser.add_argument("names", nargs="*", help="only the notebooks whose name contains one of these")
    parser.add_argument("--notebooks", type=Path, help="folder of the demo notebooks (demo_notebooks/)")
    parser.add_argument(
        "--output", type=Path, default=Path("demo_output"), help="where to write (demo_output/)"
    )
    parser.add_argument("--no-html", action="store_true", help="skip the HTML export")
    parser.add_argument(
        "--live", action="store_true", help="let the kernels see ANTHROPIC_API_KEY (asks Claude)"
    )
    parser.add_argument("--timeout", type=int, default=300, help="seconds a cell may run (300)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    folder = find_notebooks(args.notebooks)
    if folder is None:
        print("eager-jupyter demo: no demo_notebooks/ folder here (use --notebooks DIR)", file=sys.stderr)
        return 2
    paths = sorted(
        p for p in folder.glob("*.ipynb") if not args.names or any(n in p.name for n in args.names)
    )
    if not paths:
        print(f"eager-jupyter demo: no notebook in {folder} matches {args.names}", file=sys.stderr)
        return 2
    if sys.platform == "win32":  # pyzmq's asyncio needs the selector loop there
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())  # type: ignore[attr-defined]
    screen = Screen()
    offline = "live: requests go to Claude" if args.live else "offline: every request replays a trace"
    screen.line(screen.style(f"eager-jupyter demo · {len(paths)} notebooks · {offline}", "1"))
    started = time.perf_counter()
    results: list[NotebookResult] = []
    try:
        for number, path in enumerate(paths, start=1):
            screen.line()
            title = _peek_title(path)
            screen.line(screen.style(f"[{number}/{len(paths)}] {path.name}: {title}", "1;34"))
            result = run_notebook(
                path, args.output, screen, live=args.live, html=not args.no_html, timeout=args.timeout
            )
            results.append(result)
            state = "done" if result.ok else screen.style("FAILED", "31")
            screen.line(f"  {state} in {result.seconds:.1f} s")
    except KeyboardInterrupt:
        screen.close()
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        screen.close()
    print_summary(results, screen, time.perf_counter() - started)
    (args.output / "runs.json").write_text(
        json.dumps([rec for r in results for rec in r.records], indent=1), encoding="utf-8"
    )
    screen.line()
    screen.line(
        f"Executed notebooks and HTML in {args.output}/ (every run record in {args.output}/runs.json)"
    )
    screen.line(f"Open them live: jupyter lab {_display_path(folder)}/")
    return 0 if all(r.ok for r in results) else 1


def _peek_title(path: Path) -> str:
    return _title(_read(path), path)


# nbformat and nbconvert have no type hints
def _read(path: Path) -> Any:
    import nbformat

    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def _write(nb: Any, path: Path) -> None:
    import nbformat

    nbformat.write(nb, path)  # type: ignore[no-untyped-call]


def _html(nb: Any) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)  # type: ignore[no-untyped-call]
    return str(body)


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
