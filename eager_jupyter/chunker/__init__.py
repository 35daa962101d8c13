"""Streaming statement detection: ``Chunker`` (feed/finish) releases each top-level statement of a
program (a ``Chunk``, in ``chunk``) the moment no continuation could extend it; ``lexer`` is its line
lexer. Pure: no I/O, no IPython. See ``chunker.py`` for the algorithm and how to validate a change."""

from __future__ import annotations

from .chunker import Chunk, Chunker

__all__ = ["Chunk", "Chunker"]
