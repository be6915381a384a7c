"""JSON over HTTP to the identity provider, with the standard library and a timeout.

urllib keeps the ``oauth`` extra free of an HTTP client dependency. Every failure (network,
timeout, non-2xx status, a body that is not a JSON object) is one :class:`IdPUnavailable`,
which the backend turns into a 503: the IdP decides, so without it nobody gets in.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_RESPONSE_BYTES", "IdPUnavailable", "fetch_json"]

logger = logging.getLogger(__name__)

#: Largest IdP response read (a JWKS or an introspection answer is a few kilobytes).
MAX_RESPONSE_BYTES = 1_000_000


class IdPUnavailable(Exception):
    """The identity provider could not be asked; ``str(exc)`` is safe to log."""


def fetch_json(
    url: str,
    *,
    timeout: float,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """GET ``url`` (or POST ``data`` form-encoded) and return the JSON object it answers."""
    if not url.lower().startswith(("https://", "http://")):
        raise IdPUnavailable("only http(s) URLs are fetched")
    body = urllib.parse.urlencode(dict(data)).encode("ascii") if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        headers={"Accept": "application/json", **(headers or {})},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise IdPUnavailable(f"HTTP {exc.code} from the identity provider") from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise IdPUnavailable(f"{type(exc).__name__} talking to the identity provider") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise IdPUnavailable("the identity provider's answer is too large")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise IdPUnavailable("the identity provider did not answer JSON") from None
    if not isinstance(value, dict):
        raise IdPUnavailable("the identity provider did not answer a JSON object")
    return value
