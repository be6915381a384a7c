"""``sesame.middleware`` → :mod:`authgate.schemes.links.middleware`."""

from authgate.schemes.links.middleware import LinkLoginMiddleware as AuthenticationMiddleware

__all__ = ["AuthenticationMiddleware"]
