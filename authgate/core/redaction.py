"""Masking secrets before anything is logged or reported.

Two tools: :func:`clean_credentials_for_display` for credential mappings (djblets'
``SENSITIVE_CREDENTIALS_RE`` contract), and :func:`redact_text` for free text such as log
messages, tracebacks and URLs, which masks anything shaped like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "SENSITIVE_CREDENTIALS_RE",
    "clean_credentials_for_display",
    "is_sensitive_name",
    "redact_text",
]

MASK = "************"

#: Keys of credential mappings (and header / parameter names) whose values are secret.
#: The djblets pattern, searched anywhere in the name, in any case.
SENSITIVE_CREDENTIALS_RE = re.compile("api|token|key|secret|password|signature", re.IGNORECASE)

#: Names that are secret even though the pattern above does not catch them.
_ALSO_SENSITIVE = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|sesame)$", re.I
)

# `Authorization: <scheme> <credentials>` and bare `<Scheme> <credentials>` for the
# schemes we know. The credentials run to the next quote, whitespace or separator.
_SCHEME_CREDENTIALS_RE = re.compile(
    r"(?P<scheme>\b(?:basic|bearer|token|tmptoken|digest|apikey)\s+)(?P<secret>[^\s'\",;]+)",
    re.IGNORECASE,
)
# Opaque tokens (`agt_…`, any prefix) and signed tokens (`ags1_…`, `agl1_…`).
_TOKEN_SHAPED_RE = re.compile(
    r"\b(?:[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{42}|ag[a-z]\d+_[A-Za-z0-9_\-.]{8,})(?![0-9A-Za-z])"
)
# JWTs (an OAuth access token, an ID token): base64url `{"…` header, payload, signature.
_JWT_SHAPED_RE = re.compile(r"\bey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
# `name=value` pairs in query strings, cookies and form bodies whose name is sensitive.
_PAIR_RE = re.compile(r"(?P<name>[A-Za-z0-9_\-.]+)=(?P<value>\"[^\"]*\"|'[^']*'|[^&;\s'\"]*)")
# `"name": "value"` pairs in JSON-ish text whose name is sensitive.
_JSON_PAIR_RE = re.compile(
    r"(?P<name>[\"']?[A-Za-z0-9_\-.]+[\"']?\s*:\s*)(?P<value>[\"'][^\"']*[\"'])"
)


def is_sensitive_name(name: str, *, extra: Iterable[str] = ()) -> bool:
    """Whether a credential key, header or parameter name holds a secret."""
    return bool(
        SENSITIVE_CREDENTIALS_RE.search(name)
        or _ALSO_SENSITIVE.match(name)
        or name.lower() in {e.lower() for e in extra}
    )


def clean_credentials_for_display(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``credentials`` with every sensitive value replaced by :data:`MASK`."""
    return {
        key: (MASK if is_sensitive_name(str(key)) else value) for key, value in credentials.items()
    }


def redact_text(text: str, *, extra_names: Iterable[str] = ()) -> str:
    """Mask credentials inside free text: auth headers, token-shaped strings, secret pairs.

    ``extra_names`` adds parameter names (e.g. a configured magic-link parameter) whose
    values must be masked wherever they appear as ``name=value``.
    """
    if not text:
        return text
    extra = tuple(extra_names)
    text = _SCHEME_CREDENTIALS_RE.sub(lambda m: m["scheme"] + MASK, text)
    text = _TOKEN_SHAPED_RE.sub(MASK, text)
    text = _JWT_SHAPED_RE.sub(MASK, text)

    def pair(match: re.Match[str]) -> str:
        if is_sensitive_name(match["name"], extra=extra) and match["value"]:
            return f"{match['name']}={MASK}"
        return match[0]

    def json_pair(match: re.Match[str]) -> str:
        name = match["name"].split(":")[0].strip().strip("\"'")
        if is_sensitive_name(name, extra=extra):
            return f'{match["name"]}"{MASK}"'
        return match[0]

    text = _PAIR_RE.sub(pair, text)
    return _JSON_PAIR_RE.sub(json_pair, text)
