from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Tests never talk to a real model: a stray key in the environment must not reach anything.
os.environ.pop("ANTHROPIC_API_KEY", None)


@pytest.fixture(scope="module")
def kernel() -> Iterator[object]:
    from kernel_harness import Kernel

    k = Kernel(MPLBACKEND="module://matplotlib_inline.backend_inline")
    r = k.execute("%load_ext eager_jupyter")
    assert r.status == "ok", r.reply["content"]
    yield k
    k.shutdown()


@pytest.fixture
def ip() -> Iterator[object]:
    """A real in-process IPython shell with the extension loaded and a clean namespace."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "eager_jupyter")
    shell.user_ns.pop("_eager", None)
    yield shell
    shell.reset(new_session=False)
