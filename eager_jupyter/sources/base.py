"""The one seam at the network edge: a source of model output.

A source is iterated in a producer thread (the engine's ``Producer``); the kernel's main thread only
ever sees ``(t, text)`` pieces through a queue. ``close()`` is called from the main thread to stop a
source at once (early interruption, an error, a kernel interrupt): a replay stops producing, a network
source closes its HTTP response so the server sees the connection go.

A source may be revisable (issue 18): besides text pieces, ``stream()`` may yield a
``sources.revisions.Revision(offset)``, "withdraw my output from character ``offset`` on" (what follows
is appended at ``offset``). Offsets count the characters of the source's own output, revisions
applied: for a markdown reply, of the reply. A trace replays its revision lines as revisions; a model
that writes revision markers as text gets them decoded by ``revisions.MarkerDecoder`` (the engine
applies it to every source, ``%config Eager.revision_markers``). Sources that never revise yield
only ``str``.

``kind`` says what the text is: ``"code"`` is fed to the chunker as it is; ``"markdown"`` is a model's
reply, which goes through the fence filter first (only the Python block runs, prose is shown);
``"parts"`` is a source that knows itself which text is which (a model's tool calls, ``--agent``): its
stream yields ``(kind, text)`` pairs, ``kind`` being ``"code"`` or ``"prose"``, and no filter runs.

Exception tree (errors a source raises while streaming, re-raised on the main thread)::

    SourceError                one short user-facing line, no traceback
      (the model sources' errors are drawn in ``errors.py``; a replay's are ``TraceError``s)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    from .revisions import Revision

__all__ = ["Piece", "Source", "SourceError", "SourceKind"]

SourceKind = Literal["code", "markdown", "parts"]
#: what ``stream()`` yields: text, or for a ``"parts"`` source ``(kind, text)``; a revisable source
#: also yields ``Revision``s
Piece: TypeAlias = "str | tuple[str, str] | Revision"


class SourceError(Exception):
    """A source failed (network, API, file). ``str(error)`` is one line fit to show a user."""


@runtime_checkable
class Source(Protocol):
    #: short label for views and the run record: "replay 60 tok/s", "anthropic"
    label: str
    #: model id, when a model is behind the source
    model: str | None
    kind: SourceKind
    #: token counts reported by the source once it has finished ({"input_tokens": .., ...})
    usage: dict[str, int]

    def stream(self) -> Iterator[Piece]:
        """Yield text pieces (a "parts" source: ``(kind, text)`` pairs; a revisable source also
        ``Revision``s) as they arrive. Runs in the producer thread; may block."""
        ...

    def close(self) -> None:
        """Stop at once, from any thread. ``stream`` must then end promptly (within ~100 ms)."""
        ...
