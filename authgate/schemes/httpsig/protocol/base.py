"""The signature base (RFC 9421 §2.5): the exact bytes that are signed and verified.

One line per covered component, ``"<identifier>": <value>``, in the order of the
``Signature-Input`` list, then ``"@signature-params": <inner list>``; lines are joined
with a single LF and there is no trailing newline. Signer and verifier both call
:func:`signature_base`, so a difference between them can only come from the message.
"""

from __future__ import annotations

from authgate.schemes.httpsig.protocol.components import component_value
from authgate.schemes.httpsig.protocol.errors import MalformedSignature
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.structured import SignatureParams

__all__ = ["signature_base"]


def signature_base(message: Message, params: SignatureParams) -> bytes:
    """The signature base of ``message`` for the components and parameters in ``params``."""
    lines: list[str] = []
    seen: set[str] = set()
    for component in params.components:
        identifier = component.identifier
        if identifier in seen:
            # §2.5 step 2.1: a component identifier may appear only once.
            raise MalformedSignature(f"The component {identifier} is covered more than once.")
        seen.add(identifier)
        value = component_value(message, component)
        if "\n" in value or "\r" in value:
            raise MalformedSignature(f"The value of {identifier} contains a line break.")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {params.serialize()}')
    text = "\n".join(lines)
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        # §2.5: the base is ASCII; a field with other bytes must be covered with ;bs.
        raise MalformedSignature(
            "A covered value is not ASCII; cover the field with the ;bs parameter."
        ) from None
