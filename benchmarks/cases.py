"""What is measured: one callable per scheme, each authenticating a fresh request.

Every case returns ``(prepare, call)``: ``prepare(i)`` builds the i-th input outside the
timed region (a new request, so no per-request cache helps), ``call(x)`` is what is timed.
Each call is checked once up front to authenticate the expected user, so a broken case
fails loudly instead of timing an error path.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import RequestFactory

rf = RequestFactory()


@dataclass
class Case:
    name: str
    group: str  # "authgate", "peer" or "floor"
    prepare: Callable[[int], Any]
    call: Callable[[Any], Any]
    calls: int = 3000
    expect: Callable[[Any], bool] = lambda result: result is not None
    #: Untimed calls before each timing (at least a tenth of the calls): enough to reach
    #: the steady state, e.g. every sampled token once, so no periodic write is timed.
    warm: int = 0


def header_request(header: str, path: str = "/") -> Any:
    return rf.get(path, HTTP_AUTHORIZATION=header)


def pick(items: list[Any]) -> Callable[[int], Any]:
    return lambda i: items[i % len(items)]


# --- the floor ---------------------------------------------------------------------


def floor_case(digests: list[str]) -> Case:
    """The raw indexed join (token row + user row) through a cursor: nothing to beat."""
    from django.contrib.auth import get_user_model

    from authgate.models import APIToken

    token_table = APIToken._meta.db_table
    user_table = get_user_model()._meta.db_table
    sql = (
        f'SELECT t.*, u.* FROM "{token_table}" t INNER JOIN "{user_table}" u '  # noqa: S608
        "ON u.id = t.user_id WHERE t.digest = %s"
    )

    def call(digest: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, [digest])
            return cursor.fetchone()

    return Case("raw indexed join (floor)", "floor", pick(digests), call)


# --- authgate ------------------------------------------------------------------------


def authgate_case(
    name: str,
    backend_path: str,
    requests: Callable[[int], Any],
    calls: int = 3000,
    warm: int = 0,
) -> Case:
    from authgate.chain import authenticate, load_backends

    backends = load_backends([backend_path])
    return Case(
        name,
        "authgate",
        requests,
        lambda request: authenticate(request, backends),
        calls,
        warm=warm,
    )


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- the peers -----------------------------------------------------------------------


def drf_token_case(keys: list[str]) -> Case:
    from rest_framework.authentication import TokenAuthentication

    auth = TokenAuthentication()
    return Case(
        "DRF TokenAuthentication",
        "peer",
        lambda i: header_request(f"Token {keys[i % len(keys)]}"),
        auth.authenticate,
    )


def knox_case(tokens: list[str]) -> Case:
    from knox.auth import TokenAuthentication

    auth = TokenAuthentication()
    return Case(
        "knox",
        "peer",
        lambda i: header_request(f"Token {tokens[i % len(tokens)]}"),
        auth.authenticate,
    )


def simplejwt_case(tokens: list[str]) -> Case:
    from rest_framework_simplejwt.authentication import JWTAuthentication

    auth = JWTAuthentication()
    return Case(
        "simplejwt",
        "peer",
        lambda i: header_request(f"Bearer {tokens[i % len(tokens)]}"),
        auth.authenticate,
    )


def api_key_case(keys: list[str]) -> Case:
    from rest_framework_api_key.permissions import HasAPIKey

    permission = HasAPIKey()
    return Case(
        "djangorestframework-api-key HasAPIKey",
        "peer",
        lambda i: header_request(f"Api-Key {keys[i % len(keys)]}"),
        lambda request: permission.has_permission(request, None) or None,
    )


def sesame_case(tokens: list[str]) -> Case:
    from sesame.utils import get_user

    return Case("django-sesame get_user", "peer", pick(tokens), get_user)


def shuffled(items: list[Any]) -> list[Any]:
    items = list(items)
    random.Random(7).shuffle(items)
    return items
