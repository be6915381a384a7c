"""authgate's endpoints, mounted with one ``path("auth/", include("authgate.urls"))``."""

from django.urls import include, path  # each feature adds its paths below

from authgate.views import links as link_views
from authgate.views import scoped as scoped_views
from authgate.views import tokens as token_views

app_name = "authgate"

urlpatterns: list = [
    # API tokens, scoped tokens and magic links add their endpoints here.
    path("scoped/", scoped_views.mint, name="scoped-mint"),
    path("token/", token_views.obtain_token, name="token-obtain"),
    path("links/login/", link_views.LoginView.as_view(), name="links-login"),
    path("links/request/", link_views.RequestLinkView.as_view(), name="links-request"),
    # Token pages (tokens/…) and the token JSON API (api/tokens/…).
    path("", include("authgate.pages.urls")),
]
