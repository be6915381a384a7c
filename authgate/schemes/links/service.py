"""Magic links: django-sesame's API on authgate's link format, with one-time use that holds.

::

    from authgate import links

    url = "https://example.com/auth/links/login/" + links.get_query_string(user)
    # → "...?sesame=agl1_AQEAAA…"   send it by e-mail; whoever opens it is logged in

    user = links.get_user(request)                      # or links.get_user(token)
    user = links.get_user(request, scope="report:42")   # a link minted for that scope only

The wire format is :mod:`authgate.core.links_v1` (the first module of
``AUTHGATE["LINK_TOKENS"]`` creates, every listed one is accepted); how a token is checked,
and links django-sesame issued, are in :mod:`authgate.schemes.links.checking`. Like
django-sesame's, :func:`get_user` goes through :func:`django.contrib.auth.authenticate`.

The other pieces live next to this module: ``middleware`` (``LinkLoginMiddleware``, sesame's
``AuthenticationMiddleware``), ``decorators`` (``authenticate``), ``views`` (``LoginView`` and
the request-a-link form), ``backend`` (the chain's ``LinkBackend``) and ``auth_backend``
(``LinkAuthBackend``, for ``AUTHENTICATION_BACKENDS``).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib import auth
from django.contrib.auth.models import update_last_login as _update_last_login
from django.contrib.auth.signals import user_login_failed
from django.utils.module_loading import import_string

from authgate.schemes.links.checking import (
    CREDENTIAL_ATTR,
    CREDENTIAL_KIND,
    REFUSAL_ATTR,
    LinkCredential,
    LinkRefused,
    check_token,
    key_value,
    max_age_seconds,
    revocation,
)
from authgate.schemes.links.settings import link_settings
from authgate.signing import keyring

__all__ = [
    "CREDENTIAL_ATTR",
    "CREDENTIAL_KIND",
    "REFUSAL_ATTR",
    "LinkCredential",
    "LinkRefused",
    "authenticate_link",
    "check_token",
    "get_parameters",
    "get_query_string",
    "get_token",
    "get_user",
    "login_backend_path",
    "max_age_seconds",
    "note_refusal",
    "refusal_of",
    "token_from",
]

logger = logging.getLogger(__name__)


def get_token(user: Any, scope: str = "") -> str:
    """A link token authenticating ``user``; with ``scope``, valid only for that scope.

    Use it when you build the URL yourself; :func:`get_user` accepts it.
    """
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, not {type(scope).__name__}")
    cfg = link_settings()
    return cfg.formats[0].create(
        keyring=keyring(),
        user_pk=key_value(user, cfg),
        packer=cfg.packer,
        revocation=revocation(user, cfg),
        scope=scope,
        timestamped=cfg.timestamped,
        one_time=cfg.one_time,
        key=cfg.key,
        signature_size=cfg.signature_size,
    )


def get_parameters(user: Any, scope: str = "") -> dict[str, str]:
    """``{LINK_TOKEN_NAME: token}``: add it to a URL that already has a query string."""
    return {link_settings().token_name: get_token(user, scope)}


def get_query_string(user: Any, scope: str = "") -> str:
    """``"?sesame=<token>"``: append it to a URL that has no query string."""
    return "?" + urlencode(get_parameters(user, scope))


def token_from(request_or_token: Any) -> str | None:
    """The token in ``request.GET[LINK_TOKEN_NAME]``, or ``request_or_token`` if a str."""
    if isinstance(request_or_token, str):
        return request_or_token
    try:
        return request_or_token.GET.get(link_settings().token_name)  # type: ignore[no-any-return]
    except AttributeError:
        # django-sesame's message, word for word.
        raise TypeError("get_user() expects an HTTPRequest or a token") from None


def note_refusal(request: Any, refused: LinkRefused) -> None:
    """Remember on ``request`` why its link was refused (:data:`REFUSAL_ATTR`)."""
    if request is not None:
        request.__dict__[REFUSAL_ATTR] = refused.code


def refusal_of(request: Any) -> Literal["invalid", "expired"]:
    """Why the link of ``request`` was refused (``"invalid"`` unless it had expired)."""
    return "expired" if request.__dict__.get(REFUSAL_ATTR) == "expired" else "invalid"


def login_backend_path() -> str:
    """The ``AUTHENTICATION_BACKENDS`` entry that logs link users in (``user.backend``).

    The first entry that authenticates links (a
    :class:`~authgate.schemes.links.auth_backend.LinkBackendMixin`), else the first entry
    (usually Django's ``ModelBackend``, which loads the session user by pk).
    """
    return _link_backends(tuple(django_settings.AUTHENTICATION_BACKENDS))[0]


@functools.lru_cache(maxsize=8)
def _link_backends(paths: tuple[str, ...]) -> tuple[str, bool]:
    """``(path, True)`` of the first backend that authenticates links, else
    ``(paths[0], False)``."""
    for path in paths:
        try:
            backend = import_string(path)
        except ImportError:
            continue
        if getattr(backend, "authenticates_links", False):
            return path, True
    return paths[0], False


def authenticate_link(
    request_or_token: Any,
    *,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    update_last_login: bool | None = None,
) -> tuple[Any, LinkCredential] | tuple[None, None]:
    """:func:`get_user`, also returning the :class:`LinkCredential` (or ``(None, None)``).

    Through :func:`django.contrib.auth.authenticate` when ``AUTHENTICATION_BACKENDS`` has a
    backend that authenticates links (as django-sesame does): the backend's
    ``user_can_authenticate`` applies, and a refused link sends ``user_login_failed``.
    Without one, the link is checked here and the signal sent all the same. A refused
    link's reason is kept on the request (:func:`refusal_of`).
    """
    token = token_from(request_or_token)
    if token is None:
        return None, None
    request = None if isinstance(request_or_token, str) else request_or_token
    backend_path, through_django = _link_backends(tuple(django_settings.AUTHENTICATION_BACKENDS))
    credential: LinkCredential | None
    user: Any
    if through_django:
        user = auth.authenticate(request, sesame=token, scope=scope, max_age=max_age)
        credential = user.__dict__.pop(CREDENTIAL_ATTR, None) if user is not None else None
        if credential is None:  # refused, or a user from a backend that is not a link's
            return None, None
    else:
        try:
            user, credential = check_token(token, scope=scope, max_age=max_age)
        except LinkRefused as exc:
            note_refusal(request, exc)
            user_login_failed.send(
                sender=__name__, credentials={"sesame": "********"}, request=request
            )
            return None, None
        user.backend = backend_path
    if update_last_login is None:
        update_last_login = link_settings().one_time
    if update_last_login:
        _update_last_login(type(user), user)  # Django's receiver: the sender is unused
    return user, credential


def get_user(
    request_or_token: Any,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    *,
    update_last_login: bool | None = None,
) -> Any | None:
    """The user a link authenticates, or ``None``; it does not log them in (sesame's).

    ``request_or_token`` is an ``HttpRequest`` (the token is read from
    ``GET[LINK_TOKEN_NAME]``) or the token itself. ``scope`` must be the scope the link was
    made for. ``max_age`` overrides ``LINK_MAX_AGE`` (ignored, with a warning, when that is
    ``None``, as in sesame; zero or less refuses every link as expired). A one-time link is
    used up by a successful call.

    ``update_last_login``: ``None`` (default) updates the user's last login date for
    one-time links only, as sesame does; pass ``False`` if you are about to call
    :func:`~django.contrib.auth.login`, which updates it itself.
    """
    user, _credential = authenticate_link(
        request_or_token, scope=scope, max_age=max_age, update_last_login=update_last_login
    )
    return user
