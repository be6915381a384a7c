"""A suite-wide check that no issued secret reaches a log record, an error report or a mail.

``tests/conftest.py`` installs one :class:`LeakCheck` for the whole session: it hooks the
places where authgate creates a plaintext secret (the opaque token generator, the scoped and
link token codecs) and ``make_password``, and it keeps every log record (raw and as
:class:`authgate.log.RedactSecretsFilter` leaves it), every error report the configured
reporter would put in an e-mail, and every e-mail sent. At the end of the session it asserts
that no secret appears in any of them.

What is checked:

* authgate's and Django's own records **before** redaction: authgate must not need the
  filter to keep its own secrets out of its logs;
* every record (any logger, tests included) **after** the filter, as a deployment's handler
  would emit it; the error report the configured reporter makes for every logged 500, and
  every e-mail to the admins or managers. (Other e-mails are a delivery channel: a
  magic-link e-mail carries its token on purpose.)

Secrets shorter than :data:`MIN_SECRET_LENGTH` (the tests' ``"pw"`` passwords) are not
tracked: they would match by accident. Matching is by fixed-length anchors, so the check
stays linear in the amount of text whatever the number of secrets.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MIN_SECRET_LENGTH", "LeakCheck", "Leak"]

MIN_SECRET_LENGTH = 10
_ANCHOR = MIN_SECRET_LENGTH
_RAW_LOGGERS = ("authgate", "django", "notes", "demo")


@dataclass(frozen=True)
class Leak:
    secret_kind: str
    where: str
    excerpt: str


@dataclass
class LeakCheck:
    """Collects secrets and texts; :meth:`find_leaks` cross-checks them."""

    secrets: dict[str, str] = field(default_factory=dict)  # secret -> kind
    texts: dict[str, str] = field(default_factory=dict)  # text -> where (deduplicated)
    records: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    # --- secrets --------------------------------------------------------------------

    def add_secret(self, value: object, kind: str) -> None:
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self.secrets.setdefault(value, kind)
            # The secret without its prefix is a secret too (e.g. a log that strips "agt_").
            head, sep, rest = value.partition("_")
            if sep and len(head) <= 10 and len(rest) >= MIN_SECRET_LENGTH:
                self.secrets.setdefault(rest, kind + " (without prefix)")

    def _wrap(self, owner: Any, name: str, kind: str, result: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = original(*args, **kwargs)
            self.add_secret(result(value), kind)
            return value

        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    def hook_issuers(self) -> None:
        """Register every plaintext authgate creates, wherever the call comes from.

        Hooked at the codecs (looked up as module attributes at each call), so tokens made
        by ``tokens.issue``, ``rotate``, ``scoped.issue``, ``links.get_token``, the views,
        the admin and the management commands are all seen.
        """
        from authgate.core import links_v1, opaque, scoped_v1

        self._wrap(opaque, "generate", "API token", lambda value: value)
        self._wrap(scoped_v1, "create", "scoped token", lambda value: value)
        self._wrap(links_v1, "create", "magic-link token", lambda value: value)

        # Passwords: every place Django hashes one looks make_password up by name.
        from django.contrib.auth import base_user, hashers
        from django.contrib.auth import models as auth_models

        for module in (hashers, base_user, auth_models):
            if hasattr(module, "make_password"):
                self._wrap_arg(module, "make_password", "password")

    def _wrap_arg(self, owner: Any, name: str, kind: str) -> None:
        original = getattr(owner, name)

        def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
            self.add_secret(value, kind)
            return original(value, *args, **kwargs)

        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    # --- texts ----------------------------------------------------------------------

    def add_text(self, text: object, where: str) -> None:
        if not isinstance(text, str) or len(text) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self.texts.setdefault(text, where)

    def handler(self) -> logging.Handler:
        return _CaptureHandler(self)

    def hook_mail(self) -> None:
        """Keep every e-mail to the site's admins and managers (error reports).

        Other e-mails are a delivery channel: a magic-link e-mail carries its token on
        purpose, so it is not a leak.
        """
        from django.core import mail

        for name in ("mail_admins", "mail_managers"):
            original = getattr(mail, name)

            def send(
                subject: Any, message: Any, *args: Any, _original: Any = original, **kwargs: Any
            ) -> Any:
                html = kwargs.get("html_message") or (args[1] if len(args) > 1 else "")
                self.add_text(f"{subject}\n{message}\n{html or ''}", "e-mail to admins")
                return _original(subject, message, *args, **kwargs)

            setattr(mail, name, send)
            self._undo.append(lambda name=name, original=original: setattr(mail, name, original))

    @contextmanager
    def installed(self) -> Iterator[LeakCheck]:
        handler = self.handler()
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        # Records below the root level would never reach a handler; authgate logs at DEBUG
        # (tests/settings.py), so capture what its loggers emit.
        try:
            yield self
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            while self._undo:
                self._undo.pop()()

    # --- the check ------------------------------------------------------------------

    def find_leaks(self) -> list[Leak]:
        with self._lock:
            secrets = dict(self.secrets)
            texts = dict(self.texts)
        anchors: dict[str, list[str]] = {}
        for secret in secrets:
            anchors.setdefault(secret[:_ANCHOR], []).append(secret)
        leaks = []
        for text, where in texts.items():
            for index in range(len(text) - _ANCHOR + 1):
                candidates = anchors.get(text[index : index + _ANCHOR])
                if not candidates:
                    continue
                for secret in candidates:
                    if text.startswith(secret, index):
                        excerpt = text[max(0, index - 60) : index + len(secret) + 20]
                        leaks.append(Leak(secrets[secret], where, excerpt))
        return leaks

    def forget_texts(self, predicate: Callable[[str], bool]) -> None:
        """Drop captured texts (used by the test that plants a leak on purpose)."""
        with self._lock:
            for text in [t for t in self.texts if predicate(t)]:
                del self.texts[text]


class _CaptureHandler(logging.Handler):
    _formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def __init__(self, check: LeakCheck) -> None:
        super().__init__(level=logging.DEBUG)
        self.check = check

    def emit(self, record: logging.LogRecord) -> None:
        from authgate.log import RedactSecretsFilter

        try:
            self.check.records += 1
            if record.name.startswith(_RAW_LOGGERS):
                raw = copy.copy(record)
                self.check.add_text(self._formatter.format(raw), f"log record {record.name} (raw)")
            filtered = copy.copy(record)
            RedactSecretsFilter().filter(filtered)
            self.check.add_text(self._formatter.format(filtered), f"log record {record.name}")
            self._error_report(record)
        except Exception:  # a capture must never break the code under test
            self.handleError(record)

    def _error_report(self, record: logging.LogRecord) -> None:
        """The report ``AdminEmailHandler`` would send for this record, if it would."""
        request = getattr(record, "request", None)
        if record.levelno < logging.ERROR or not record.exc_info or request is None:
            return
        from django.views.debug import get_exception_reporter_class

        # (request, exc_type, exc_value, tb, is_email): AdminEmailHandler's call, which sends
        # the text report and, with include_html, the HTML one.
        reporter = get_exception_reporter_class(request)(request, *record.exc_info, is_email=True)
        self.check.add_text(reporter.get_traceback_text(), f"error report {record.name}")
        self.check.add_text(reporter.get_traceback_html(), f"HTML error report {record.name}")
