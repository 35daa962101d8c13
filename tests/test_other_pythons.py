"""Run the pure stages' tests under CPython 3.12 and 3.13 as well: their grammars differ (PEP 695 and
PEP 701 f-strings from 3.12), and the chunker follows the running interpreter like `compile` does; the
fence filter, the gate (``ast``), the scheduler, the latency formulas, the replay source and trace
format, the tool-input decoder, the secret scanner and the model providers' table are plain Python
too, and run there unchanged.

The interpreters are the small venvs `make alt-pythons` creates in `.venv/py3.12` and `.venv/py3.13`
(from pyenv, with parso, pytest and pytest-timeout; the repo is not installed there, so it goes on
PYTHONPATH). A missing venv skips with the command that creates it. The default run takes those tests
without the chunker's whole-stdlib oracle; `-m slow` adds it (the other interpreter's own stdlib).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_TESTS = [
    *sorted(p.name for p in Path(__file__).parent.glob("test_chunker*.py")),
    "test_fences.py",
    "test_revisions_sources.py",
    "test_gate.py",
    "test_scheduler.py",
    "test_latency.py",
    "test_replay_and_trace.py",
    "test_tool_input.py",
    "test_secrets.py",
    "test_providers.py",
    "test_agent_reply.py",
    "test_brief_traceback.py",
]
VERSIONS = ["3.12", "3.13"]


def _run(version: str, marker: str) -> None:
    python = ROOT / ".venv" / f"py{version}" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no Python {version} venv at {python.parent.parent}: run `make alt-pythons` "
                    f"(it needs pyenv's CPython {version})")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", marker,
               *(f"tests/{name}" for name in PURE_TESTS)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1500)
    version_line = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                                  capture_output=True, text=True).stdout.strip()
    assert version_line == str(tuple(int(x) for x in version.split("."))), version_line
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@pytest.mark.parametrize("version", VERSIONS)
def test_pure_stages_on_other_python(version: str) -> None:
    _run(version, "not slow")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("version", VERSIONS)
def test_chunker_whole_stdlib_on_other_python(version: str) -> None:
    _run(version, "slow")
