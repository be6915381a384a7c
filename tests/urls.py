"""URLconf for the test suite: the demo API plus views that only tests need."""

from django.urls import include, path

from tests import views

urlpatterns = [
    path("t/basic-only/", views.basic_only, name="t-basic-only"),
    path("t/mixin/", views.MixinView.as_view(), name="t-mixin"),
    path("t/boom/", views.boom, name="t-boom"),
    path("t/boom-data/", views.boom_with_data, name="t-boom-data"),
    path("t/openapi.json", views.authgate_openapi, name="t-openapi"),
    path("", include("demo.urls")),
]
