"""authgate's endpoints, mounted with one ``path("auth/", include("authgate.urls"))``."""

from django.urls import include, path

from authgate.leaks import views as leak_views
from authgate.schemes.links import views as link_views
from authgate.schemes.scoped import views as scoped_views
from authgate.schemes.tokens import api as token_api
from authgate.schemes.tokens import views as token_views

app_name = "authgate"

urlpatterns: list = [
    path("scoped/", scoped_views.mint, name="scoped-mint"),
    path("token/", token_views.obtain_token, name="token-obtain"),
    path("links/login/", link_views.LoginView.as_view(), name="links-login"),
    path("links/request/", link_views.RequestLinkView.as_view(), name="links-request"),
    # The token JSON API (the chain; tokens:manage for restricted credentials).
    path("api/tokens/", token_api.token_collection, name="api-tokens"),
    path("api/tokens/<int:pk>/", token_api.token_detail, name="api-token"),
    path("api/tokens/<int:pk>/revoke/", token_api.token_revoke, name="api-token-revoke"),
    path("api/tokens/<int:pk>/rotate/", token_api.token_rotate, name="api-token-rotate"),
    # Credentials by value: RFC 7009 revocation, GitHub's secret scanning (opt-in:
    # LEAKS_SECRET_SCANNING; a 404 until then).
    path("revoke/", leak_views.revoke, name="revoke"),
    path("secret-scanning/", leak_views.secret_scanning, name="secret-scanning"),
    # The self-service HTML pages (tokens/…, keys/…).
    path("", include("authgate.pages.urls")),
]
