"""The exceptions ``%%eager`` raises to end a cell, and how each renders.

::

    EagerError                    a run failed; one short line in the cell, no traceback of ours
      StatementError              a generated statement raised or did not compile (the statement's
                                  own traceback was already shown under it)
      GenerationError             the source failed (network, API, file): from a SourceError
      NotApproved                 held statements were not run: stopped or denied (``Eager.approve``)
    EagerInterrupt                the run was interrupted (a KeyboardInterrupt: Run All stops)

``StatementError`` carries the statement's index, line and the program's own exception (the one
``%debug`` and ``%tb`` act on); the others carry their line only. IPython renders an exception through
``_render_traceback_`` when it has one; ours return one line, so the cell shows the statement's real
traceback once and then a single line saying what the run did about it.
Showing a ``StatementError`` also makes the program's exception the last one (``sys.last_value``,
``%tb``, ``%debug``, ``%pdb``): see ``executor/postmortem.py``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EagerError", "EagerInterrupt", "GenerationError", "NotApproved", "StatementError"]


class EagerError(Exception):
    """Base of the run failures. ``str(error)`` is the one line shown."""

    def _render_traceback_(self) -> list[str]:
        _postmortem().run_failed()  # with %pdb on, no debugger in the engine's frames
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class StatementError(EagerError):
    def __init__(self, message: str, *, index: int, line: int, error: BaseException | None) -> None:
        super().__init__(message)
        self.index = index
        self.line = line
        self.error = error

    def _render_traceback_(self) -> list[str]:
        # %tb, %debug, %pdb and sys.last_* see the program's exception, not this wrapper
        _postmortem().statement_failed(self.error)
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class GenerationError(EagerError):
    """The source failed; what already ran stays run, nothing half-generated ran."""


class NotApproved(EagerError):
    """Held statements were not run: the user stopped the run, or ``Eager.approve`` denies them."""


class EagerInterrupt(KeyboardInterrupt):
    """A kernel interrupt stopped the run. It is a KeyboardInterrupt, named as one in the reply."""

    def _render_traceback_(self) -> list[str]:
        _postmortem().run_failed()
        return [f"\x1b[0;31mKeyboardInterrupt\x1b[0m: {self}"]


def _postmortem() -> Any:
    from .executor import postmortem  # lazily: this module stays free of IPython

    return postmortem


# The kernel reports ``type(error).__name__`` as the reply's ``ename``: for a client, an interrupted
# run ends with a KeyboardInterrupt, exactly as an interrupted cell does.
EagerInterrupt.__name__ = "KeyboardInterrupt"
EagerInterrupt.__qualname__ = "KeyboardInterrupt"
