"""The demo's URLs, then ``whoami`` for every other path (``/~smith``, ``/café/``, …)."""

from django.urls import include, path, re_path
from notes import views

urlpatterns = [
    path("", include("demo.urls")),
    re_path(r"^.*$", views.whoami, name="any-path-whoami"),
]
