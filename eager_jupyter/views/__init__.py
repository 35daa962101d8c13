"""Views show a run as it happens. ``base`` has the protocol; ``plain`` and ``widget`` implement it."""
