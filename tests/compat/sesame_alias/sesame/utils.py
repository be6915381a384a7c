"""``sesame.utils`` → :mod:`authgate.schemes.links.service`."""

from authgate.schemes.links.service import get_parameters, get_query_string, get_token, get_user

__all__ = ["get_parameters", "get_query_string", "get_token", "get_user"]
