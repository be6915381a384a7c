"""authgate's models, one module per area; imported here so Django finds them."""

from authgate.models.audit import TokenEvent
from authgate.models.httpsig import HTTPSignatureKey
from authgate.models.state import UsedToken, UserAuthState
from authgate.models.tokens import APIToken

__all__ = ["APIToken", "HTTPSignatureKey", "TokenEvent", "UsedToken", "UserAuthState"]
