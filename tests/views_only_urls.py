"""A URLconf without authgate's endpoints (for checks that look for mounted views)."""

from django.urls import path

from tests import views

urlpatterns = [path("t/basic-only/", views.basic_only, name="t-basic-only")]
