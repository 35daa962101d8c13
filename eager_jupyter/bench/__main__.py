"""``python -m eager_jupyter.bench``: the latency benchmark."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
