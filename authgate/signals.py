"""Signals sent by authgate (djblets' token signals, extended).

Every signal is sent with ``sender`` = the credential's model or kind and keyword
arguments named in its comment. None carries a secret.
"""

from django.dispatch import Signal

__all__ = [
    "credential_leaked",
    "token_expired_use",
    "token_issued",
    "token_revoked",
    "token_rotated",
]

#: An API token was issued: ``token``, ``user``, ``created_by``.
token_issued = Signal()
#: An API token was revoked: ``token``, ``reason``.
token_revoked = Signal()
#: An API token was rotated: ``old``, ``new``, ``overlap``.
token_rotated = Signal()
#: An expired API token was presented (djblets' ``webapi_token_expired``): ``token``, ``request``.
token_expired_use = Signal()
#: A credential was found exposed and revoked (GitHub's secret scanning, ``revoke-leaked``):
#: ``user``, ``credential_kind``, ``credential_id`` (display prefix or id hash), ``where``
#: (the URL or file), ``source`` (``"github"`` or ``"scan"``). Sent once per credential,
#: after the e-mail to its owner; receivers add other channels (chat, SMS, a ticket).
credential_leaked = Signal()
