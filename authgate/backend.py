"""The contract every authentication scheme implements.

It unifies djblets' ``WebAPIAuthBackend`` and DRF's ``BaseAuthentication``:

* :meth:`Backend.get_credentials` returns ``None`` for "not my scheme, try the next
  backend", or a credentials mapping;
* :meth:`Backend.authenticate` returns an :class:`~authgate.identity.Identity` or raises
  :class:`~authgate.errors.AuthenticationFailed` ("my scheme, and the credentials are
  bad"), which stops the chain with a 401;
* :meth:`Backend.challenge` gives the scheme's ``WWW-Authenticate`` challenge.

A backend also describes itself, so nothing outside its folder needs to know it: its
OpenAPI security schemes (:meth:`Backend.openapi_security_schemes`, which
:mod:`authgate.contrib.openapi` collects for DRF, Ninja and drf-spectacular) and its
settings section (:attr:`Backend.settings_section`: the ``AUTHGATE`` keys it reads, whose
declared checks authgate's system check runs and whose keys are not typos).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.contrib import auth
from django.http import HttpRequest

from authgate.conf import Section, chain_settings
from authgate.core import headers
from authgate.core.redaction import SENSITIVE_CREDENTIALS_RE, clean_credentials_for_display
from authgate.errors import INVALID_REQUEST, AuthenticationFailed, AuthgateError
from authgate.identity import Identity

__all__ = [
    "AuthorizationHeaderBackend",
    "Backend",
    "bearer_challenge",
    "dpop_challenge",
    "get_authorization",
    "openapi_header_scheme",
    "openapi_query_scheme",
    "openapi_scheme_name",
]

Credentials = Mapping[str, Any]


class Backend:
    """Base class for a scheme in the ``AUTHGATE["BACKENDS"]`` chain."""

    #: The auth-scheme name (``Basic``, ``Bearer``, …); also names the identity's scheme.
    scheme: ClassVar[str] = ""
    #: Opt-in (djblets' ``login_with_credentials``): on success, start a Django session so
    #: later requests can use the cookie alone.
    login_with_credentials: ClassVar[bool] = False
    #: Keys of credential mappings whose values are masked before logging (djblets).
    SENSITIVE_CREDENTIALS_RE = SENSITIVE_CREDENTIALS_RE
    #: The settings section (an :class:`authgate.conf.Section`) this scheme reads, if any.
    settings_section: ClassVar[type[Section] | None] = None

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str | None:
        """The ``WWW-Authenticate`` challenge, or ``None`` if this scheme has none (→ 403)."""
        return None

    def challenges(self, request: HttpRequest, error: AuthgateError | None = None) -> list[str]:
        """Every challenge of this backend, for a 401: its :meth:`challenge`, by default.

        A backend that accepts several auth-schemes (OAuth access tokens as ``Bearer`` and
        ``DPoP``) names each of them here.
        """
        found = self.challenge(request, error)
        return [found] if found else []

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        """Extra headers for a 401 response from this backend (djblets' hook)."""
        return {}

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """The OpenAPI `Security Scheme Objects`_ this backend accepts, by name (none by
        default). Names are global to a schema: choose ones other schemes do not use.

        .. _Security Scheme Objects: https://spec.openapis.org/oas/v3.1.0#security-scheme-object
        """
        return {}

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        """The credentials this scheme finds in the request, or ``None`` if there are none."""
        raise NotImplementedError

    def validate_credentials(
        self, request: HttpRequest, credentials: Credentials
    ) -> Identity | None:
        """Short-circuit before :meth:`authenticate` (djblets' hook).

        By default, a backend that starts sessions skips re-checking a password when the
        session already belongs to the named user — that is what the session is for.
        """
        if not self.login_with_credentials or "username" not in credentials:
            return None
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_active
            and user.get_username() == credentials["username"]
        ):
            return Identity(user=user, scheme=self.scheme.lower())
        return None

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        """Check the credentials: an :class:`Identity`, or raise :class:`AuthenticationFailed`."""
        raise NotImplementedError

    def start_session(self, request: HttpRequest, identity: Identity) -> None:
        """Log the user in with Django's session framework (``login_with_credentials``)."""
        if hasattr(request, "session"):
            backend = (
                getattr(identity.user, "backend", None)
                or django_settings.AUTHENTICATION_BACKENDS[0]
            )
            auth.login(request, identity.user, backend=backend)

    def clean_credentials_for_display(self, credentials: Credentials) -> dict[str, Any]:
        """A copy of ``credentials`` safe to log: sensitive values masked."""
        return clean_credentials_for_display(credentials)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} scheme={self.scheme!r}>"


# RFC 6750 §3.1 defines three error codes; every other refusal is invalid_token there.
_RFC6750_ERRORS = {"invalid_request": "invalid_request", "insufficient_scope": "insufficient_scope"}


