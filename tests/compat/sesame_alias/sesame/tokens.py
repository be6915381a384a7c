"""``sesame.tokens.create_token`` → :func:`authgate.schemes.links.service.get_token`."""

from authgate.schemes.links.service import get_token as create_token

__all__ = ["create_token"]
