"""The HTTP Message Signatures settings (``HTTPSIG_*``), converted once: :func:`httpsig_settings`.

Importable without the ``httpsig`` extra (the required components are parsed with it only
when checked). See docs/httpsig.md#settings; system checks ``authgate.E100`` to ``E109``
(:mod:`authgate.schemes.httpsig.checks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authgate.conf import Section, accessor
from authgate.core.specs import Boolean, Duration, Integer, SettingError, Text, Texts, setting

__all__ = ["ALGORITHMS", "HTTPSigSettings", "httpsig_settings"]

#: What the backend verifies (kept here so the settings import without the extra).
ALGORITHMS = ("ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256")
# RFC 8941 §3.2: a dictionary key.
_KEY_RE = re.compile(r"[a-z*][a-z0-9_.*-]*")


def _components(value: Any) -> tuple[str, ...]:
    """Request components a signature can be required to cover (RFC 9421 §2)."""
    from authgate.schemes.httpsig.protocol.components import DERIVED_COMPONENTS
    from authgate.schemes.httpsig.protocol.errors import MalformedSignature
    from authgate.schemes.httpsig.protocol.structured import parse_component_id

    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SettingError("must be a list of component names.")
    for text in value:
        try:
            component = parse_component_id(text)
        except MalformedSignature:
            component = None
        if (
            component is None
            or (component.is_derived and component.name not in DERIVED_COMPONENTS)
            or component.name == "@query-param"
        ):
            raise SettingError(
                f"has {text!r}, which is not a request component authgate can require."
            )
    return tuple(value)


@dataclass(frozen=True, slots=True)
class HTTPSigSettings(Section):
    """Requests signed per RFC 9421 with a registered key."""

    checks = "authgate.schemes.httpsig.checks.check_httpsig_settings"

    #: Components every signature must cover. "@target-uri" stands for "@scheme",
    #: "@authority", "@path" and "@query"; "@request-target" for "@path" and "@query".
    required_components: tuple[str, ...] = setting(
        "HTTPSIG_REQUIRED_COMPONENTS",
        ["@method", "@authority", "@path", "@query"],
        _components,
        check="authgate.E100",
        hint="Use lowercase header names or @method, @target-uri, @authority, @scheme, "
        "@request-target, @path, @query.",
    )
    #: Requests with a body must cover "content-digest" (RFC 9530), checked against it.
    require_content_digest: bool = setting(
        "HTTPSIG_REQUIRE_CONTENT_DIGEST", True, Boolean(), check="authgate.E106"
    )
    #: Oldest accepted "created" (also how long nonces are remembered).
    max_age: timedelta = setting(
        "HTTPSIG_MAX_AGE",
        timedelta(minutes=5),
        Duration(numbers=(int,), positive=True, whole=True),
        check="authgate.E102",
        hint="The default is 5 minutes: signatures older than this are refused.",
    )
    #: Tolerance on "created" and "expires" (below max_age).
    clock_skew: timedelta = setting(
        "HTTPSIG_CLOCK_SKEW",
        timedelta(seconds=30),
        Duration(
            numbers=(int,),
            whole=True,
            description="a whole number of seconds (int) or timedelta, 0 or more and below "
            "HTTPSIG_MAX_AGE",
        ),
        check="authgate.E103",
        hint="The default is 30 seconds.",
    )
    #: Require a "nonce" (each accepted once per key within max_age).
    require_nonce: bool = setting("HTTPSIG_REQUIRE_NONCE", False, Boolean(), check="authgate.E106")
    #: The Signature-Input label to verify; None: the request must carry exactly one.
    label: str | None = setting(
        "HTTPSIG_LABEL",
        None,
        Text(
            pattern=_KEY_RE,
            null=True,
            description="None or a structured-field key (lowercase letters, digits, _ - . *)",
        ),
        check="authgate.E105",
        hint="None verifies the only signature of a request.",
    )
    #: Algorithms accepted at all; each key is bound to one of them.
    algorithms: tuple[str, ...] = setting(
        "HTTPSIG_ALGORITHMS",
        ["ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "hmac-sha256"],
        Texts(choices=frozenset(ALGORITHMS)),
        check="authgate.E104",
        hint="Each key is bound to one algorithm; this list switches algorithms off.",
    )
    #: Signature-Input / Signature longer than this are refused before parsing (characters).
    max_header_length: int = setting(
        "HTTPSIG_MAX_HEADER_LENGTH",
        8192,
        Integer(minimum=256),
        check="authgate.E107",
        hint="The default is 8192 characters.",
    )


httpsig_settings = accessor(HTTPSigSettings)
