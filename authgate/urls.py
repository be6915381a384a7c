"""authgate's endpoints, mounted with one ``path("auth/", include("authgate.urls"))``."""

from django.urls import path  # noqa: F401  (each feature adds its paths below)

app_name = "authgate"

urlpatterns: list = [
    # API tokens, scoped tokens and magic links add their endpoints here.
]
