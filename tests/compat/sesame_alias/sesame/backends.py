"""``sesame.backends`` → :mod:`authgate.schemes.links.auth_backend`."""

from authgate.schemes.links.auth_backend import LinkAuthBackend as ModelBackend
from authgate.schemes.links.auth_backend import LinkBackendMixin as SesameBackendMixin

__all__ = ["ModelBackend", "SesameBackendMixin"]
