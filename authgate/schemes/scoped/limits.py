"""The size of a scoped-token request, capped before any work (issue #19, reproduction 10).

Minting checks each requested path prefix against the minting credential's rights, which
resolves it against the URLconf: work per path. Without a cap, one request listing 200,000
paths kept a worker busy for ~40 s. These caps are checked first — on the raw request, by
counting and measuring only — at ``POST /auth/scoped/`` and on the temporary-credentials
page. A scoped token with more than a handful of prefixes is a design smell anyway: it
travels in a header or a URL.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MAX_PATHS", "MAX_PATH_LENGTH", "MAX_SCOPES", "check_sizes"]

#: Path prefixes in one request, counted over all its methods.
MAX_PATHS = 50
#: Characters in one path prefix.
MAX_PATH_LENGTH = 512
#: Scope names in one request.
MAX_SCOPES = 50


def check_sizes(endpoints: object, scopes: object = None) -> None:
    """``ValueError`` naming the limit if the request is too big; shapes are checked later
    (:func:`~authgate.schemes.scoped.service.clean_endpoints`), so what is not a list here
    is left to that. Costs one pass over the values, nothing per path but ``len``."""
    if isinstance(scopes, list | tuple) and len(scopes) > MAX_SCOPES:
        raise ValueError(f"at most {MAX_SCOPES} scopes may be requested, not {len(scopes)}")
    if not isinstance(endpoints, Mapping):
        return
    total = 0
    for paths in endpoints.values():
        if not isinstance(paths, list | tuple):
            continue
        total += len(paths)
        if total > MAX_PATHS:
            raise ValueError(f"at most {MAX_PATHS} endpoint paths may be requested")
        for path in paths:
            if isinstance(path, str) and len(path) > MAX_PATH_LENGTH:
                raise ValueError(
                    f"an endpoint path may be at most {MAX_PATH_LENGTH} characters long"
                )
