"""OAuth 2.0 resource server support: the pieces behind :mod:`authgate.backends.oauth`.

One job per module:

- :mod:`~authgate.oauth.config`: the ``OAUTH_*`` settings, normalised;
- :mod:`~authgate.oauth.http`: JSON over HTTP to the identity provider (urllib, a timeout);
- :mod:`~authgate.oauth.jwks`: signing keys from a JWK Set, each bound to its algorithms,
  fetched and cached;
- :mod:`~authgate.oauth.jwt`: verifying JWT access tokens (RFC 9068) with PyJWT;
- :mod:`~authgate.oauth.introspection`: opaque tokens through RFC 7662, cached;
- :mod:`~authgate.oauth.claims`: checks shared by both kinds, and ``scope`` → ``Policy``;
- :mod:`~authgate.oauth.users`: ``sub`` → the active user (optionally created).
"""
