"""The ``Authorization`` request header and the ``WWW-Authenticate`` challenge.

RFC 9110 §11.3-§11.6 define the grammar (``credentials = auth-scheme [ 1*SP ( token68 /
#auth-param ) ]``); RFC 7617 defines Basic. Parsing is split in two so that every backend
can tell whether a header is "its" scheme before deciding that it is malformed:
:func:`parse_authorization` always names the scheme and records what is wrong, and the
scheme-specific helpers (:func:`token68`, :func:`decode_basic`) raise
:class:`MalformedHeader` with a message fit for a 401 response.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "MalformedHeader",
    "Authorization",
    "parse_authorization",
    "token68",
    "decode_basic",
    "format_challenge",
    "SCHEME_SCAN_LIMIT",
]

logger = logging.getLogger(__name__)

#: At most this many characters are read to find the scheme of an over-long header.
SCHEME_SCAN_LIMIT = 64

_WHITESPACE = " \t"  # RFC 9110 §5.6.3: OWS / RWS are SP and HTAB
# RFC 9110 §5.6.2: token = 1*tchar.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
_TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Visible ASCII plus SP/HTAB. RFC 9110 §5.5 also tolerates obs-text (%x80-FF), but no
# scheme authgate speaks uses it, so anything non-ASCII is refused rather than guessed at.
_FIELD_VALUE_RE = re.compile(r"[\x21-\x7e \t]*")
# The scheme candidate: everything up to the first SP/HTAB.
_SCHEME_RUN_RE = re.compile(r"[^ \t]*")
# The common header in one match: a scheme, one SP, a token68, nothing else. Whatever it
# matches passes every check of the general path below, with the same result.
_SIMPLE_RE = re.compile(
    rf"([!#$%&'*+\-.^_`|~0-9A-Za-z]{{1,{SCHEME_SCAN_LIMIT}}}) ([A-Za-z0-9\-._~+/]+=*)"
)
# RFC 7617 §2: user-id and password MUST NOT contain CTLs. C1 controls (U+0080-U+009F) are
# refused too: they are controls in Unicode, whichever charset produced them.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# ASCII-only lowercase: str.lower() maps e.g. KELVIN SIGN (U+212A) to "k".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class MalformedHeader(ValueError):
    """The header is ours but syntactically wrong; ``str(exc)`` is a message for the client."""


@dataclass(frozen=True, slots=True)
class Authorization:
    """A parsed ``Authorization`` header.

    ``scheme`` is the first token as sent; ``credentials`` is everything after it and the
    separating whitespace; ``error`` is a human reason when the header is malformed.
    """

    scheme: str
    credentials: str = field(repr=False)
    error: str | None = None
    #: The credentials are already known to be one token68 (the one-match parse).
    is_token68: bool = field(default=False, repr=False, compare=False)

    @property
    def scheme_key(self) -> str:
        """The scheme lowercased, for comparison: schemes are case-insensitive (§11.1)."""
        return self.scheme.translate(_ASCII_LOWER)


def _scheme_run(value: str) -> str:
    match = _SCHEME_RUN_RE.match(value)
    return match.group() if match else ""


def _malformed(scheme: str, credentials: str, error: str) -> Authorization:
    logger.debug("Malformed Authorization header (scheme %r): %s", scheme, error)
    return Authorization(scheme=scheme, credentials=credentials, error=error)


def parse_authorization(value: str | None, *, max_length: int) -> Authorization | None:
    """Parse an ``Authorization`` header value (as a ``str``, as Django exposes it).

    Returns ``None`` when the header is absent or blank; otherwise always an
    :class:`Authorization` naming the scheme, with ``error`` set if the header is malformed.
    Work is bounded by ``max_length``: a longer header is not scanned past its scheme.
    ``TypeError`` if ``value`` is neither ``None`` nor a ``str``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"Authorization header must be a str, got {type(value).__name__}")

    if len(value) > max_length:
        head = value[:SCHEME_SCAN_LIMIT].lstrip(_WHITESPACE)
        if not head and not value.strip(_WHITESPACE):
            return None  # huge but blank: the same as absent
        return _malformed(_scheme_run(head), "", "Authorization header is too long.")

    simple = _SIMPLE_RE.fullmatch(value)
    if simple is not None:
        # Positional (a third cheaper, per request); the match proved the token68 syntax.
        return Authorization(simple[1], simple[2], None, True)

    # RFC 9110 §5.5: leading and trailing whitespace is not part of the field value.
    value = value.strip(_WHITESPACE)
    if not value:
        return None
    run = _scheme_run(value)
    scheme, credentials = run[:SCHEME_SCAN_LIMIT], value[len(run) :].lstrip(_WHITESPACE)

    if _FIELD_VALUE_RE.fullmatch(value) is None:
        return _malformed(scheme, credentials, "Authorization header contains invalid characters.")
    if len(run) > SCHEME_SCAN_LIMIT or _TOKEN_RE.fullmatch(scheme) is None:
        return _malformed(scheme, credentials, "Authorization header has an invalid scheme.")
    key = scheme.translate(_ASCII_LOWER)
    if not credentials:
        return _malformed(scheme, "", f"Invalid {key} header. No credentials provided.")
    # Every scheme authgate speaks carries a single token68 (Basic, Token, Bearer, ...).
    # An auth-param scheme (Digest: `realm="x", nonce="y"`) would need its own parser.
    if " " in credentials or "\t" in credentials:
        return _malformed(
            scheme,
            credentials,
            f"Invalid {key} header. Credentials string should not contain spaces.",
        )
    return Authorization(scheme=scheme, credentials=credentials)


