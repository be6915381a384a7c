"""The self-service HTML pages, included by :mod:`authgate.urls`.

No ``app_name`` here: the names live in authgate's namespace (``authgate:tokens``, …).
"""

from django.urls import path

from authgate.pages import signature_keys, temporary, tokens

urlpatterns = [
    # Pages (session + CSRF).
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/all/", tokens.token_list_all, name="tokens-all"),
    path("tokens/new/", tokens.token_create, name="tokens-create"),
    path("tokens/temporary/", temporary.temporary, name="tokens-temporary"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="tokens-revoke"),
    path("tokens/<int:pk>/rotate/", tokens.token_rotate, name="tokens-rotate"),
    path("keys/", signature_keys.key_list, name="signature-keys"),
    path("keys/<int:pk>/revoke/", signature_keys.key_revoke, name="signature-keys-revoke"),
]
