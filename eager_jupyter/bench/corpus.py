"""The task corpus: single-file Python data-analysis programs, as a model would write them.

Each file in ``tasks/`` opens with a header the benchmark reads::

    # Task: <name> (<style>) - <what it does>.
    # expect: ok            (or the exception it raises part-way: "KeyError", "ValueError", ...)

The programs make their own data with a seeded generator, so runs are reproducible and need no
download. Costs vary on purpose: most tasks take well under a second to run (generation dominates
at every rate), a handful run for several seconds (execution dominates at 100-200 tokens/s), and four
fail part-way (early interruption). ``report_export`` calls ``os`` (the gate holds it and what follows);
``timed_methods`` uses ``time.perf_counter``, which the gate's allow list lets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..sources.replay import split_tokens

__all__ = ["QUICK_TASKS", "TASK_DIR", "Task", "load_tasks"]

TASK_DIR = Path(__file__).with_name("tasks")

#: the ``--quick`` set: one light task, one heavy one, one that fails part-way
QUICK_TASKS = ("sales_summary", "kmeans_clusters", "err_plot_nameerror")

_HEADER = re.compile(r"^# Task: (?P<name>\w+) \((?P<style>[^)]*)\) - (?P<title>.*)$", re.M)
_EXPECT = re.compile(r"^# expect: (?P<expect>\w+)", re.M)


@dataclass(frozen=True)
class Task:
    name: str
    path: Path
    style: str
    title: str
    expect: str  # "ok" or the name of the exception the program raises

    @property
    def fails(self) -> bool:
        return self.expect != "ok"

    @cached_property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def tokens(self) -> int:
        """Tokens as the replay source cuts them (what ``--rate`` counts)."""
        return len(split_tokens(self.text))

    @classmethod
    def from_file(cls, path: Path) -> Task:
        head = path.read_text(encoding="utf-8")[:1000]
        header, expect = _HEADER.search(head), _EXPECT.search(head)
        if header is None or expect is None or header["name"] != path.stem:
            raise ValueError(f"{path}: the header must name the task ({path.stem}) and what to expect")
        return cls(path.stem, path, header["style"], header["title"].rstrip("."), expect["expect"])


def load_tasks(names: list[str] | None = None, directory: Path = TASK_DIR) -> list[Task]:
    """All tasks (sorted by name), or the named ones in the order given."""
    available = {p.stem: p for p in sorted(directory.glob("*.py"))}
    if names is None:
        return [Task.from_file(p) for p in available.values()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown task(s): {', '.join(unknown)}; known: {', '.join(available)}")
    return [Task.from_file(available[n]) for n in names]
