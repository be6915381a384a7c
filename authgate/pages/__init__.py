"""Self-service token pages and the token JSON API.

* :mod:`authgate.pages.tokens` — browser pages on the session: list, create (the secret shown
  once), revoke, rotate; :mod:`authgate.pages.temporary` — mint a scoped temporary token or a
  magic link for yourself;
* :mod:`authgate.schemes.tokens.api` — the same actions as JSON, guarded by the chain;
* :mod:`authgate.rights` — why neither can create a token with more rights than the
  credential that asks;
* :mod:`authgate.pages.forms` — the forms, with choices from ``AUTHGATE`` settings.

Both are mounted by ``path("auth/", include("authgate.urls"))``; templates live under
``authgate/pages/`` and are overridden the usual Django way.
"""
