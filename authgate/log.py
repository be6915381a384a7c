"""A logging filter that masks credentials in every record that passes through it.

Attach it to your handlers:
``"filters": {"redact": {"()": "authgate.log.RedactSecretsFilter"}}``.
It masks ``Authorization``/``Cookie``-style headers, ``name=value`` pairs with sensitive
names (including the configured token query parameters), and anything shaped like an
authgate token, in the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import logging

from authgate.core.redaction import redact_text

__all__ = ["RedactSecretsFilter", "sensitive_parameter_names"]


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


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record with its secrets masked; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        names = sensitive_parameter_names()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw message, masked
            message = str(record.msg)
        record.msg = redact_text(message, extra_names=names)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, extra_names=names)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, extra_names=names)
        return True
