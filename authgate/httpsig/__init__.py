"""RFC 9421 HTTP Message Signatures, framework-free: parse, build the base, sign, verify.

Modules, one job each:

* :mod:`~authgate.httpsig.structured` — ``Signature-Input`` / ``Signature`` (§4);
* :mod:`~authgate.httpsig.message` and :mod:`~authgate.httpsig.components` — the request
  and its component values (§2.1, §2.2);
* :mod:`~authgate.httpsig.base` — the signature base (§2.5);
* :mod:`~authgate.httpsig.algorithms` and :mod:`~authgate.httpsig.keys` — §3.3 algorithms
  and their key material;
* :mod:`~authgate.httpsig.digest` — RFC 9530 ``Content-Digest``;
* :mod:`~authgate.httpsig.signatures` — sign / verify one message;
* :mod:`~authgate.httpsig.errors` — errors with stable codes.

Nothing here imports Django: the backend (:mod:`authgate.backends.httpsig`) and the client
helper (:mod:`authgate.client`) are thin layers on top.
"""

from authgate.extras import MissingExtra

try:  # the two packages of the ``httpsig`` extra, which the modules below import
    import cryptography  # noqa: F401
    import http_sf  # noqa: F401
except ImportError as exc:
    raise MissingExtra("authgate.httpsig", "httpsig", "cryptography and http-sf", exc) from exc

from authgate.httpsig.base import signature_base
from authgate.httpsig.errors import SignatureError
from authgate.httpsig.message import Message
from authgate.httpsig.signatures import sign_message, verify_message
from authgate.httpsig.structured import SignatureParams, parse_signature_input, parse_signatures

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
