"""authgate's models, each defined in the module of its kind; imported here so Django finds
them (one app, one migrations folder)."""

from authgate.audit import TokenEvent
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.tokens.models import APIToken
from authgate.state import UsedToken, UserAuthState

__all__ = ["APIToken", "HTTPSignatureKey", "TokenEvent", "UsedToken", "UserAuthState"]
