"""Sign requests to an authgate API with HTTP Message Signatures (RFC 9421).

Three ways in, all built on :mod:`authgate.schemes.httpsig.protocol` — the same code the
server verifies with, so a signature made here means the same bytes there:

* :func:`signature_headers` — the headers to add to any request, for any HTTP library::

      headers = signature_headers("POST", url, body=payload, key=private_key, keyid="agk_…",
                                  algorithm="ed25519", headers={"Content-Type": "application/json"})

* :class:`RequestsSignatureAuth` — a ``requests`` auth (``requests.auth.AuthBase``)::

      requests.post(url, json=data, auth=RequestsSignatureAuth(key=..., keyid=..., algorithm=...))

* :class:`HttpxSignatureAuth` — an ``httpx.Auth``, for sync and async clients.

The ``client`` extra (``pip install "authgate[client]"``) brings what signing needs and
``requests``; without it, importing this module (or, without ``requests`` alone,
:class:`RequestsSignatureAuth`) raises an ``ImportError`` that says so. ``httpx`` is
optional: :class:`HttpxSignatureAuth` needs it, nothing else does. By default
a signature covers ``@method``, ``@target-uri`` and, when there is a body, the
``content-digest`` it adds (RFC 9530, SHA-256); it carries ``created``, ``keyid``, ``alg``
and a fresh ``nonce``, which is what authgate's default policy asks for.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Generator, Iterable, Mapping
from typing import Any

from authgate.extras import MissingExtra

try:
    from authgate.schemes.httpsig.protocol.digest import content_digest
    from authgate.schemes.httpsig.protocol.message import Message
    from authgate.schemes.httpsig.protocol.signatures import DEFAULT_COMPONENTS, sign_message
except ImportError as exc:
    raise MissingExtra(__name__, "client", "cryptography and http-sf", exc) from exc

_requests_missing: MissingExtra | None = None
try:
    from requests.auth import AuthBase as _RequestsAuthBase
except ImportError as exc:  # only RequestsSignatureAuth needs it (see __getattr__ below)
    _RequestsAuthBase = object  # type: ignore[misc,assignment]
    _requests_missing = MissingExtra(f"{__name__}.RequestsSignatureAuth", "client", "requests", exc)
try:
    import httpx

    _HttpxAuthBase = httpx.Auth
except ImportError:  # pragma: no cover - httpx is optional
    _HttpxAuthBase = object  # type: ignore[misc,assignment]

__all__ = ["HttpxSignatureAuth", "RequestsSignatureAuth", "Signer", "signature_headers"]


class Signer:
    """Signing settings for one key: ``key`` (private key, PEM, or HMAC secret), ``keyid``,
    ``algorithm`` and what to cover.

    ``components`` replaces the default covered components (``content-digest`` is still
    added when there is a body); ``use_nonce`` adds a random ``nonce``; ``expires_in``
    (seconds) adds ``expires``; ``label`` names the signature.
    """

    def __init__(
        self,
        *,
        key: Any,
        keyid: str,
        algorithm: str,
        components: Iterable[str] = DEFAULT_COMPONENTS,
        label: str = "sig1",
        use_nonce: bool = True,
        expires_in: int | None = None,
        tag: str | None = None,
        digest_algorithm: str = "sha-256",
    ) -> None:
        self.key = key
        self.keyid = keyid
        self.algorithm = algorithm
        self.components = tuple(components)
        self.label = label
        self.use_nonce = use_nonce
        self.expires_in = expires_in
        self.tag = tag
        self.digest_algorithm = digest_algorithm

    def headers(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | None = b"",
    ) -> dict[str, str]:
        """The headers to add: ``Content-Digest`` (with a body), ``Signature-Input``,
        ``Signature``."""
        lines = list(headers.items() if isinstance(headers, Mapping) else headers)
        added: dict[str, str] = {}
        components = list(self.components)
        if body:
            added["Content-Digest"] = content_digest(body, self.digest_algorithm)
            lines = [(k, v) for k, v in lines if k.lower() != "content-digest"]
            lines.append(("Content-Digest", added["Content-Digest"]))
            if "content-digest" not in components:
                components.append("content-digest")
        created = int(time.time())
        added.update(
            sign_message(
                Message(method.upper(), url, lines, body or b""),
                algorithm=self.algorithm,
                key=self.key,
                keyid=self.keyid,
                components=components,
                label=self.label,
                created=created,
                expires=created + self.expires_in if self.expires_in else None,
                nonce=secrets.token_urlsafe(16) if self.use_nonce else None,
                tag=self.tag,
            )
        )
        return added


def signature_headers(
    method: str,
    url: str,
    *,
    key: Any,
    keyid: str,
    algorithm: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes | None = b"",
    **options: Any,
) -> dict[str, str]:
    """The headers that sign ``method url`` (with ``headers`` and ``body``); see :class:`Signer`."""
    signer = Signer(key=key, keyid=keyid, algorithm=algorithm, **options)
    return signer.headers(method, url, headers, body)


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError("Streaming bodies cannot be signed: pass bytes.")


class RequestsSignatureAuth(_RequestsAuthBase):
    """``requests`` auth that signs each prepared request (same arguments as :class:`Signer`)."""

    def __init__(self, **signer: Any) -> None:
        self.signer = Signer(**signer)

    def __call__(self, request: Any) -> Any:
        body = _bytes(request.body)
        request.headers.update(
            self.signer.headers(request.method, request.url, request.headers.items(), body)
        )
        return request


if _requests_missing is not None:
    # Without requests the class is useless: importing it raises the error naming the extra.
    del RequestsSignatureAuth


def __getattr__(name: str) -> Any:
    if name == "RequestsSignatureAuth" and _requests_missing is not None:
        raise _requests_missing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class HttpxSignatureAuth(_HttpxAuthBase):
    """``httpx`` auth that signs each request (same arguments as :class:`Signer`)."""

    requires_request_body = True

    def __init__(self, **signer: Any) -> None:
        self.signer = Signer(**signer)

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        body = request.read()
        request.headers.update(
            self.signer.headers(request.method, str(request.url), request.headers.items(), body)
        )
        yield request
