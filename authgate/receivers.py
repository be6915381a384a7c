"""Signal handlers: revoke a user's tokens when they are deactivated or change password;
forget the token that started a session when the user logs in another way.

Both compare the row being saved with the one in the database (one extra query per user
save that may change the password or a watched field: ``update_fields`` can rule that out),
so a save that changes neither costs nothing further. HTTP-signature keys end on every
password change; API tokens only with ``REVOKE_TOKENS_ON_PASSWORD_CHANGE``.
``REVOKE_TOKENS_ON_DEACTIVATION`` is on by default: a deactivated user's tokens are refused
anyway (``is_active`` is checked on every use), but revoking them means
reactivating the account does not bring old, possibly leaked tokens back.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext as _

from authgate.schemes.tokens.settings import token_settings
from authgate.state import generation_of, note_no_state

__all__ = ["connect"]

_DISPATCH_UID = "authgate.receivers.%s"


#: User fields whose change drops the user's cached token rows (TOKEN_CACHE_TIMEOUT).
_CACHED_USER_FIELDS = ("is_active", "is_staff", "is_superuser")


def _before_user_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    tokens = token_settings()
    # Signature keys always end on a password change (issue #19): so the old row is read on
    # every user save that may change the password (update_fields can rule that out).
    watch_password = tokens.revoke_on_password_change
    watch_active = tokens.revoke_on_deactivation
    cached = bool(tokens.cache_timeout)
    if raw or instance._state.adding:
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
    password_changed = old["password"] != instance.password
    if watch_password and password_changed:
        reasons.append(_("Password changed"))
    instance._authgate_revoke_reason = "; ".join(reasons)
    instance._authgate_password_changed = password_changed
    instance._authgate_forget_cached = cached and any(
        old[name] != getattr(instance, name) for name in watched
    )


def _after_user_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    from authgate.schemes.tokens.models import APIToken
    from authgate.schemes.tokens.service import forget_cached, revoke_all

    if kwargs.get("created") and not raw:
        # A new user has no revocation state: the first signed token made for this
        # instance needs no query to learn so.
        note_no_state(instance)

    reason = instance.__dict__.pop("_authgate_revoke_reason", "")
    if instance.__dict__.pop("_authgate_forget_cached", False):
        forget_cached(APIToken.objects.filter(user=instance).only("digest"))
    password_changed = instance.__dict__.pop("_authgate_password_changed", False)
    if reason:
        revoke_all(instance, reason)  # every kind, signature keys included
    elif password_changed:
        # API tokens survive a password change unless REVOKE_TOKENS_ON_PASSWORD_CHANGE;
        # scoped tokens and links end by themselves (the hash is in their revocation
        # value); signature keys, registered by a password login, end here with what
        # they minted.
        from authgate import lineage

        keys = lineage.end_signature_keys(instance)
        if keys:
            forget_cached(
                lineage.revoke_descendants(instance, keys=keys, reason=_("Password changed"))
            )


def _on_login(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """A login (a password, ``force_login``, any backend) replaces whatever restricted
    credential started the session, so its restrictions and its revocation no longer bind
    it. authgate's own token login records its token again right after. The session notes
    the user's revocation generation, so ``revoke_all`` ends it."""
    from authgate.schemes.session import SESSION_CREDENTIAL_KEY, SESSION_GENERATION_KEY

    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_CREDENTIAL_KEY, None)
        user = kwargs.get("user")
        if user is not None:
            # The generation the session started in: revoke_all ends it (SessionBackend).
            session[SESSION_GENERATION_KEY] = generation_of(user)


def connect() -> None:
    """Connect the handlers for the user model (called from ``AppConfig.ready``)."""
    user_model = get_user_model()
    pre_save.connect(_before_user_save, sender=user_model, dispatch_uid=_DISPATCH_UID % "pre")
    post_save.connect(_after_user_save, sender=user_model, dispatch_uid=_DISPATCH_UID % "post")
    user_logged_in.connect(_on_login, dispatch_uid=_DISPATCH_UID % "login")
