"""A logging filter that masks credentials in every record that passes through it.

authgate installs it when Django starts (:func:`install_redaction`, from the app's
``ready()``) on the loggers named by ``AUTHGATE["REDACT_LOGGERS"]``, whose records carry
request URLs: ``django.server`` (runserver's access log), ``django.request``,
``gunicorn.access`` and ``uvicorn.access``. ``[]`` opts out. Attach it to your own
handlers too: ``"filters": {"redact": {"()": "authgate.log.RedactSecretsFilter"}}``.

It masks ``Authorization``/``Cookie``-style headers, ``name=value`` pairs with sensitive
names (including the configured token query parameters), and anything shaped like an
authgate token, in the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from authgate.core.redaction import redact_text

__all__ = ["RedactSecretsFilter", "install_redaction", "sensitive_parameter_names"]


def sensitive_parameter_names() -> tuple[str, ...]:
    """Query parameters that carry credentials in this deployment."""
    names: tuple[str | None, ...]
    try:
        from authgate.schemes.links.settings import link_settings
        from authgate.schemes.scoped.settings import scoped_settings
        from authgate.schemes.tokens.settings import token_settings

        names = (
            token_settings().query_param,
            scoped_settings().query_param,
            link_settings().token_name,
        )
    except Exception:  # settings not configured yet (e.g. logging set up before Django)
        names = ("TOKEN", "sesame")
    return tuple(name for name in names if name)


def _redact_args(args: Any, names: tuple[str, ...]) -> Any:
    """``args`` with each string masked, in the same shape (a formatter may unpack them,
    as uvicorn's access formatter does; gunicorn passes a dict of its log atoms)."""
    if isinstance(args, tuple):
        return tuple(redact_text(a, extra_names=names) if isinstance(a, str) else a for a in args)
    if isinstance(args, MutableMapping):  # a copy of the same class (its own lookups)
        masked = copy.copy(args)
        for key, value in args.items():
            if isinstance(value, str):
                masked[key] = redact_text(value, extra_names=names)
        return masked
    if isinstance(args, Mapping):
        return {
            k: redact_text(v, extra_names=names) if isinstance(v, str) else v
            for k, v in args.items()
        }
    return args


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record with its secrets masked; never drops a record.

    A record with nothing to mask is left as it is. Otherwise its message template and
    each string argument are masked in place, so formatters that read ``record.args``
    keep working; if the message still holds a secret (one split between the template
    and an argument, or inside an argument that is not a string), the record becomes its
    masked message with no arguments.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        names = sensitive_parameter_names()
        message = _message(record)
        if message is None:  # a broken format string: keep the raw message, masked
            record.msg = redact_text(str(record.msg), extra_names=names)
            record.args = None
        else:
            masked = redact_text(message, extra_names=names)
            if masked != message:
                if isinstance(record.msg, str):
                    record.msg = redact_text(record.msg, extra_names=names)
                record.args = _redact_args(record.args, names)
                again = _message(record)
                if again is None or redact_text(again, extra_names=names) != again:
                    record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, extra_names=names)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, extra_names=names)
        return True


def _message(record: logging.LogRecord) -> str | None:
    try:
        return record.getMessage()
    except Exception:
        return None


def install_redaction(logger_names: Iterable[str] | None = None) -> list[str]:
    """Attach :class:`RedactSecretsFilter` to each named logger and to the handlers it has
    now (once each); the names it was attached to.

    ``logger_names`` defaults to ``AUTHGATE["REDACT_LOGGERS"]``, read when this runs
    (Django's start-up). A logger's filter sees every record logged on that logger before
    any handler, wherever the handlers are attached; a handler's filter also sees the
    records of the logger's children. The filter stays when logging is configured again
    (``dictConfig`` replaces handlers, not filters).
    """
    if logger_names is None:
        logger_names = _configured_names()
    installed = []
    for name in logger_names:
        logger = logging.getLogger(name)
        for holder in (logger, *logger.handlers):
            if not any(isinstance(f, RedactSecretsFilter) for f in holder.filters):
                holder.addFilter(RedactSecretsFilter())
        installed.append(name)
    return installed


def _configured_names() -> tuple[str, ...]:
    from django.core.exceptions import ImproperlyConfigured

    from authgate.conf import ChainSettings, chain_settings

    try:
        return chain_settings().redact_loggers
    except ImproperlyConfigured:  # a wrong setting: the system check says so; mask anyway
        default = dict(ChainSettings.specs())["redact_loggers"].default
        return tuple(default)
