"""``python -m eager_jupyter.cli``: the ``eager-jupyter`` command."""

import sys

from . import main

sys.exit(main())
