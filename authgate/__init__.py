"""authgate: one pluggable authentication layer for Django web APIs."""

__all__ = ["__version__"]

__version__ = "0.1.0"
