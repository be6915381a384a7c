"""Error reports (the debug 500 page, error e-mails) that never show a credential.

Django already hides settings and ``META`` entries with sensitive names. It does not hide
query parameters (a magic link's ``?sesame=…``), the request URL, POST data (unless a view
is decorated), or local variables in traceback frames — where a token is very likely to
sit, often inside a container: the parsed body ``{"username": …, "password": …}``, a list
of tokens, ``request.POST`` itself. These classes do, before the report is rendered:

* a value under a sensitive key (``password``, ``token``, ``api_key``, … and the
  deployment's link and token query parameters) is masked, at any depth of dicts, lists,
  tuples, sets and ``QueryDict``/``MultiValueDict``; every other string (and bytes) has
  credential-shaped text masked (:func:`~authgate.core.redaction.redact_text`);
* containers deeper than :data:`MAX_DEPTH` are shown as masked text, not walked.

Masking the data, not only the rendered text, is what keeps the HTML report (the debug 500
page, the HTML error e-mail) clean: there, quotes are HTML-escaped (``&#x27;password&#x27;:
…``) and no pattern over the text would see the pair.

Configure both::

    DEFAULT_EXCEPTION_REPORTER = "authgate.reporting.SafeExceptionReporter"
    DEFAULT_EXCEPTION_REPORTER_FILTER = "authgate.reporting.SafeExceptionReporterFilter"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeString, mark_safe
from django.views import debug

from authgate.core.redaction import MASK, is_sensitive_name, redact_text
from authgate.log import sensitive_parameter_names

__all__ = ["MAX_DEPTH", "SafeExceptionReporter", "SafeExceptionReporterFilter", "cleanse"]

#: Containers are walked this deep; anything deeper is shown as its masked ``repr``.
MAX_DEPTH = 8


def cleanse(value: Any, names: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` with secrets masked at any depth, in the same shape where it can be.

    ``names`` are extra sensitive names (the deployment's query parameters). Containers are
    copied, never changed: the report must not alter the objects of a live frame.
    """
    if isinstance(value, str):
        return redact_text(value, extra_names=names)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"), extra_names=names)
    if not isinstance(value, MultiValueDict | Mapping | list | tuple | set | frozenset):
        return value
    if depth >= MAX_DEPTH:
        return redact_text(repr(value), extra_names=names)

    def item(key: Any, inner: Any) -> Any:
        if isinstance(key, str) and is_sensitive_name(key, extra=names):
            return MASK
        return cleanse(inner, names, depth + 1)

    if isinstance(value, MultiValueDict):
        copied: MultiValueDict[Any, Any] = MultiValueDict()
        for key, values in value.lists():
            copied.setlist(key, [item(key, inner) for inner in values])
        return copied
    if isinstance(value, Mapping):
        return {key: item(key, inner) for key, inner in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return {key: item(key, inner) for key, inner in zip(value._fields, value, strict=True)}
    cleansed = [cleanse(inner, names, depth + 1) for inner in value]
    return cleansed if isinstance(value, list) else type(value)(cleansed)


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
        return cleanse(params, sensitive_parameter_names())

    def cleanse_special_types(self, request: HttpRequest | None, value: Any) -> Any:
        value = super().cleanse_special_types(request, value)
        return cleanse(value, sensitive_parameter_names())

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        names = sensitive_parameter_names()
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if is_sensitive_name(name, extra=names):
                value = MASK
            cleansed.append((name, value))  # the value: cleansed by cleanse_special_types
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
