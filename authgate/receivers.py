"""Signal handlers: revoke a user's tokens when they are deactivated or change password.

Both compare the row being saved with the one in the database (one extra query per user
save, and only while a setting asks for it), so a save that changes neither costs nothing
further. ``REVOKE_TOKENS_ON_DEACTIVATION`` is on by default: a deactivated user's tokens
are refused anyway (``is_active`` is checked on every use), but revoking them means
reactivating the account does not bring old, possibly leaked tokens back.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext as _

from authgate.conf import settings

__all__ = ["connect"]

_DISPATCH_UID = "authgate.receivers.%s"


#: User fields whose change drops the user's cached token rows (TOKEN_CACHE_TIMEOUT).
_CACHED_USER_FIELDS = ("is_active", "is_staff", "is_superuser")


def _before_user_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    watch_password = settings.REVOKE_TOKENS_ON_PASSWORD_CHANGE
    watch_active = settings.REVOKE_TOKENS_ON_DEACTIVATION
    cached = bool(settings.TOKEN_CACHE_TIMEOUT)
    if raw or instance._state.adding or not (watch_password or watch_active or cached):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"password", *_CACHED_USER_FIELDS} & set(update_fields):
        return
    # What cached token rows must not outlive: the user's activity and privileges.
    columns = {field.name for field in sender._meta.concrete_fields}
    watched = [name for name in _CACHED_USER_FIELDS if name in columns]
    old = sender._default_manager.filter(pk=instance.pk).values("password", *watched).first()
    if old is None:
        return
    reasons = []
    if watch_active and old.get("is_active", True) and not getattr(instance, "is_active", True):
        reasons.append(_("User deactivated"))
    if watch_password and old["password"] != instance.password:
        reasons.append(_("Password changed"))
    instance._authgate_revoke_reason = "; ".join(reasons)
    instance._authgate_forget_cached = cached and any(
        old[name] != getattr(instance, name) for name in watched
    )


def _after_user_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    from authgate.models import APIToken
    from authgate.tokens import forget_cached, revoke_all

    reason = instance.__dict__.pop("_authgate_revoke_reason", "")
    if instance.__dict__.pop("_authgate_forget_cached", False):
        forget_cached(APIToken.objects.filter(user=instance).only("digest"))
    if reason:
        revoke_all(instance, reason)


def connect() -> None:
    """Connect the handlers for the user model (called from ``AppConfig.ready``)."""
    user_model = get_user_model()
    pre_save.connect(_before_user_save, sender=user_model, dispatch_uid=_DISPATCH_UID % "pre")
    post_save.connect(_after_user_save, sender=user_model, dispatch_uid=_DISPATCH_UID % "post")
