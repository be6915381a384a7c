"""Telling a credential's owner it leaked and was revoked: an e-mail, then a signal.

The e-mail (``authgate/leaks_email_subject.txt`` / ``authgate/leaks_email.txt``, override
them in your templates) says which credential (its display prefix or id, never the
secret), where it was found, that it no longer works and what to do next. It goes to the
user's e-mail field through Django's ``send_mail`` from ``DEFAULT_FROM_EMAIL``, unless
``LEAKS_NOTIFY_OWNER`` is off or the user has no address. Then
:data:`authgate.signals.credential_leaked` is sent, for other channels.

Callers send at most one notification per revoked credential: :func:`authgate.leaks.values.
revoke` answers ``True`` once per credential, whichever worker and however many reports.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from authgate.leaks.settings import leak_settings
from authgate.leaks.values import Finding
from authgate.signals import credential_leaked

__all__ = ["KIND_NAMES", "notify_owner"]

logger = logging.getLogger(__name__)

#: How the e-mail names each kind of credential.
KIND_NAMES = {"api_token": "API token", "scoped": "scoped token", "link": "login link"}

SUBJECT_TEMPLATE = "authgate/leaks_email_subject.txt"
BODY_TEMPLATE = "authgate/leaks_email.txt"


def notify_owner(finding: Finding, *, where: str, source: str) -> bool:
    """E-mail the owner of a credential just revoked because it leaked, then send the
    signal; ``True`` if an e-mail was sent. A failing mail server is logged, not raised:
    the revocation, which matters more, is already done."""
    user = finding.user
    sent = False
    address = _address(user)
    if leak_settings().notify_owner and address:
        context = {
            "user": user,
            "kind": KIND_NAMES.get(finding.kind, finding.kind),
            "credential_id": finding.credential_id,
            "where": where,
            "source": source,
            "when": timezone.now(),
            "signed": finding.token is None,
        }
        subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines())
        body = render_to_string(BODY_TEMPLATE, context)
        try:
            send_mail(subject, body, None, [address])
            sent = True
        except Exception as exc:  # any mail backend's error: SMTP, socket, …
            logger.error("Could not e-mail the owner of leaked %s (%s)", finding.credential_id, exc)
    credential_leaked.send(
        sender=finding.kind,
        user=user,
        credential_kind=finding.kind,
        credential_id=finding.credential_id,
        where=where,
        source=source,
    )
    return sent


def _address(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, get_user_model().get_email_field_name(), "") or "")
