"""``sesame.decorators`` → :mod:`authgate.schemes.links.decorators`."""

from authgate.schemes.links.decorators import authenticate

__all__ = ["authenticate"]
