"""Numbers from the user (magic options, CLI flags): finite, in range, or one clear line.

``number(kind, what, minimum=..., above=...)`` returns a parser for ``argparse`` /
``magic_arguments``: ``float("nan")``, ``"inf"``, ``"1e999"``, ``"0"`` where a positive number is
needed, ``"2.5"`` where an integer is, all raise ``ValueError`` with one line naming the option. The
caller turns it into its own one-line error (``UsageError`` in the magic, ``ArgumentTypeError`` in the
CLI); ``number`` does that itself when given ``error=``.

The ranges used: ``--rate`` finite > 0; ``--ttft`` and ``--temperature`` finite >= 0;
``--max-tokens`` an integer >= 1; ``--fix`` an integer >= 0. ``tests/test_robust_kernel.py`` tries
each bad value in a real kernel (one line, the kernel still usable).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["number"]


def number(
    kind: type[float] | type[int],
    what: str,
    *,
    minimum: float = 0,
    above: bool = False,
    error: type[Exception] = ValueError,
) -> Callable[[str], float]:
    """A parser of ``kind`` values >= ``minimum`` (> ``minimum`` if ``above``), finite."""
    bound = f"> {minimum:g}" if above else f">= {minimum:g}"
    noun = "an integer" if kind is int else "a finite number"

    def parse(text: str) -> float:
        try:
            value = kind(text.strip())
        except (ValueError, OverflowError):
            raise error(f"{what} must be {noun} {bound}, not {text!r}") from None
        if not math.isfinite(value) or value < minimum or (above and value == minimum):
            raise error(f"{what} must be {noun} {bound}, not {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse
