"""``Signature-Input`` and ``Signature``: RFC 9421 §4.1 and §4.2, parsed with ``http_sf``.

Both fields are structured-field dictionaries (RFC 8941/9651) keyed by a *label*:

* ``Signature-Input: sig1=("@method" "@path");created=1618884473;keyid="k"`` — each member
  an inner list of component identifiers (sf-strings with parameters, §2.1) and the
  signature parameters (§2.3);
* ``Signature: sig1=:<base64>:`` — each member a byte sequence.

Everything here is strict: a duplicate label, a component given as a token instead of a
string, a parameter of the wrong type, or an unknown signature parameter with a reserved
meaning is a :class:`~authgate.schemes.httpsig.protocol.errors.MalformedSignature` (a 401
``invalid_request`` in the backend, never a 500). The ``@signature-params`` line of the
signature base is the canonical re-serialisation of the parsed inner list (§2.3), so the
verifier never depends on how the client spaced its header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from http_sf.innerlist import ser_innerlist
from http_sf.item import ser_item

from authgate.schemes.httpsig.protocol.errors import MalformedSignature, SignatureError

__all__ = [
    "Component",
    "SignatureParams",
    "parse_component_id",
    "parse_signature_input",
    "parse_signatures",
    "serialize_signature",
    "serialize_signature_input",
]

#: Signature parameters of §2.3 and the type each must have.
_PARAM_TYPES: dict[str, type] = {
    "created": int,
    "expires": int,
    "nonce": str,
    "alg": str,
    "keyid": str,
    "tag": str,
}


def _refuse_duplicate(key: str, _where: str) -> None:
    raise MalformedSignature(f"The label or parameter {key!r} appears more than once.")


def parse_dictionary(
    value: str,
    field: str,
    *,
    error: type[SignatureError] = MalformedSignature,
    refuse_duplicates: bool = True,
) -> dict[str, Any]:
    """A dictionary field (RFC 8941 §3.2) parsed, or ``error``. Our own signature fields
    refuse duplicate keys; other fields follow RFC 8941 (the last one wins)."""
    options: dict[str, Any] = {"on_duplicate_key": _refuse_duplicate} if refuse_duplicates else {}
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary", **options)
    except MalformedSignature:
        raise
    except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError) as exc:
        raise error(f"{field} is not a valid structured field: {exc}") from None
    if not isinstance(parsed, dict):  # pragma: no cover - tltype="dictionary"
        raise error("Expected a dictionary.")
    return parsed


@dataclass(frozen=True, slots=True)
class Component:
    """A component identifier (§2.1): a name (``@path``, ``content-digest``) and parameters.

    ``params`` keeps the order the signer used: it is part of the signature base.
    """

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str, default: Any = None) -> Any:
        """The value of parameter ``key`` (``True`` for a flag like ``;sf``), or ``default``."""
        for name, value in self.params:
            if name == key:
                return value
        return default

    @property
    def identifier(self) -> str:
        """The serialised identifier, as it starts a line of the signature base (§2.5)."""
        return ser_item((self.name, dict(self.params)))

    @property
    def is_derived(self) -> bool:
        """Whether this is a derived component (§2.2) rather than an HTTP field (§2.1)."""
        return self.name.startswith("@")


def _component(item: Any) -> Component:
    name, params = item if isinstance(item, tuple) else (item, {})
    if not isinstance(name, str):  # a Token is not a str: http_sf wraps it in UserString
        raise MalformedSignature("A covered component must be a quoted string.")
    if not name or name != name.lower():
        raise MalformedSignature(f"The component name {name!r} must be non-empty lowercase.")
    for key, value in params.items():
        if not isinstance(value, (bool, int, str)):
            raise MalformedSignature(f"The component parameter {key!r} has an invalid type.")
    return Component(name, tuple(params.items()))


def parse_component_id(value: str) -> Component:
    """A component identifier from its serialised form, e.g. ``"@query-param";name="a"``.

    Bare names (``content-digest``) are accepted too, for settings and client code.
    """
    text = value if value.startswith('"') else f'"{value}"'
    try:
        item = http_sf.parse(text.encode("ascii"), tltype="item")
    except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError) as exc:
        raise MalformedSignature(f"Invalid component identifier {value!r}: {exc}") from None
    return _component(item)


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """One member of ``Signature-Input``: the label, the covered components, the parameters."""

    label: str
    components: tuple[Component, ...]
    params: Mapping[str, Any]

    def serialize(self) -> str:
        """The ``@signature-params`` value (§2.3): the inner list, canonically serialised."""
        return ser_innerlist(
            ([(c.name, dict(c.params)) for c in self.components], dict(self.params))
        )

    @property
    def keyid(self) -> str | None:
        return self.params.get("keyid")

    @property
    def alg(self) -> str | None:
        return self.params.get("alg")

    @property
    def created(self) -> int | None:
        return self.params.get("created")

    @property
    def expires(self) -> int | None:
        return self.params.get("expires")

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")


def _signature_params(label: str, member: Any) -> SignatureParams:
    if not (isinstance(member, tuple) and isinstance(member[0], list)):
        raise MalformedSignature(
            f"Signature-Input member {label!r} must be an inner list of components."
        )
    items, params = member
    for key, value in params.items():
        expected = _PARAM_TYPES.get(key)
        if expected is None:
            continue  # §2.3: unknown parameters are signed like the others, not interpreted
        if isinstance(value, bool) or not isinstance(value, expected):
            raise MalformedSignature(
                f"The signature parameter {key!r} must be {expected.__name__}."
            )
    components = tuple(_component(item) for item in items)
    if any(c.name == "@signature-params" for c in components):
        raise MalformedSignature("@signature-params cannot be a covered component (§2.3).")
    return SignatureParams(label, components, dict(params))


def parse_signature_input(value: str) -> dict[str, SignatureParams]:
    """All members of a ``Signature-Input`` field value, by label (§4.1)."""
    parsed = parse_dictionary(value, "Signature-Input")
    return {label: _signature_params(label, member) for label, member in parsed.items()}


def parse_signatures(value: str) -> dict[str, bytes]:
    """All members of a ``Signature`` field value, by label: the raw signature bytes (§4.2)."""
    result: dict[str, bytes] = {}
    for label, member in parse_dictionary(value, "Signature").items():
        item = member[0] if isinstance(member, tuple) else member
        if not isinstance(item, bytes):
            raise MalformedSignature(f"Signature member {label!r} must be a byte sequence.")
        result[label] = item
    return result


def serialize_signature_input(params: SignatureParams) -> str:
    """``<label>=<inner list>``: a member to add to ``Signature-Input``."""
    return f"{params.label}={params.serialize()}"


def serialize_signature(label: str, signature: bytes) -> str:
    """``<label>=:<base64>:``: a member to add to ``Signature``."""
    return http_sf.ser({label: signature})
