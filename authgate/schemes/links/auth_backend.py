"""Magic links for Django's authentication framework (``AUTHENTICATION_BACKENDS``).

``django.contrib.auth.authenticate(request, sesame=token, scope=…, max_age=…)`` returns the
link's user through :class:`LinkAuthBackend` (sesame's ``ModelBackend``), or any backend
with :class:`LinkBackendMixin`; a session started from a link remembers that backend.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends as auth_backends
from django.http import HttpRequest

from authgate.schemes.links import service as links

__all__ = ["LinkAuthBackend", "LinkBackendMixin"]


class LinkBackendMixin:
    """Mix into a Django auth backend that provides ``get_user(user_id)`` (sesame's mixin)."""

    #: Marks a backend that logs link users in (read by ``service.login_backend_path``).
    authenticates_links = True

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        sesame: str | None,
        scope: str = "",
        max_age: Any = None,
    ) -> Any | None:
        """The user a valid link ``sesame`` authenticates for ``scope``, else ``None``.

        One-time links are used up, as everywhere else. The backend's
        ``user_can_authenticate(user)``, when it has one (Django's ``ModelBackend`` does),
        may refuse the user before the link is used up.
        """
        if sesame is None:
            return None
        can_authenticate = getattr(self, "user_can_authenticate", None)
        try:
            user, credential = links.check_token(
                sesame, scope=scope, max_age=max_age, accept=can_authenticate
            )
        except links.LinkRefused as exc:
            links.note_refusal(request, exc)
            return None
        # For links.authenticate_link(), which pops it: Django's authenticate() returns the
        # user alone.
        user.__dict__[links.CREDENTIAL_ATTR] = credential
        return user


# Django tries each backend whose authenticate() signature binds the given credentials
# (inspect.signature), so the mixin's signature, unlike ModelBackend's, is the point.
class LinkAuthBackend(LinkBackendMixin, auth_backends.ModelBackend):  # type: ignore[misc]
    """Django's ``ModelBackend`` that also authenticates link tokens (sesame's
    ``ModelBackend``).

    ``AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
    "authgate.schemes.links.auth_backend.LinkAuthBackend"]``.
    """
