"""The user model as signed tokens see it: packing its primary key, loading it, revoking it.

Signed tokens (scoped tokens, magic links) carry the user's packed primary key and bind a
*revocation value* built from the user row, so changing that row (password, e-mail, the
revocation generation) invalidates every outstanding token without a table of tokens.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.module_loading import import_string

from authgate._speed.lookups import RowLookup, row_lookup
from authgate.conf import on_reload
from authgate.core.packers import Packer, packer_for
from authgate.state import derived_generation_of, generation_of

__all__ = ["load_active_user", "packer_for_model", "revocation_value"]

_KIND_BY_FIELD = {
    "AutoField": "int",
    "BigAutoField": "int",
    "SmallAutoField": "int",
    "IntegerField": "int",
    "BigIntegerField": "int",
    "SmallIntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveBigIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "UUIDField": "uuid",
    "CharField": "str",
    "TextField": "str",
    "SlugField": "str",
    "EmailField": "str",
}


def packer_for_model(*, field: str = "pk", custom: str | None = None) -> Packer:
    """The packer for the user model's key ``field`` (or a custom packer's dotted path)."""
    if custom:
        packer = import_string(custom)
        return packer() if isinstance(packer, type) else packer  # type: ignore[no-any-return]
    model = get_user_model()
    key_field = model._meta.pk if field == "pk" else model._meta.get_field(field)
    internal_type = key_field.get_internal_type()  # type: ignore[union-attr]
    if internal_type == "OneToOneField" or internal_type == "ForeignKey":
        internal_type = key_field.target_field.get_internal_type()  # type: ignore[union-attr]
    try:
        return packer_for(_KIND_BY_FIELD[internal_type])
    except KeyError:
        raise ValueError(
            f"No built-in packer for a {internal_type} key; set a custom packer."
        ) from None


_SAMPLES = {
    "int": (1, 2),
    "uuid": (uuid.UUID(int=1), uuid.UUID(int=2)),
    "str": ("sample-a", "sample-b"),
}


@functools.cache
def _user_lookup(model: type[Model], field: str) -> RowLookup:
    """The user by ``field``, with its revocation state: fast or plain, decided once per
    settings generation (:func:`authgate._speed.lookups.row_lookup`)."""
    kind = packer_for_model(field=field).kind
    return row_lookup(
        model,
        lambda value: model._default_manager.select_related("authgate_state").filter(
            **{field: value}
        ),
        field=field,
        samples=_SAMPLES[kind],
    )


@functools.cache
def _user_model() -> type[Model]:
    """``get_user_model()``, resolved once (again after a settings change)."""
    return get_user_model()


on_reload(_user_lookup.cache_clear)
on_reload(_user_model.cache_clear)


def load_active_user(value: Any, *, field: str = "pk") -> Any | None:
    """The active user whose ``field`` is ``value``, with its revocation state: one query.

    The query is compiled once (:mod:`authgate._speed.fastquery`), or is the ORM's own
    when the fast paths are off (:mod:`authgate._speed.lookups`); a value the field cannot
    hold (a garbled id) is simply "no such user".
    """
    model = _user_model()
    try:
        user = _user_lookup(model, field).get(value)
    except (ValueError, TypeError, OverflowError, ValidationError):
        # OverflowError: SQLite refuses integers beyond 64 bits instead of finding no row.
        return None
    if user is None or not user.is_active:
        return None
    return user


def _field(value: str) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(4, "big") + data


def revocation_value(
    user: Any, *, password: bool = True, email: bool = False, derived: bool = False
) -> bytes:
    """Bytes that change whenever a signed token of ``user`` must stop working.

    Length-prefixed fields so no two combinations collide: the revocation generation
    (``revoke_all``), the password hash (a password change; never transported, only MACed)
    and optionally the e-mail address. Not ``get_session_auth_hash()``: that depends on
    ``SECRET_KEY``, and rotating the key must not revoke every token.
    """
    parts = [_field(str(generation_of(user)))]
    if password:
        parts.append(_field(user.password or ""))
    if derived:  # a credential minted by a credential: ends when any parent is revoked
        parts.append(_field(f"d{derived_generation_of(user)}"))
    if email:
        email_field = get_user_model().get_email_field_name()
        parts.append(_field(str(getattr(user, email_field, "") or "")))
    return b"".join(parts)
