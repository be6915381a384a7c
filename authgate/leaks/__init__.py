"""The leaked-token response: a credential found exposed stops working, and its owner hears.

One job per module:

- :mod:`~authgate.leaks.values`: what a credential handed over by value is, and revoking it
  (API tokens by digest; scoped tokens and links by their user's generation);
- :mod:`~authgate.leaks.github`: GitHub's secret scanning partner protocol (signature,
  report, feedback), its public keys cached like OAuth's JWKS;
- :mod:`~authgate.leaks.scanner`: every authgate credential in any text, streamed in chunks;
- :mod:`~authgate.leaks.notify`: the owner's e-mail and :data:`authgate.signals.credential_leaked`;
- :mod:`~authgate.leaks.views`: ``/auth/secret-scanning/`` and RFC 7009 ``/auth/revoke/``;
- :mod:`~authgate.leaks.commands`: ``manage.py authgate revoke-leaked``;
- :mod:`~authgate.leaks.reasons`, :mod:`~authgate.leaks.admin`: the revocation reasons, read
  back by the token pages and the admin's filter;
- :mod:`~authgate.leaks.settings`, :mod:`~authgate.leaks.checks`: ``LEAKS_*``.

See docs/howto/leaks.md.
"""
