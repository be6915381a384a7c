"""``sesame.views`` → :mod:`authgate.schemes.links.views`."""

from authgate.schemes.links.views import LoginView

__all__ = ["LoginView"]
