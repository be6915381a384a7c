"""sesame's ``authenticate`` decorator: a view that a link opens, for its user only.

::

    from authgate.schemes.links.decorators import authenticate

    @authenticate(scope="invoice:{pk}")
    def invoice(request, pk):
        ...   # request.user is the link's user; a link for invoice 41 does not open 42

``scope`` is formatted with the view's positional and keyword arguments
(``scope.format(*args, **kwargs)``). The decorator does not log the user in unless
``permanent=True``: it opens one resource without exposing the rest of the site.
``required=False`` runs the view with an anonymous user when the link is missing or bad
(else 403); ``override=False`` skips the link when a user is already logged in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest

from authgate.chain import adopt
from authgate.identity import Identity
from authgate.schemes.links import service as links
from authgate.schemes.links.backend import LANDING_HEADERS

__all__ = ["authenticate"]


def authenticate(
    view: Callable[..., Any] | None = None,
    *,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    required: bool = True,
    permanent: bool = False,
    override: bool = True,
) -> Any:
    """Authenticate the view's request with the link in its URL (sesame's decorator).

    Usable bare (``@authenticate``) or with arguments (``@authenticate(scope="…")``). A valid
    link sets ``request.user`` (and ``request.auth``, scheme ``link``); otherwise
    a 403 (Django's ``PermissionDenied`` handler) unless ``required=False``. ``max_age`` overrides
    ``LINK_MAX_AGE``. ``permanent=True`` logs the user in (needs sessions).
    """
    if view is None:
        return functools.partial(
            authenticate,
            scope=scope,
            max_age=max_age,
            required=required,
            permanent=permanent,
            override=override,
        )

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not override:
            return view(request, *args, **kwargs)
        if permanent and not hasattr(request, "session"):
            raise ImproperlyConfigured(
                "authenticate(permanent=True) requires django.contrib.sessions"
            )
        carried = links.token_from(request) is not None
        # login() updates the last login date itself; otherwise sesame's default.
        user, credential = links.authenticate_link(
            request,
            scope=scope.format(*args, **kwargs),
            max_age=max_age,
            update_last_login=False if permanent else None,
        )
        request.user = user if user is not None else AnonymousUser()
        if credential is not None:  # and so is user: authenticate_link() gives both or neither
            adopt(
                request,
                Identity(
                    user=user,
                    scheme="link",
                    credential=credential,
                    expires_at=credential.expires_at,
                ),
            )
        if required and user is None:
            # Django's 403 handler, as if PermissionDenied were raised, plus the headers.
            response = response_for_exception(request, PermissionDenied())
        else:
            if permanent and user is not None:
                login(request, user)
            response = view(request, *args, **kwargs)
        if carried:
            headers = {**LANDING_HEADERS, **(credential.headers if credential else {})}
            for name, value in headers.items():
                response.headers.setdefault(name, value)
        return response

    # The chain's LinkBackend leaves this view's link to the decorator.
    wrapper.__dict__["authgate_links_view"] = True
    return wrapper
