"""The engine: ``Engine`` wires source -> fences -> chunker -> scheduler -> executor and emits events;
``producer`` iterates the source in its own thread. See ``engine.py``."""

from __future__ import annotations

from .engine import Engine, RepairContext, RepairFn

__all__ = ["Engine", "RepairContext", "RepairFn"]