def token68(auth: Authorization) -> str:
    """Return the credentials if they are a single RFC 9110 §11.2 token68, else raise
    :class:`MalformedHeader` (also when ``auth.error`` is set)."""
    if auth.is_token68:
        return auth.credentials
    if auth.error is not None:
        raise MalformedHeader(auth.error)
    credentials = auth.credentials
    # auth.scheme_key (for the messages) only when refusing: this runs on every request.
    if not credentials:
        raise MalformedHeader(f"Invalid {auth.scheme_key} header. No credentials provided.")
    if " " in credentials or "\t" in credentials:
        raise MalformedHeader(
            f"Invalid {auth.scheme_key} header. Credentials string should not contain spaces."
        )
    if _TOKEN68_RE.fullmatch(credentials) is None:
        raise MalformedHeader(
            f"Invalid {auth.scheme_key} header. Credentials contain invalid characters."
        )
    return credentials


def decode_basic(credentials: str) -> tuple[str, str]:
    """Decode RFC 7617 Basic credentials into ``(user_id, password)``.

    Base64 is the standard alphabet, padded and canonical (RFC 4648 §4). The text is UTF-8
    (the charset RFC 7617 §2.1 lets a server announce), falling back to latin-1 as older
    clients send.
    The split is on the *first* colon: a user-id cannot contain one, a password can.
    """
    try:
        raw = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError, TypeError):
        # binascii.Error: bad alphabet or padding; ValueError: non-ASCII str input.
        raw = None
    # Canonical spelling only (RFC 4648 §3.5): b64decode tolerates stray trailing "=" and
    # non-zero unused bits, which no real client sends.
    if raw is None or base64.b64encode(raw).decode("ascii") != credentials:
        raise MalformedHeader("Invalid basic header. Credentials not correctly base64 encoded.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # total: every byte is a latin-1 character
    user_id, sep, password = text.partition(":")
    if not sep:
        raise MalformedHeader(
            "Invalid basic header. Credentials must be in the form username:password."
        )
    if _CONTROL_RE.search(text):
        raise MalformedHeader("Invalid basic header. Credentials contain control characters.")
    return user_id, password


def _quote(value: object) -> str:
    """Render ``value`` as the inside of an RFC 9110 §5.6.4 quoted-string.

    Controls (CR/LF included: header injection) are dropped. The result is printable ASCII,
    as RFC 6750 §3 requires of ``error_description``: accents are folded (NFKD, so a
    translated "Ungültig" becomes "Ungultig") and other non-ASCII becomes ``?``.
    """
    chars: list[str] = []
    for char in unicodedata.normalize("NFKD", str(value)):
        if "\x20" <= char <= "\x7e":
            chars.append("\\" + char if char in '"\\' else char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Mn", "Zl", "Zp"):
            continue  # controls, format chars, combining marks, line separators
        else:
            chars.append("?")
    return "".join(chars)


def format_challenge(scheme: str, params: Mapping[str, str]) -> str:
    """Build a ``WWW-Authenticate`` challenge, e.g. ``Bearer realm="api", error="..."``.

    Every value is sent as a quoted-string (RFC 9110 §11.6.1 permits either form for
    auth-params). ``ValueError`` if the scheme or a parameter name is not a token.
    """
    if not isinstance(scheme, str) or _TOKEN_RE.fullmatch(scheme) is None:
        raise ValueError(f"Challenge scheme must be an RFC 9110 token, got {scheme!r}")
    parts: list[str] = []
    for name, value in params.items():
        if not isinstance(name, str) or _TOKEN_RE.fullmatch(name) is None:
            raise ValueError(f"Challenge parameter name must be an RFC 9110 token, got {name!r}")
        parts.append(f'{name}="{_quote(value)}"')
    return f"{scheme} {', '.join(parts)}" if parts else scheme
