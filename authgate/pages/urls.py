"""The token pages and the token JSON API, included by :mod:`authgate.urls`.

No ``app_name`` here: the names live in authgate's namespace (``authgate:tokens``, …).
"""

from django.urls import path

from authgate.pages import api, keys, temporary, views

urlpatterns = [
    # Pages (session + CSRF).
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/all/", views.token_list_all, name="tokens-all"),
    path("tokens/new/", views.token_create, name="tokens-create"),
    path("tokens/temporary/", temporary.temporary, name="tokens-temporary"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="tokens-revoke"),
    path("tokens/<int:pk>/rotate/", views.token_rotate, name="tokens-rotate"),
    path("keys/", keys.key_list, name="signature-keys"),
    path("keys/<int:pk>/revoke/", keys.key_revoke, name="signature-keys-revoke"),
    # JSON API (the chain; tokens:manage for restricted credentials).
    path("api/tokens/", api.token_collection, name="api-tokens"),
    path("api/tokens/<int:pk>/", api.token_detail, name="api-token"),
    path("api/tokens/<int:pk>/revoke/", api.token_revoke, name="api-token-revoke"),
    path("api/tokens/<int:pk>/rotate/", api.token_rotate, name="api-token-rotate"),
]
