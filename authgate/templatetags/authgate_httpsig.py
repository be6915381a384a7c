"""``{% httpsig_enabled as flag %}``: whether the signature-key page applies (nav links)."""

from __future__ import annotations

from django import template

from authgate.schemes.httpsig.service import backend_enabled

register = template.Library()


@register.simple_tag
def httpsig_enabled() -> bool:
    """True when ``HTTPSignatureBackend`` is in ``AUTHGATE["BACKENDS"]``."""
    return backend_enabled()
