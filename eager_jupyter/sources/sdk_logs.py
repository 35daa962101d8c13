"""Keeps what the model SDKs log out of the notebook while a source's request is in flight.

The problem. ``ANTHROPIC_LOG=debug`` (or ``info``; ``OPENAI_LOG`` likewise) makes the SDK call
``logging.basicConfig()`` when it is imported and set its ``anthropic`` and ``httpx2`` loggers to that
level. ``basicConfig`` puts a ``StreamHandler`` on the root logger writing to ``sys.stderr``, and in a
kernel ``sys.stderr`` is the cell's output stream: every request's options (the whole body: the
namespace summary, the conversation, the traceback of a ``--fix``) and every response's headers go
into the cell and are saved with the notebook. Writing them to the process's real stderr instead
would not help: ipykernel forwards file descriptor 2 to the cell as well.

The choice. While a request runs, ``contained_sdk_logs()`` cuts the SDK's loggers off: each of
``SDK_LOGGERS`` gets a level above ``CRITICAL`` (so the SDK does not even build the records: its
``isEnabledFor(DEBUG)`` check skips dumping the request), stops propagating to the root logger's
handlers, and gets a ``NullHandler`` (so a record that a user-configured child logger still emits is
not sent to ``logging.lastResort``, which also writes to stderr). Everything is restored when the
last request in flight ends (a count, under a lock: a ``--fix`` round or an agent step may overlap
another source). A filter that redacts records would have to be on the root logger's handlers, which
are the user's, and would still print the request's shape into the notebook; dropping the records is
simpler and leaves nothing to get wrong. The cost: while eager's request streams, the SDK's own debug
logging is silent, also for the user's own clients in the same kernel; outside a request nothing
changes.

To validate a change: ``tests/test_anthropic_source.py::test_sdk_logs_are_contained`` (caplog sees no
SDK record during a request, the loggers are restored after) and
``tests/test_kernel_anthropic.py::test_sdk_debug_log_stays_out_of_the_notebook`` (a real kernel with
``ANTHROPIC_LOG=debug``: no request body and no key in the cell's outputs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SDK_LOGGERS", "contained_sdk_logs"]

#: the loggers of the Anthropic and OpenAI SDKs and of the HTTP clients under them
SDK_LOGGERS = ("anthropic", "httpx2", "httpcore2", "openai", "httpx", "httpcore")

_SILENT = logging.CRITICAL + 1
_lock = threading.Lock()
_depth = 0
_saved: list[tuple[logging.Logger, int, bool]] = []
_null = logging.NullHandler()


@contextmanager
def contained_sdk_logs() -> Iterator[None]:
    """No record of the SDK loggers reaches a handler outside them while this block runs."""
    global _depth
    with _lock:
        if _depth == 0:
            for name in SDK_LOGGERS:
                logger = logging.getLogger(name)
                _saved.append((logger, logger.level, logger.propagate))
                logger.setLevel(_SILENT)
                logger.propagate = False
                logger.addHandler(_null)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for logger, level, propagate in _saved:
                    logger.removeHandler(_null)
                    logger.setLevel(level)
                    logger.propagate = propagate
                _saved.clear()
