"""The public surface is what we mean it to be, and loading it stays light."""

from __future__ import annotations

import subprocess
import sys

import eager_jupyter


def test_exported_names():
    assert set(eager_jupyter.__all__) == {
        "Chunk",
        "Chunker",
        "__version__",
        "last_run",
        "load_ipython_extension",
        "unload_ipython_extension",
    }
    for name in eager_jupyter.__all__:
        assert hasattr(eager_jupyter, name), name


def test_labextension_paths_point_into_the_package():
    (entry,) = eager_jupyter._jupyter_labextension_paths()
    assert entry == {"src": "labextension", "dest": "eager-jupyter"}


def test_loading_the_extension_does_not_import_the_sdk_or_widgets():
    code = (
        "import sys\n"
        "from IPython.testing.globalipapp import get_ipython\n"
        "ip = get_ipython()\n"
        "before = set(sys.modules)\n"
        "ip.run_line_magic('load_ext', 'eager_jupyter')\n"
        "new = set(sys.modules) - before\n"
        "heavy = ('anthropic', 'openai', 'httpx2', 'ipywidgets', 'matplotlib', 'pandas')\n"
        "print(sorted(m for m in heavy if m in new))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
