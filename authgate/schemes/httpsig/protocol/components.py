"""Component values (RFC 9421 §2.1 HTTP fields, §2.2 derived components) for requests.

:func:`component_value` maps one covered :class:`~.structured.Component`
to the text after ``"<identifier>": `` on its line of the signature base. A component the
message does not have is a :class:`~.errors.VerificationFailed` (§3.2:
the signature cannot be verified); a parameter combination the RFC forbids, or one that
only makes sense for responses (``@status``, ``;req``), is a ``MalformedSignature``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote

import http_sf
from http_sf.innerlist import ser_item_or_inner_list
from http_sf.retrofit import retrofit as http_sf_retrofit

from authgate.schemes.httpsig.protocol.errors import MalformedSignature, VerificationFailed
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.structured import Component, parse_dictionary

__all__ = ["DERIVED_COMPONENTS", "STRUCTURED_FIELDS", "component_value"]

#: Derived components this verifier computes for requests (§2.2).
DERIVED_COMPONENTS = frozenset(
    {
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
        "@query-param",
    }
)
#: Structured fields ``;sf`` may name, beyond the retrofitted HTTP fields ``http_sf`` knows
#: (RFC 9651 §3): their top-level type. Add your application's own fields here.
STRUCTURED_FIELDS: dict[str, str] = {
    "signature-input": "dictionary",
    "signature": "dictionary",
    "accept-signature": "dictionary",
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
}
#: Parameters of §2.1 and §2.2.8 this verifier understands.
_FIELD_PARAMS = frozenset({"sf", "key", "bs"})
# RFC 9110 §5.2: obs-fold, a line break followed by whitespace, stands for one space.
_OBS_FOLD_RE = re.compile(r"\r?\n[ \t]+")
_OWS = " \t"


def _derived(message: Message, component: Component) -> str:
    name = component.name
    extra = [key for key, _ in component.params if not (name == "@query-param" and key == "name")]
    if extra:
        raise MalformedSignature(f"{name} does not take the parameter {extra[0]!r}.")
    if name == "@method":
        return message.method  # §2.2.1: case-sensitive, as sent
    if name == "@target-uri":
        return message.target_uri
    if name == "@authority":
        return message.authority
    if name == "@scheme":
        return message.scheme
    if name == "@request-target":
        return message.request_target
    if name == "@path":
        return message.path
    if name == "@query":
        return message.query
    if name == "@query-param":
        return _query_param(message, component.param("name"))
    if name == "@status":
        raise MalformedSignature("@status only applies to responses (§2.2.9).")
    raise MalformedSignature(f"Unknown derived component {name!r}.")


def _query_param(message: Message, wanted: object) -> str:
    """§2.2.8: decode as application/x-www-form-urlencoded, re-encode, match the name."""
    if not isinstance(wanted, str):
        raise MalformedSignature('@query-param needs a string "name" parameter.')
    values = [
        quote(value, safe="")
        for name, value in parse_qsl(message.url.query, keep_blank_values=True)
        if quote(name, safe="") == wanted
    ]
    if not values:
        raise VerificationFailed(f"The covered query parameter {wanted!r} is not in the URL.")
    if len(values) > 1:
        # Several values cannot be told apart in the base: refuse rather than guess (§7.5.7).
        raise MalformedSignature(f"The covered query parameter {wanted!r} appears more than once.")
    return values[0]


def _field(message: Message, component: Component) -> str:
    unknown = [key for key, _ in component.params if key not in _FIELD_PARAMS]
    if unknown:
        if unknown[0] in {"req", "tr"}:
            raise MalformedSignature(f"The ;{unknown[0]} parameter is not supported on requests.")
        raise MalformedSignature(f"Unknown component parameter {unknown[0]!r}.")
    lines = message.fields.get(component.name)
    if lines is None:
        raise VerificationFailed(f"The covered field {component.name!r} is not in the request.")
    sf, key, bs = component.param("sf"), component.param("key"), component.param("bs")
    if bs and (sf or key is not None):
        raise MalformedSignature(";bs cannot be combined with ;sf or ;key (§2.1.3).")
    if bs:
        # §2.1.3: each field line, trimmed, as a byte sequence; joined with ", ".
        return ", ".join(http_sf.ser(value.strip(_OWS).encode("latin-1")) for value in lines)
    value = ", ".join(_OBS_FOLD_RE.sub(" ", line).strip(_OWS) for line in lines)
    if key is not None:
        return _dictionary_member(component.name, value, key)
    if sf:
        return _strict_serialization(component.name, value)
    return value


def _dictionary_member(name: str, value: str, key: object) -> str:
    """§2.1.2: the serialised value of member ``key`` of a dictionary field."""
    if not isinstance(key, str):
        raise MalformedSignature('The "key" parameter must be a string.')
    parsed = parse_dictionary(
        value, f"The field {name!r}", error=VerificationFailed, refuse_duplicates=False
    )
    if key not in parsed:
        raise VerificationFailed(f"The field {name!r} has no member {key!r}.")
    return ser_item_or_inner_list(parsed[key])


def _strict_serialization(name: str, value: str) -> str:
    """§2.1.1: a known structured field, re-serialised canonically."""
    tltype = STRUCTURED_FIELDS.get(name) or http_sf_retrofit.get(name)
    if tltype is None:
        raise MalformedSignature(f"{name!r} is not a known structured field for ;sf.")
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype=tltype)
    except (http_sf.StructuredFieldError, ValueError) as exc:
        raise VerificationFailed(f"The field {name!r} is not a structured field: {exc}") from None
    return http_sf.ser(parsed)


def component_value(message: Message, component: Component) -> str:
    """The canonical value of ``component`` in ``message`` (RFC 9421 §2.1, §2.2)."""
    if component.is_derived:
        return _derived(message, component)
    return _field(message, component)
