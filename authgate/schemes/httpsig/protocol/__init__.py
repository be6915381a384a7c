"""RFC 9421 HTTP Message Signatures, framework-free: parse, build the base, sign, verify.

Modules, one job each:

* :mod:`.structured` — ``Signature-Input`` / ``Signature`` (§4);
* :mod:`.message` and :mod:`.components` — the request and its component values (§2.1,
  §2.2);
* :mod:`.base` — the signature base (§2.5);
* :mod:`.algorithms` and :mod:`.key_material` — §3.3 algorithms and their key material;
* :mod:`.digest` — RFC 9530 ``Content-Digest``;
* :mod:`.signatures` — sign / verify one message;
* :mod:`.errors` — errors with stable codes.

Nothing here imports Django: the backend (:mod:`authgate.schemes.httpsig.backend`) and the client
helper (:mod:`authgate.schemes.httpsig.client`) are thin layers on top.
"""

from authgate.extras import MissingExtra

try:  # the two packages of the ``httpsig`` extra, which the modules below import
    import cryptography  # noqa: F401
    import http_sf  # noqa: F401
except ImportError as exc:
    raise MissingExtra(__name__, "httpsig", "cryptography and http-sf", exc) from exc

from authgate.schemes.httpsig.protocol.base import signature_base
from authgate.schemes.httpsig.protocol.errors import SignatureError
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.signatures import sign_message, verify_message
from authgate.schemes.httpsig.protocol.structured import (
    SignatureParams,
    parse_signature_input,
    parse_signatures,
)

__all__ = [
    "Message",
    "SignatureError",
    "SignatureParams",
    "parse_signature_input",
    "parse_signatures",
    "sign_message",
    "signature_base",
    "verify_message",
]
