"""Demo URLs: plain Django views under /api/, the same API in DRF under /api/drf/."""

from django.contrib import admin
from django.urls import include, path
from notes import api_drf, views, views_links

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
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
]
