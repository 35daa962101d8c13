"""The revision marker decoder (``sources/revisions.py``): markers in a text stream become
``Revision`` items, however the pieces fall. Pure: also runs on 3.12 and 3.13."""

from __future__ import annotations

import random

import pytest

from eager_jupyter.sources.revisions import (
    DEFAULT_MARKERS,
    MAX_MARKER,
    MarkerDecoder,
    Revision,
    RevisionError,
    literal_prefix,
)
from eager_jupyter.trace import final_text


def decode(pieces: list[str], pattern: str = DEFAULT_MARKERS) -> list[str | Revision]:
    decoder = MarkerDecoder(pattern)
    items = [item for piece in pieces for item in decoder.feed(piece)] + decoder.finish()
    merged: list[str | Revision] = []
    for item in items:
        assert item != ""
        if merged and isinstance(item, str) and isinstance(merged[-1], str):
            merged[-1] += item
        else:
            merged.append(item)
    return merged


TEXT = "r = run(cmd, shell=True)<|revise:8|>[cmd])\nx = a < b | c<|re <|revise:x|> <|revise:2"


def test_markers_become_revisions() -> None:
    assert decode([TEXT]) == [
        "r = run(cmd, shell=True)", Revision(8), "[cmd])\nx = a < b | c<|re <|revise:x|> <|revise:2"
    ]


def test_markers_split_anywhere_decode_the_same() -> None:
    whole = decode([TEXT])
    rng = random.Random(18)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(TEXT)), rng.randint(1, 20)))
        pieces = [TEXT[a:b] for a, b in zip([0, *cuts], [*cuts, len(TEXT)], strict=True)]
        assert decode(pieces) == whole, pieces
    assert decode(list(TEXT)) == whole


def test_random_streams_against_final_text() -> None:
    rng = random.Random(7)
    for _ in range(200):
        out, length, stream = "", 0, ""
        for _ in range(rng.randint(1, 12)):
            if length and rng.random() < 0.3:
                k = rng.randint(0, length)
                stream += f"<|revise:{k}|>"
                out, length = out[:k], k
            else:
                piece = "".join(rng.choice("ab<|:re\n>") for _ in range(rng.randint(1, 10)))
                stream += piece
                out += piece
                length += len(piece)
        cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, rng.randint(0, 30))))
        pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        items = decode(pieces)
        # the text such a stream holds can itself contain marker-like text only by chance; offsets
        # then differ, so compare against the decoder on the whole stream and the final text
        assert items == decode([stream])
        if "<|revise:" not in out:
            assert final_text(item if isinstance(item, str) else item.offset for item in items) == out


def test_held_text_is_bounded_and_released() -> None:
    decoder = MarkerDecoder()
    assert decoder.feed("x <|revise:12") == ["x "]  # may still be a marker
    assert decoder.feed("3" * MAX_MARKER) == ["<|revise:12" + "3" * MAX_MARKER]  # too long: text
    assert decoder.feed("a <|") == ["a "]
    assert decoder.finish() == ["<|"]


def test_a_marker_past_the_output_is_an_error() -> None:
    decoder = MarkerDecoder()
    decoder.feed("abc")
    with pytest.raises(RevisionError, match="goes back to character 4, but the output has only 3"):
        decoder.feed("<|revise:4|>")


def test_custom_patterns() -> None:
    assert decode(["ab@@back 1@@c"], r"@@back (\d+)@@") == ["ab", Revision(1), "c"]
    assert literal_prefix(DEFAULT_MARKERS) == "<|revise:"
    assert literal_prefix(r"<a*b(\d+)>") == "<"
    for bad in (r"(\d+)", r"<revise>", r"[", r"a|b(\d)"):
        with pytest.raises(ValueError, match="revision marker pattern"):
            MarkerDecoder(bad)
