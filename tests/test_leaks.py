"""No credential in any log record or error report, around a failing request and a 500."""

import base64
import logging

import pytest
from django.core import mail
from django.test import override_settings

from authgate.log import RedactSecretsFilter

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse"
BAD_PASSWORD = "Tr0ub4dor&3-wrong"
SESSION_SECRET = "sessionid-value-must-not-leak"


class Capture(logging.Handler):
    """Keeps every formatted record, after the redaction filter, as a handler would emit it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RedactSecretsFilter())
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured():
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


# tests/settings.py configures authgate's reporter and filter, as a deployment would.
@override_settings(ADMINS=[("Ops", "ops@example.com")])
def test_no_credential_in_logs_or_error_reports(client, user, captured):
    from django.utils.log import AdminEmailHandler

    admin_handler = AdminEmailHandler(include_html=True)
    admin_handler.setLevel(logging.ERROR)  # as in Django's default LOGGING
    logging.getLogger("django.request").addHandler(admin_handler)
    client.raise_request_exception = False
    try:
        good = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        bad = "Basic " + base64.b64encode(f"alice:{BAD_PASSWORD}".encode()).decode()
        # A failing request with a wrong password, and a 500 from an authenticated view.
        assert (
            client.get("/api/whoami/?api_key=qs-secret-1", HTTP_AUTHORIZATION=bad).status_code
            == 401
        )
        client.cookies["sessionid"] = SESSION_SECRET
        response = client.get(
            "/t/boom/?sesame=qs-secret-2&TOKEN=qs-secret-3", HTTP_AUTHORIZATION=good
        )
        assert response.status_code == 500
    finally:
        logging.getLogger("django.request").removeHandler(admin_handler)

    assert captured.lines, "expected the failing requests to be logged"
    # Django's default mail_admins handler and ours (which adds the HTML report) both send.
    assert mail.outbox, "expected an error e-mail for the 500"
    haystacks = list(captured.lines)
    for report in mail.outbox:
        haystacks += [report.subject, report.body]
        haystacks += [content for content, _ in getattr(report, "alternatives", [])]
    assert any("<html" in str(text) for text in haystacks), "expected an HTML report"
    secrets = [
        PASSWORD,
        BAD_PASSWORD,
        good.split()[1],
        bad.split()[1],
        SESSION_SECRET,
        "qs-secret-1",
        "qs-secret-2",
        "qs-secret-3",
        "the-password-in-a-local",
    ]
    for text in haystacks:
        for secret in secrets:
            assert secret not in str(text), f"{secret!r} leaked"
    # The report is still useful: it names the exception and the view's path.
    assert "RuntimeError" in mail.outbox[0].body
    assert "/t/boom/" in mail.outbox[0].body
