"""``manage.py authgate import-drf-tokens`` / ``import-knox-tokens`` / ``import-api-keys``.

Each prints what it did and what is left to do (the setting that makes the imported
credentials authenticate, and the keyword clients send); see docs/howto/migrate.md. The
work is in :mod:`authgate.schemes.tokens.legacy_import`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from authgate.management.base import Subcommand
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.legacy import API_KEY_KEYWORD
from authgate.schemes.tokens.legacy_import import (
    import_api_keys,
    import_drf_tokens,
    import_knox_tokens,
)
from authgate.schemes.tokens.settings import token_settings

__all__ = ["LEGACY_SUBCOMMANDS"]

_TOKEN_BACKEND = "authgate.schemes.tokens.backend.TokenBackend"  # noqa: S105 (a path)


def _next_steps(command: BaseCommand, setting: str, accepted: bool, keyword: str) -> None:
    """Tell what is missing for the imported credentials to authenticate (on stderr)."""
    from authgate.checks import setting_value

    if not accepted:
        command.stderr.write(
            f"Set AUTHGATE['{setting}'] = True so the imported credentials authenticate."
        )
    if _TOKEN_BACKEND not in (setting_value("BACKENDS") or []):
        command.stderr.write(f"Add {_TOKEN_BACKEND!r} to AUTHGATE['BACKENDS'].")
    keywords = {k.lower() for k in token_settings().keywords}
    if keyword.lower() != API_KEY_KEYWORD.lower() and keyword.lower() not in keywords:
        command.stderr.write(
            f"Clients send 'Authorization: {keyword} …': add {keyword!r} to "
            "AUTHGATE['TOKEN_KEYWORDS']."
        )


def _drf_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--expires-in",
        help="Give the imported keys a lifetime, e.g. 180d (default: never, as in DRF).",
    )
    parser.add_argument(
        "--delete", action="store_true", help="Delete the plaintext DRF rows afterwards."
    )


def _drf(command: BaseCommand, **options: Any) -> None:
    expires_in = None
    if options["expires_in"]:
        try:
            expires_in = tokens.parse_lifetime(options["expires_in"])
        except tokens.TokenError as exc:
            raise CommandError(str(exc)) from None
    try:
        result = import_drf_tokens(expires_in=expires_in, delete=options["delete"])
    except tokens.TokenError as exc:
        raise CommandError(str(exc)) from None
    command.stdout.write(f"Imported {result.imported} DRF token(s) ({result}).")
    _next_steps(command, "TOKEN_ACCEPT_DRF_KEYS", token_settings().accept_drf_keys, "Token")


def _knox_arguments(parser: CommandParser) -> None:
    pass


def _knox(command: BaseCommand, **options: Any) -> None:
    from django.conf import settings

    result = import_knox_tokens()
    command.stdout.write(f"Imported {result.imported} knox token(s) ({result}).")
    keyword = (getattr(settings, "REST_KNOX", None) or {}).get("AUTH_HEADER_PREFIX", "Token")
    _next_steps(command, "TOKEN_ACCEPT_KNOX_TOKENS", token_settings().accept_knox_tokens, keyword)


def _api_keys_arguments(parser: CommandParser) -> None:
    owner = parser.add_mutually_exclusive_group(required=True)
    owner.add_argument("--user", help="The (service) user every imported key belongs to.")
    owner.add_argument(
        "--create-users",
        metavar="PREFIX",
        help="Create a user per key, named PREFIX + the key's prefix (e.g. 'svc-').",
    )


def _api_keys(command: BaseCommand, **options: Any) -> None:
    result = import_api_keys(username=options["user"], create_users=options["create_users"])
    command.stdout.write(f"Imported {result.imported} API key(s) ({result}).")
    _next_steps(command, "TOKEN_ACCEPT_API_KEYS", token_settings().accept_api_keys, API_KEY_KEYWORD)


LEGACY_SUBCOMMANDS = [
    Subcommand(
        "import-drf-tokens",
        "Carry rest_framework.authtoken keys over (clients keep them).",
        _drf_arguments,
        _drf,
    ),
    Subcommand(
        "import-knox-tokens",
        "Carry django-rest-knox tokens over (clients keep them).",
        _knox_arguments,
        _knox,
    ),
    Subcommand(
        "import-api-keys",
        "Carry djangorestframework-api-key keys over (clients keep them).",
        _api_keys_arguments,
        _api_keys,
    ),
]
