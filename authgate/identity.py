"""What the chain hands to views: who is calling, by which scheme, within what limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from authgate.core.slots import slot_setters

if TYPE_CHECKING:
    from authgate.core.policy import Policy

__all__ = ["Identity"]


@dataclass(frozen=True, slots=True, init=False)
class Identity:
    """The result of a successful authentication, available as ``request.auth``.

    ``restrictions`` is ``None`` for credentials that carry the user's full rights (a
    password, a session); token schemes set a compiled :class:`~authgate.core.policy.Policy`.
    """

    user: Any
    scheme: str
    credential: Any = None
    restrictions: Policy | None = None
    expires_at: datetime | None = None
    #: Response headers the scheme wants added (e.g. ``X-API-Token-Deprecated``).
    response_headers: dict[str, str] = field(default_factory=dict)

    def __init__(
        self,
        user: Any,
        scheme: str,
        credential: Any = None,
        restrictions: Policy | None = None,
        expires_at: datetime | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> None:
        # One Identity per request: see authgate.core.slots.
        user_, scheme_, credential_, restrictions_, expires_at_, headers_ = _SLOT_SETTERS
        user_(self, user)
        scheme_(self, scheme)
        credential_(self, credential)
        restrictions_(self, restrictions)
        expires_at_(self, expires_at)
        headers_(self, {} if response_headers is None else response_headers)

    def allows(
        self,
        method: str,
        *,
        resource: str | None = None,
        path: str | None = None,
        object_id: str | None = None,
    ) -> bool:
        """Whether the credential's restrictions permit ``method`` on this resource or path."""
        if self.restrictions is None:
            return True
        return self.restrictions.allows(method, resource=resource, path=path, object_id=object_id)

    def has_scope(self, name: str) -> bool:
        """Whether the credential carries the named scope (unrestricted credentials carry all)."""
        if self.restrictions is None:
            return True
        return self.restrictions.has_scope(name)

    @property
    def scopes(self) -> frozenset[str] | None:
        """The named scopes granted, or ``None`` when the credential is not limited by scope."""
        if self.restrictions is None:
            return None
        return self.restrictions.scopes


_SLOT_SETTERS = slot_setters(Identity)
