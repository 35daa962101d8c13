"""The one version of eager-jupyter, shared by the Python package and the labextension."""

__version__ = "0.1.0"
