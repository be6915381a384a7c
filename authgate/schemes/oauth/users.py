"""``sub`` → the active user: one query per request, optional just-in-time creation.

The subject is looked up in ``OAUTH_USER_FIELD`` (default: the model's ``USERNAME_FIELD``)
with :func:`authgate.users.load_active_user` (one compiled query). With
``OAUTH_CREATE_USERS`` an unknown subject becomes a new active user with an unusable
password; an existing *inactive* user is refused on every request and never reactivated.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from authgate.conf import settings
from authgate.errors import INVALID_TOKEN
from authgate.schemes.oauth.claims import TokenRefused
from authgate.schemes.oauth.config import user_field
from authgate.users import load_active_user

__all__ = ["user_for_subject"]

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
    field = user_field()
    user = load_active_user(subject, field=field)
    if user is None and settings.OAUTH_CREATE_USERS:
        user = _create(subject, field)
    if user is None:
        raise TokenRefused(INVALID_TOKEN, _("Unknown or inactive user."))
    return user
