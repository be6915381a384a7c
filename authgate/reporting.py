"""Error reports (the debug 500 page, error e-mails) that never show a credential.

Django already hides settings and ``META`` entries with sensitive names. It does not hide
query parameters (a magic link's ``?sesame=…``), the request URL, or local variables in
traceback frames — where a token is very likely to sit. These classes do.

Configure both::

    DEFAULT_EXCEPTION_REPORTER = "authgate.reporting.SafeExceptionReporter"
    DEFAULT_EXCEPTION_REPORTER_FILTER = "authgate.reporting.SafeExceptionReporterFilter"
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.views import debug

from authgate.core.redaction import MASK, is_sensitive_name, redact_text
from authgate.log import sensitive_parameter_names

__all__ = ["SafeExceptionReporter", "SafeExceptionReporterFilter"]


class SafeExceptionReporterFilter(debug.SafeExceptionReporterFilter):
    """Django's filter, plus cookies, query strings, URLs and token-shaped local values."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|SESAME", flags=re.IGNORECASE
    )

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        names = sensitive_parameter_names()
        return {
            key: redact_text(value, extra_names=names) if isinstance(value, str) else value
            for key, value in meta.items()
        }

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if request is None:
            return params
        params = params.copy()
        names = sensitive_parameter_names()
        for key in list(params):
            if is_sensitive_name(key, extra=names):
                params[key] = MASK
        return params

    def cleanse_special_types(self, request: HttpRequest | None, value: Any) -> Any:
        value = super().cleanse_special_types(request, value)
        if isinstance(value, str):
            return redact_text(value, extra_names=sensitive_parameter_names())
        return value

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        names = sensitive_parameter_names()
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if is_sensitive_name(name, extra=names):
                value = MASK
            elif isinstance(value, str):
                value = redact_text(value, extra_names=names)
            cleansed.append((name, value))
        return cleansed


class SafeExceptionReporter(debug.ExceptionReporter):
    """Masks credentials in the whole rendered report, including GET parameters and URL."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        names = sensitive_parameter_names()
        if self.request is not None:
            data["request_GET_items"] = [
                (key, MASK if is_sensitive_name(key, extra=names) else value)
                for key, value in self.request.GET.items()
            ]
            data["request_COOKIES_items"] = [(key, MASK) for key, _ in self.request.COOKIES.items()]
        return data

    # Django's ExceptionReporter returns the rendered template as a SafeString, and its
    # callers (the debug 500 page, error e-mails) use it as it is; masking only removes
    # text and inserts MASK. mark_safe keeps that contract and changes no output.

    def get_traceback_html(self) -> SafeString:
        return mark_safe(  # noqa: S308
            redact_text(str(super().get_traceback_html()), extra_names=sensitive_parameter_names())
        )

    def get_traceback_text(self) -> SafeString:
        return mark_safe(  # noqa: S308
            redact_text(str(super().get_traceback_text()), extra_names=sensitive_parameter_names())
        )
