"""OAuth 2.0 resource server support: the pieces behind :mod:`authgate.schemes.oauth.backend`.

One job per module:

- :mod:`~authgate.schemes.oauth.settings`: the ``OAUTH_*`` settings, converted once;
- :mod:`~authgate.schemes.oauth.http`: JSON over HTTP to the identity provider (urllib, a timeout);
- :mod:`~authgate.schemes.oauth.jwks`: signing keys from a JWK Set, each bound to its algorithms,
  fetched and cached;
- :mod:`~authgate.schemes.oauth.jwt`: verifying JWT access tokens (RFC 9068) with PyJWT;
- :mod:`~authgate.schemes.oauth.introspection`: opaque tokens through RFC 7662, cached;
- :mod:`~authgate.schemes.oauth.claims`: checks shared by both kinds, and ``scope`` → ``Policy``;
- :mod:`~authgate.schemes.oauth.users`: ``sub`` → the active user (optionally created).
"""
