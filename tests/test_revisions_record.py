"""``--record`` of a model that writes revision markers (issue 18), against the loopback fakes of both
APIs: the recording holds the decoded text and ``revise`` lines, and replays the run whatever
``Eager.revision_markers`` is at replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fake_anthropic as fa
import fake_openai as fo
import pytest

from eager_jupyter.sources.anthropic import AnthropicSource
from eager_jupyter.sources.openai import OpenAISource
from eager_jupyter.sources.replay import TraceSource
from eager_jupyter.sources.revisions import DEFAULT_MARKERS, MarkedSource, Revision
from eager_jupyter.trace import read_trace

KEY = "sk-ant-api03-FAKEKEYFORRECORDTESTS-" + "r" * 24
# "x = 1\ny = 1" then back to 26 (before the second "1"); the prose holds text that another
# pattern (OTHER) would take for a marker: a replay must not decode it again
PIECES = ["Here:\n```python\n", "x = 1\ny = 1<|rev", "ise:26|>2\n", "print(x + y)\n```\n", "Done [[back 3]]."]
FINAL = "Here:\n```python\nx = 1\ny = 2\nprint(x + y)\n```\nDone [[back 3]]."
OTHER = r"\[\[back (\d+)\]\]"


@pytest.fixture(params=["anthropic", "openai"])
def model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A function building a source of the given API, its fake scripted with ``PIECES``."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "anthropic":
        with fa.FakeAnthropic(fa.Reply(PIECES, delay=0.005), deadline=60) as server:
            yield lambda **kw: AnthropicSource(
                "add", api_key=KEY, base_url=server.url, model="claude-test", retries=0, **kw
            )
    else:
        with fo.FakeOpenAI(fo.Reply(PIECES, delay=0.005), deadline=60) as server:
            yield lambda **kw: OpenAISource(
                "add", api_key=KEY, base_url=server.base_url, model="gpt-test", retries=0, **kw
            )


def items(stream: Iterator[Any]) -> list[str | int]:
    return [item.offset if isinstance(item, Revision) else item for item in stream]


def replays(path: Path) -> list[list[str | int]]:
    """The recording replayed with markers off, the default pattern and another one."""
    out = []
    for pattern in (None, DEFAULT_MARKERS, OTHER):
        source = TraceSource.from_file(path, speed=1000)
        out.append(items((source if pattern is None else MarkedSource(source, pattern)).stream()))
    return out


def test_a_recording_holds_the_decoded_text_and_revision_lines(model: Any, tmp_path: Path) -> None:
    path = tmp_path / "revised.jsonl"
    source = model(record=path)
    live = items(MarkedSource(source).stream())
    assert [i for i in live if isinstance(i, int)] == [26]
    assert source.reply == FINAL  # the reply the conversation keeps: revisions applied, no markers
    trace = read_trace(path)
    assert trace.header["revision_markers"] == DEFAULT_MARKERS
    recorded = [item for _, item in trace.pieces]
    assert recorded == live
    assert not any("<|" in item for item in recorded if isinstance(item, str))
    assert trace.text == FINAL
    assert '"revise": 26' in path.read_text(encoding="utf-8")
    assert replays(path) == [live, live, live]


def test_a_recording_made_with_markers_off_replays_them_as_text(model: Any, tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    live = items(model(record=path).stream())  # Eager.revision_markers = "": no MarkedSource
    assert "".join(str(i) for i in live) == "".join(PIECES)
    assert read_trace(path).header["revision_markers"] == ""
    assert replays(path) == [live, live, live]