def openapi_header_scheme(keyword: str, description: str) -> dict[str, Any]:
    """An OpenAPI apiKey scheme for ``Authorization: <keyword> <token>``."""
    return {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": f'{description} Send `Authorization: {keyword} <token>` ("{keyword}" '
        "is case-insensitive).",
    }


def openapi_query_scheme(name: str, description: str) -> dict[str, Any]:
    """An OpenAPI apiKey scheme for a credential in the query parameter ``name``."""
    return {"type": "apiKey", "in": "query", "name": name, "description": description}


def openapi_scheme_name(keyword: str) -> str:
    """``"Token"`` → ``"tokenAuth"``: the name of a keyword's scheme."""
    return f"{keyword[:1].lower()}{keyword[1:]}Auth"


def bearer_challenge(keyword: str, error: AuthgateError | None = None) -> str:
    """An RFC 6750 §3 challenge: ``realm``, and ``error``/``error_description``/``scope``
    only when a credential was presented and refused."""
    params = {"realm": chain_settings().realm}
    if error is not None:
        params["error"] = _RFC6750_ERRORS.get(error.code, "invalid_token")
        params["error_description"] = str(error.detail)
        if error.extra.get("scope"):
            params["scope"] = error.extra["scope"]
    return headers.format_challenge(keyword, params)


# RFC 6750 §3.1 and RFC 9449 §12.2: the error codes a DPoP challenge may carry.
_DPOP_ERRORS = frozenset(
    {"invalid_request", "invalid_token", "insufficient_scope", "invalid_dpop_proof"}
    | {"use_dpop_nonce"}
)


def dpop_challenge(error: AuthgateError | None = None) -> str:
    """An RFC 9449 §7.1 challenge: ``DPoP algs="…"``, with ``error`` and
    ``error_description`` when a DPoP credential was presented and refused. Shared by the
    backends that take DPoP-bound tokens (OAuth access tokens, API tokens)."""
    from authgate import dpop  # the proof verifier's settings: read only for a challenge

    params: dict[str, str] = {}
    if error is not None:
        params["error"] = error.code if error.code in _DPOP_ERRORS else "invalid_token"
        params["error_description"] = str(error.detail)
        if error.extra.get("scope"):
            params["scope"] = error.extra["scope"]
    params["algs"] = " ".join(dpop.proof_algorithms())
    return headers.format_challenge("DPoP", params)


_UNPARSED: Any = object()  # Any, so returning the cached header type-checks


def get_authorization(request: HttpRequest) -> headers.Authorization | None:
    """The parsed ``Authorization`` header, parsed once per request and shared by backends."""
    # getattr with a default, not try/except AttributeError: the miss is the common case
    # (the first backend to ask), and CPython answers it without raising.
    found = getattr(request, "_authgate_authorization", _UNPARSED)
    if found is not _UNPARSED:
        return found  # type: ignore[no-any-return]
    parsed = headers.parse_authorization(
        request.META.get("HTTP_AUTHORIZATION"), max_length=chain_settings().max_header_length
    )
    request.__dict__["_authgate_authorization"] = parsed
    return parsed


@functools.lru_cache(maxsize=64)
def _keyword_keys(keywords: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keyword.lower() for keyword in keywords)


class AuthorizationHeaderBackend(Backend):
    """A backend whose credentials arrive as ``Authorization: <keyword> <token68>``.

    A header with one of :attr:`keywords` (case-insensitive, RFC 9110 §11.1) is *ours*:
    if it is malformed, that is a 401 ``invalid_request``, never a fall-through to
    anonymous.
    """

    #: The auth-scheme keywords this backend accepts; the first is used in challenges.
    keywords: ClassVar[tuple[str, ...]] = ()

    def get_keywords(self) -> tuple[str, ...]:
        """The accepted keywords (override to read them from settings)."""
        return self.keywords or (self.scheme,)

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """An apiKey ``Authorization`` header scheme per keyword (``<keyword>Auth``)."""
        return {
            openapi_scheme_name(keyword): openapi_header_scheme(
                keyword, f"The {self.scheme} scheme."
            )
            for keyword in self.get_keywords()
        }

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        authorization = get_authorization(request)
        if authorization is None:
            return None
        keywords = self.get_keywords()
        # As configured (the common case), else case-insensitively (RFC 9110 §11.1): the
        # lowercased set is cached per keyword tuple (get_keywords may read settings).
        if authorization.scheme not in keywords and authorization.scheme_key not in (
            _keyword_keys(tuple(keywords))
        ):
            return None
        try:
            token = headers.token68(authorization)
        except headers.MalformedHeader as exc:
            raise AuthenticationFailed(INVALID_REQUEST, str(exc)) from None
        return self.parse_credentials(token, keyword=authorization.scheme)

    def parse_credentials(self, token: str, *, keyword: str) -> Credentials:
        """Turn the header's token68 into a credentials mapping (raise to refuse it)."""
        return {"token": token, "keyword": keyword}
