"""authgate's models, one module per area; imported here so Django finds them."""

from authgate.models.audit import TokenEvent
from authgate.models.state import UsedToken, UserAuthState

__all__ = ["TokenEvent", "UsedToken", "UserAuthState"]
