"""``manage.py authgate …`` for API tokens: issue, list, revoke, revoke-all, rotate, cleanup,
flush-usage, and the imports of other packages' credentials (``legacy_commands``).

``issue`` and ``rotate`` print details first and the plaintext token as the **last line**
of stdout, so ``TOKEN=$(manage.py authgate issue alice | tail -n 1)`` works. Tokens are
named by their display prefix (``agt_AbC123``) or their id; ``revoke`` and ``rotate`` also
take the whole secret (say, one found in a log), which is looked up by digest and never
printed back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from authgate.core import opaque
from authgate.management.base import Subcommand, user_by_username
from authgate.schemes.tokens import legacy, usage
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.legacy_commands import LEGACY_SUBCOMMANDS
from authgate.schemes.tokens.legacy_import import import_drf_tokens
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import token_settings

__all__ = ["SUBCOMMANDS", "import_drf_tokens"]

# import-drf-tokens, import-knox-tokens, import-api-keys: authgate.schemes.tokens.legacy_commands.


def _token(ref: str) -> APIToken:
    """A token by display prefix (``agt_AbC123``), primary key, or the whole secret."""
    tokens_with_user = APIToken.objects.select_related("user")
    if opaque.parse(ref, prefixes=(token_settings().prefix,)) is not None:
        try:
            return tokens_with_user.get(digest=opaque.digest(ref))
        except APIToken.DoesNotExist:
            raise CommandError("No API token has that secret.") from None
    matches = list(tokens_with_user.filter(display_prefix=ref)[:2])
    if not matches and ref.isdigit():
        matches = list(tokens_with_user.filter(pk=int(ref)))
    if not matches:
        # Echo short references only: a long one may be a mistyped secret.
        named = repr(ref) if len(ref) <= _ECHO_LIMIT else "with that reference"
        raise CommandError(
            f"No API token {named} (give its prefix, e.g. agt_AbC123, its id, or the token)."
        )
    if len(matches) > 1:
        raise CommandError(f"Several tokens start with {ref!r}: give the id (see `list`).")
    return matches[0]


_REFERENCE_HELP = "Display prefix (agt_AbC123), id, or the token itself."
#: Longest reference echoed in errors: a display prefix with a long custom prefix fits.
_ECHO_LIMIT = 24


def _duration(text: str | None) -> Any:
    if text is None:
        return tokens.DEFAULT
    try:
        return tokens.parse_lifetime(text)
    except tokens.TokenError as exc:
        raise CommandError(str(exc)) from None


def _describe(command: BaseCommand, token: APIToken) -> None:
    scopes = " ".join(token.scopes) if token.scopes is not None else "(all of the user's rights)"
    expires = token.expires.isoformat(timespec="seconds") if token.expires else "never"
    command.stdout.write(
        f"API token {token.display_prefix}… (id {token.pk}) for {token.user.get_username()}\n"
        f"  name:    {token.name or '-'}\n  scopes:  {scopes}\n  expires: {expires}"
    )
    if token.allowed_ips:
        command.stdout.write(f"  from:    {' '.join(token.allowed_ips)}")
    if token.max_uses is not None:
        command.stdout.write(f"  uses:    at most {token.max_uses}")
    if token.dpop_jkt:
        command.stdout.write(f"  dpop:    bound to the key {token.dpop_jkt} (send it as DPoP)")
    command.stdout.write("The token is shown once; store it now:")


# --- issue ------------------------------------------------------------------------------


def _issue_arguments(parser: CommandParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--name", default="", help="What the token is for.")
    parser.add_argument("--note", default="")
    parser.add_argument(
        "--scope", action="append", dest="scopes", metavar="SCOPE", help="Repeatable."
    )
    parser.add_argument("--expires-in", help="e.g. 30d, 12h, or 'never' (if allowed).")
    parser.add_argument("--policy", type=Path, metavar="FILE", help="A djblets policy (JSON).")
    parser.add_argument(
        "--allow-ip", action="append", dest="allowed_ips", metavar="CIDR", help="Repeatable."
    )
    parser.add_argument("--max-uses", type=int, help="1 makes a one-time token.")
    parser.add_argument(
        "--dpop-jkt",
        metavar="THUMBPRINT",
        help="Bind the token to a client key (RFC 9449 DPoP): its RFC 7638 SHA-256 thumbprint.",
    )


def _issue(command: BaseCommand, **options: Any) -> None:
    user = user_by_username(options["username"])
    policy = None
    if options["policy"]:
        try:
            policy = json.loads(options["policy"].read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the policy file: {exc}") from None
    try:
        token, plaintext = tokens.issue(
            user,
            name=options["name"],
            note=options["note"],
            scopes=options["scopes"],
            policy=policy,
            expires_in=_duration(options["expires_in"]),
            allowed_ips=options["allowed_ips"],
            max_uses=options["max_uses"],
            dpop_jkt=options["dpop_jkt"],
        )
    except tokens.TokenError as exc:
        raise CommandError(str(exc)) from None
    _describe(command, token)
    command.stdout.write(plaintext)


# --- list -------------------------------------------------------------------------------


def _list_arguments(parser: CommandParser) -> None:
    parser.add_argument("--user", help="Only this user's tokens.")
    parser.add_argument("--all", action="store_true", help="Include revoked and expired ones.")
    parser.add_argument(
        "--legacy",
        action="store_true",
        help="Only imported DRF, knox and api-key credentials, with their format and uses.",
    )


def _list(command: BaseCommand, **options: Any) -> None:
    now = timezone.now()
    rows = APIToken.objects.select_related("user").order_by("created", "pk")
    if options["user"]:
        rows = rows.filter(user=user_by_username(options["user"]))
    if not options["all"]:
        rows = rows.live(now)
    if options["legacy"]:
        rows = rows.exclude(token_format=APIToken.Format.OPAQUE)
    command.stdout.write(
        f"{'id':>5}  {'prefix':<16} {'user':<16} {'status':<9} {'expires':<20} "
        f"{'last used':<20} "
        + (f"{'format':<7} {'uses':>6}  " if options["legacy"] else "")
        + "name / scopes"
    )
    for token in rows:
        expires = token.expires.isoformat(timespec="minutes")[:16] if token.expires else "never"
        last = token.last_used.isoformat(timespec="minutes")[:16] if token.last_used else "-"
        scopes = " ".join(token.scopes) if token.scopes is not None else "*"
        counted = ""
        if options["legacy"]:
            uses = legacy.uses(token)
            counted = f"{token.token_format:<7} {uses if uses is not None else '?':>6}  "
        command.stdout.write(
            f"{token.pk:>5}  {token.display_prefix:<16} {token.user.get_username():<16.16} "
            f"{token.status(now):<9} {expires:<20} {last:<20} {counted}"
            f"{token.name or '-'} [{scopes}]"
        )


# --- revoke, revoke-all, rotate ---------------------------------------------------------


def _revoke_arguments(parser: CommandParser) -> None:
    parser.add_argument("token", help=_REFERENCE_HELP)
    parser.add_argument("--reason", default="Revoked from the command line")


def _revoke(command: BaseCommand, **options: Any) -> None:
    token = _token(options["token"])
    try:
        revoked = tokens.revoke(token, options["reason"])
    except tokens.TokenCacheUnreachable as exc:
        raise CommandError(f"{token.display_prefix} is revoked in the database. {exc}") from None
    if not revoked:
        raise CommandError(f"{token.display_prefix} was already revoked.")
    command.stdout.write(f"Revoked {token.display_prefix} ({token.user.get_username()}).")


def _revoke_all_arguments(parser: CommandParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--reason", default="Logged out everywhere from the command line")


def _revoke_all(command: BaseCommand, **options: Any) -> None:
    user = user_by_username(options["username"])
    try:
        count = tokens.revoke_all(user, options["reason"])
    except tokens.TokenCacheUnreachable as exc:
        name = user.get_username()
        raise CommandError(f"{name}'s tokens are revoked in the database. {exc}") from None
    command.stdout.write(
        f"Revoked {count} API token(s) of {user.get_username()}, and every signed scoped "
        f"token and magic link issued to them."
    )


def _rotate_arguments(parser: CommandParser) -> None:
    parser.add_argument("token", help=_REFERENCE_HELP)
    parser.add_argument(
        "--overlap", default="0s", help="How long the old token keeps working, e.g. 1h."
    )
    parser.add_argument("--expires-in", help="Lifetime of the new token (default: the old one's).")


def _rotate(command: BaseCommand, **options: Any) -> None:
    old = _token(options["token"])
    overlap = _duration(options["overlap"])
    if overlap is None or overlap is tokens.DEFAULT:
        raise CommandError("--overlap needs a duration such as 0s, 10m or 1h.")
    try:
        new, plaintext = tokens.rotate(
            old, overlap=overlap, expires_in=_duration(options["expires_in"])
        )
    except tokens.TokenError as exc:
        raise CommandError(str(exc)) from None
    if old.revoked_at is None:  # rotate() sets it on the token it is given
        raise CommandError(f"{old.display_prefix} was not rotated.")
    command.stdout.write(
        f"{old.display_prefix} stops working at {old.revoked_at.isoformat(timespec='seconds')}."
    )
    _describe(command, new)
    command.stdout.write(plaintext)


# --- cleanup ----------------------------------------------------------------------------


def _cleanup_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--older-than", default="30d", help="Keep dead tokens this long for the record (30d)."
    )


def _cleanup(command: BaseCommand, **options: Any) -> None:
    older_than = _duration(options["older_than"])
    if older_than is None or older_than is tokens.DEFAULT:
        raise CommandError("--older-than needs a duration such as 30d.")
    counts = tokens.cleanup(older_than)
    command.stdout.write(
        f"Deleted {counts['tokens']} expired or revoked API token(s) and "
        f"{counts['used_one_time_tokens']} expired one-time-use record(s)."
    )


# --- flush-usage -------------------------------------------------------------------------


def _flush_usage_arguments(parser: CommandParser) -> None:
    pass


def _flush_usage(command: BaseCommand, **options: Any) -> None:
    """Write this process's buffered uses now (:mod:`authgate.schemes.tokens.usage`).

    Every server process writes its own buffer each ``TOKEN_USAGE_FLUSH_INTERVAL`` and on
    a clean exit, so a shell has nothing to write: this is for processes that authenticate
    tokens in-process and then end or freeze without running ``atexit`` (a job runner, a
    serverless handler: ``call_command("authgate", "flush-usage")``).
    """
    try:
        written = usage.flush()
    except DatabaseError as exc:
        raise CommandError(
            f"Writing last_used failed ({type(exc).__name__}); the uses are kept for the "
            "next flush."
        ) from exc
    interval = token_settings().usage_flush_interval
    how = (
        f"each process writes its uses every {interval.total_seconds():g} s and on exit"
        if interval
        else "uses are written on the request path (TOKEN_USAGE_FLUSH_INTERVAL = None)"
    )
    command.stdout.write(f"last_used written for {written} token(s) of this process; {how}.")


SUBCOMMANDS = [
    Subcommand(
        "issue", "Issue an API token; the token is the last line.", _issue_arguments, _issue
    ),
    Subcommand("list", "List API tokens (live ones unless --all).", _list_arguments, _list),
    Subcommand("revoke", "Revoke one API token.", _revoke_arguments, _revoke),
    Subcommand(
        "revoke-all",
        "Log a user out everywhere: revoke every token and link.",
        _revoke_all_arguments,
        _revoke_all,
    ),
    Subcommand("rotate", "Replace an API token, with an overlap.", _rotate_arguments, _rotate),
    Subcommand("cleanup", "Delete long-dead API tokens.", _cleanup_arguments, _cleanup),
    *LEGACY_SUBCOMMANDS,
    Subcommand(
        "flush-usage",
        "Write this process's buffered API-token uses (last_used) now.",
        _flush_usage_arguments,
        _flush_usage,
    ),
]
