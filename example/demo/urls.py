"""Demo URLs: plain Django views under /api/, the same API in DRF under /api/drf/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from notes import api_drf, api_ninja, views, views_async, views_links

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    # The demo's login page (LOGIN_URL): a password here, or a magic link by e-mail.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="notes/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/", include("authgate.urls")),
    path("api/public/", views.public, name="public"),
    path("api/whoami/", views.whoami, name="whoami"),
    path("api/session/login/", views.session_login, name="session-login"),
    path("api/notes/", views.note_list, name="note-list"),
    path("api/notes/<int:pk>/", views.note_detail, name="note-detail"),
    path("links/notes/<int:pk>/", views_links.shared_note, name="link-shared-note"),
    path("api/drf/whoami/", api_drf.WhoAmI.as_view(), name="drf-whoami"),
    path("api/drf/notes/", api_drf.NoteList.as_view(), name="drf-note-list"),
    path("api/drf/notes/<int:pk>/", api_drf.NoteDetail.as_view(), name="drf-note-detail"),
    path("api/drf/token-whoami/", api_drf.TokenWhoAmI.as_view(), name="drf-token-whoami"),
    path("api/async/whoami/", views_async.whoami, name="async-whoami"),
    path("api/async/notes/", views_async.note_list, name="async-note-list"),
    # OpenAPI: the DRF API's schema (drf-spectacular) and a Swagger UI page for people (its
    # JavaScript comes from a CDN); Ninja serves /api/ninja/openapi.json and /api/ninja/docs.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-docs"),
    path("api/ninja/", api_ninja.api.urls),
]
