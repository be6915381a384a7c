"""Opaque access tokens through RFC 7662 token introspection, with a bounded cache.

``POST OAUTH_INTROSPECTION_URL`` with ``token=…&token_type_hint=access_token``, this API
authenticated with ``client_secret_basic`` (RFC 7662 §2.1, RFC 6749 §2.3.1). The answer
must say ``"active": true``; then ``exp``/``nbf`` (with leeway), and ``iss`` / ``aud`` when
the answer carries them, are checked as for a JWT. RFC 7662 §2.2 makes both optional, but an
answer without ``aud`` is refused unless ``OAUTH_REQUIRE_AUDIENCE`` is off: an IdP may issue
audience-less tokens for its own endpoints (oidc-provider does, for userinfo), and those
must not open this API.

**Cache** (process memory, keyed by the token's SHA-256, never the token itself):

- an active answer is reused for ``OAUTH_INTROSPECTION_CACHE_TTL`` but never past the
  token's ``exp`` — a token revoked at the IdP keeps working here at most that long;
- an inactive answer is reused for ``OAUTH_INTROSPECTION_INACTIVE_TTL`` (inactive is final
  in RFC 7662, so this is safe, and a replayed dead token does not reach the IdP each time),
  in a separate, smaller cache so a flood of garbage cannot evict the good entries.

The IdP unreachable, or answering anything but a JSON object, is :class:`IdPUnavailable`.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from authgate.conf import on_reload
from authgate.errors import INVALID_TOKEN
from authgate.schemes.oauth.claims import TokenRefused, check_times
from authgate.schemes.oauth.http import IdPUnavailable, fetch_json
from authgate.schemes.oauth.settings import oauth_settings

__all__ = ["TTLCache", "active_cache", "inactive_cache", "introspect"]


class TTLCache:
    """A thread-safe LRU of at most ``maxsize`` entries, each with its own deadline."""

    def __init__(self, maxsize: int, *, clock: Callable[[], float] = time.time) -> None:
        self.maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: Any, *, until: float) -> None:
        if until <= self._clock():
            return
        with self._lock:
            self._data[key] = (until, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


#: Active answers (claims) and inactive ones (a refusal), by token digest.
active_cache = TTLCache(4096)
inactive_cache = TTLCache(1024)
on_reload(active_cache.clear)
on_reload(inactive_cache.clear)

_INACTIVE = _("The access token is not active.")


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _client_auth() -> dict[str, str]:
    config = oauth_settings()
    client_id, secret = config.client_id, config.client_secret
    if not client_id:
        return {}
    # RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret or '')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}


def _ask(token: str) -> dict[str, Any]:
    config = oauth_settings()
    url = config.introspection_url
    if not url:
        raise IdPUnavailable("OAUTH_INTROSPECTION_URL is not set")
    return fetch_json(
        url,
        timeout=config.http_timeout.total_seconds(),
        data={"token": token, "token_type_hint": "access_token"},
        headers=_client_auth(),
    )


def _check(answer: dict[str, Any], leeway: float) -> None:
    if answer.get("active") is not True:  # RFC 7662 §2.2: a boolean; anything else is no
        raise TokenRefused(INVALID_TOKEN, _INACTIVE)
    check_times(answer, leeway=leeway)
    config = oauth_settings()
    if "iss" in answer and answer["iss"] != config.issuer:
        raise TokenRefused(INVALID_TOKEN, _("The token's issuer is not accepted."))
    if "aud" not in answer and config.require_audience:
        raise TokenRefused(INVALID_TOKEN, _("The token names no audience (aud)."))
    if "aud" in answer:
        aud = answer["aud"]
        given = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not set(config.audience or ()) & {a for a in given if isinstance(a, str)}:
            raise TokenRefused(INVALID_TOKEN, _("The token is not meant for this API."))


def introspect(token: str) -> dict[str, Any]:
    """The claims of an active opaque token, or raise :class:`TokenRefused` /
    :class:`IdPUnavailable` (answers cached as the module doc says)."""
    key = _key(token)
    config = oauth_settings()
    leeway = config.leeway.total_seconds()
    cached = active_cache.get(key)
    if cached is not None:
        check_times(cached, leeway=leeway)  # exp may have passed within the leeway
        return cached  # type: ignore[no-any-return]
    if inactive_cache.get(key) is not None:
        raise TokenRefused(INVALID_TOKEN, _INACTIVE)
    answer = _ask(token)
    now = time.time()
    try:
        _check(answer, leeway)
    except TokenRefused:
        inactive_ttl = config.introspection_inactive_ttl.total_seconds()
        if inactive_ttl > 0:
            inactive_cache.set(key, True, until=now + inactive_ttl)
        raise
    until = now + config.introspection_cache_ttl.total_seconds()
    exp = answer.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        until = min(until, float(exp))  # never outlive the token
    active_cache.set(key, answer, until=until)
    return answer
