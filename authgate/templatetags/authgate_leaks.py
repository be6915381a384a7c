"""``{{ token.revoked_reason|leak_where }}``: where a leaked token was found, or ``None``.

The token pages show it apart from the reason (a link when it is a URL), so the owner sees
at a glance that the token was exposed and where to clean up.
"""

from __future__ import annotations

from django import template

from authgate.leaks.reasons import found_at

register = template.Library()


@register.filter
def leak_where(reason: str) -> str | None:
    """Where the credential was found, read from its revocation reason."""
    return found_at(reason or "")


@register.filter
def is_web_address(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (shown as a link; anything else as text)."""
    return isinstance(text, str) and text.lower().startswith(("https://", "http://"))
