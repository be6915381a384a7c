"""``sub`` → the active user: one query per request, optional just-in-time creation.

The subject is looked up in ``OAUTH_USER_FIELD`` (default: the model's ``USERNAME_FIELD``)
with :func:`authgate.users.load_active_user` (one compiled query). With
``OAUTH_CREATE_USERS`` an unknown subject becomes a new active user with an unusable
password; an existing *inactive* user is refused on every request and never reactivated.

A token whose subject is a *client* (the ``client_credentials`` grant: an introspection
answer with ``client_id`` and no ``sub``, RFC 7662 §2.2, or a JWT whose ``sub`` is the
``client_id``, RFC 9068 §2.2) is the service user ``OAUTH_CLIENT_USERS`` maps that client
to, looked up by ``USERNAME_FIELD`` and never created. A client with no mapping and no
``sub`` is refused with a 401 that says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from authgate.errors import INVALID_TOKEN
from authgate.schemes.oauth.claims import TokenRefused, subject
from authgate.schemes.oauth.settings import oauth_settings
from authgate.users import load_active_user

__all__ = ["client_user", "user_for_claims", "user_for_subject"]

logger = logging.getLogger(__name__)


def _create(subject: str, field: str) -> Any | None:
    model = get_user_model()
    manager: Any = model._default_manager
    if field == "pk" or manager.filter(**{field: subject}).exists():
        return None  # an inactive user (or a pk we may not choose): refused
    values = {model.USERNAME_FIELD: subject, field: subject}
    try:
        with transaction.atomic():
            user = manager.create_user(password=None, **values)
    except IntegrityError:
        # A concurrent first request created it, or the username is taken by someone else.
        return load_active_user(subject, field=field)
    logger.info("Created a user for a new OAuth subject (field %s)", field)
    return user


def user_for_subject(subject: str) -> Any:
    """The active user for ``subject``, or raise :class:`TokenRefused` (one answer for
    unknown and inactive users)."""
    config = oauth_settings()
    field = config.user_field
    user = load_active_user(subject, field=field)
    if user is None and config.create_users:
        user = _create(subject, field)
    if user is None:
        raise TokenRefused(INVALID_TOKEN, _("Unknown or inactive user."))
    return user


def client_user(client_id: str) -> Any | None:
    """The active service user ``OAUTH_CLIENT_USERS`` maps ``client_id`` to; ``None`` if the
    client is not mapped. Refused if the mapped user is unknown or inactive."""
    username = oauth_settings().client_users.get(client_id)
    if not isinstance(username, str) or not username:
        return None
    user = load_active_user(username, field=get_user_model().USERNAME_FIELD)
    if user is None:
        logger.warning("OAUTH_CLIENT_USERS maps a client to an unknown or inactive user")
        raise TokenRefused(INVALID_TOKEN, _("Unknown or inactive user."))
    return user


def user_for_claims(claims: Mapping[str, Any]) -> Any:
    """The user a verified token stands for: its client's service user when the subject
    is a mapped client, else the user named by ``sub`` (see the module doc)."""
    client_id, sub = claims.get("client_id"), claims.get("sub")
    if isinstance(client_id, str) and client_id and (sub is None or sub == client_id):
        user = client_user(client_id)
        if user is not None:
            return user
        if sub is None:
            raise TokenRefused(
                INVALID_TOKEN,
                _("This token was issued to a client, not a user, and no user is mapped to it."),
            )
    return user_for_subject(subject(claims))
