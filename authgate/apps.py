"""The Django app: registers system checks and signal handlers when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class AuthgateConfig(AppConfig):
    name = "authgate"
    verbose_name = "authgate"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from authgate import checks, scope_checks  # noqa: F401  (register the system checks)

        # Revoke API tokens on deactivation / password change (see authgate.receivers).
        from authgate.receivers import connect

        # check --deploy: django-sesame settings still read under their old names.
        from authgate.schemes.links import checks as link_checks  # noqa: F401

        # check --database: DRF keys still being created after the import.
        from authgate.schemes.tokens import legacy_checks  # noqa: F401

        connect()

        # Credentials in URLs are masked in the access logs and django.request by default
        # (AUTHGATE["REDACT_LOGGERS"]; [] opts out).
        from authgate.log import install_redaction

        install_redaction()

        # drf-spectacular finds extensions by import: declare the chain's security schemes.
        from django.apps import apps

        if apps.is_installed("drf_spectacular"):
            import authgate.contrib.spectacular  # noqa: F401
