"""Signing and verifying one message: the signature base plus an algorithm.

:func:`sign_message` is what :mod:`authgate.schemes.httpsig.client` uses; :func:`verify_message`
is what the backend uses after it has chosen the key. Both build the base with
:func:`~.base.signature_base`, so there is one implementation of RFC 9421 §2.5 in authgate,
exercised by the Appendix B vectors from both sides.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from authgate.schemes.httpsig.protocol import algorithms
from authgate.schemes.httpsig.protocol.base import signature_base
from authgate.schemes.httpsig.protocol.key_material import load_private_key
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.structured import (
    SignatureParams,
    parse_component_id,
    serialize_signature,
    serialize_signature_input,
)

__all__ = ["DEFAULT_COMPONENTS", "sign_message", "verify_message"]

#: What :func:`sign_message` covers by default: enough for authgate's default policy.
DEFAULT_COMPONENTS = ("@method", "@target-uri")


def signature_params(
    *,
    components: Iterable[str],
    label: str = "sig1",
    keyid: str | None = None,
    algorithm: str | None = None,
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
) -> SignatureParams:
    """:class:`SignatureParams` from plain values (``None`` leaves a parameter out)."""
    params: dict[str, Any] = {}
    for name, value in (
        ("created", created),
        ("expires", expires),
        ("keyid", keyid),
        ("alg", algorithm),
        ("nonce", nonce),
        ("tag", tag),
    ):
        if value is not None:
            params[name] = value
    return SignatureParams(label, tuple(parse_component_id(c) for c in components), params)


def sign_message(
    message: Message,
    *,
    algorithm: str,
    key: Any,
    keyid: str,
    components: Iterable[str] = DEFAULT_COMPONENTS,
    label: str = "sig1",
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    include_alg: bool = True,
) -> dict[str, str]:
    """The ``Signature-Input`` and ``Signature`` header values that sign ``message``.

    ``key`` is the HMAC secret (bytes, or base64 text) or a private key (PEM or a
    ``cryptography`` object); ``created`` defaults to now.
    """
    params = signature_params(
        components=components,
        label=label,
        keyid=keyid,
        algorithm=algorithm if include_alg else None,
        created=int(time.time()) if created is None else created,
        expires=expires,
        nonce=nonce,
        tag=tag,
    )
    base = signature_base(message, params)
    signature = algorithms.sign(algorithm, load_private_key(algorithm, key), base)
    return {
        "Signature-Input": serialize_signature_input(params),
        "Signature": serialize_signature(label, signature),
    }


def verify_message(
    message: Message, params: SignatureParams, signature: bytes, *, algorithm: str, key: Any
) -> None:
    """Raise a :class:`~.errors.SignatureError` unless the signature holds.

    ``key`` is a loaded public key (see :func:`~.key_material.load_public_key`) or
    the HMAC secret bytes.
    """
    algorithms.verify(algorithm, key, signature_base(message, params), signature)
