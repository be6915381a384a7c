"""``manage.py authgate scoped``: issue a signed temporary scoped token from the shell.

::

    manage.py authgate scoped alice --allow GET:/api/notes/ --max-age 10m --recipient "CI"

Prints what the token allows, then the token itself as the last line of stdout
(``TOKEN=$(manage.py authgate scoped … | tail -n 1)``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from authgate.core.durations import parse_duration
from authgate.management.base import Subcommand, user_by_username
from authgate.schemes.scoped import service as scoped

__all__ = ["SUBCOMMANDS", "parse_allow"]


def parse_allow(values: list[str]) -> dict[str, list[str]]:
    """``["GET:/api/notes/", "POST:/api/notes/"]`` → ``{"GET": [...], "POST": [...]}``."""
    endpoints: dict[str, list[str]] = {}
    for value in values:
        method, sep, path = value.partition(":")
        if not sep or not method or not path:
            raise ValueError(f"invalid --allow {value!r}: use METHOD:/path/, e.g. GET:/api/notes/")
        paths = endpoints.setdefault(method.strip().upper(), [])
        if path not in paths:
            paths.append(path)
    return endpoints


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("username", help="The user the token acts for.")
    parser.add_argument(
        "--allow",
        action="append",
        required=True,
        metavar="METHOD:PATH",
        help="An allowed method and path prefix, e.g. GET:/api/notes/ (repeatable).",
    )
    parser.add_argument(
        "--max-age",
        default=None,
        help="Lifetime: seconds or 90s, 10m, 1h (default AUTHGATE['SCOPED_DEFAULT_MAX_AGE'], "
        "at most AUTHGATE['SCOPED_MAX_AGE']).",
    )
    parser.add_argument("--recipient", default=None, help="Who the token is for (a note).")
    parser.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        default=None,
        metavar="SCOPE",
        help="Limit the token to this registered scope too (repeatable).",
    )


def handle(command: BaseCommand, **options: Any) -> None:
    user = user_by_username(options["username"], active=True)
    try:
        endpoints = parse_allow(options["allow"])
        max_age: timedelta | None = None
        if options["max_age"] is not None:  # no "never": scoped tokens always expire
            max_age = parse_duration(options["max_age"])
        now = int(datetime.now(tz=UTC).timestamp())
        seconds = scoped.max_age_seconds(max_age)
        token = scoped.issue(
            user,
            endpoints,
            max_age=seconds,
            recipient=options["recipient"],
            scopes=options["scopes"],
            now=now,
        )
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    expires = datetime.fromtimestamp(now + seconds, tz=UTC)
    out = command.stdout
    out.write(f"Scoped token for {user.get_username()} (id {scoped.token_id(token)})")
    for method, paths in endpoints.items():
        out.write(f"  allows {method} {' '.join(paths)}")
    if options["scopes"]:
        out.write(f"  scopes {' '.join(sorted(set(options['scopes'])))}")
    if options["recipient"]:
        out.write(f"  recipient {options['recipient']}")
    out.write(f"  expires {expires.isoformat()} ({seconds} s)")
    out.write(token)


SUBCOMMANDS = [
    Subcommand(
        name="scoped",
        help="Issue a signed temporary scoped token (printed as the last line).",
        add_arguments=add_arguments,
        handle=handle,
    )
]
