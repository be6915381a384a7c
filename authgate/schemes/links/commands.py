"""``manage.py authgate link``: a magic link for a user, from the shell.

::

    manage.py authgate link alice                       # log in, land on /
    manage.py authgate link alice --url /notes/          # log in, land on /notes/
    manage.py authgate link alice --scope report:7 --url /reports/7/

An unscoped link goes through the login view (``authgate:links-login``, with ``next``); a
scoped link opens ``--url`` itself, a view decorated with
``authgate.schemes.links.decorators.authenticate(scope=…)``. The link is the last line of stdout
(``LINK=$(manage.py authgate link alice | tail -n 1)``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from authgate.management.base import Subcommand, user_by_username
from authgate.schemes.links import service as links
from authgate.schemes.links.settings import link_settings

__all__ = ["SUBCOMMANDS"]


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("username", help="The user the link logs in.")
    parser.add_argument(
        "--scope", default="", help="Make the link for this scope only (sesame's scope)."
    )
    parser.add_argument(
        "--url",
        default=None,
        help="Unscoped: where to land after login (default /). Scoped: the page the link "
        "opens (required).",
    )
    parser.add_argument(
        "--base",
        default="http://127.0.0.1:8000",
        help="Scheme and host of the site (default http://127.0.0.1:8000).",
    )


def build_url(*, base: str, token: str, scope: str, url: str | None) -> str:
    """The full link for ``token`` (see the module docstring)."""
    name = link_settings().token_name
    base = base.rstrip("/")
    if scope:
        if not url or not url.startswith("/"):
            raise CommandError("A scoped link needs --url /path/ of the page it opens.")
        separator = "&" if "?" in url else "?"
        return base + url + separator + urlencode({name: token})
    if url is not None and not url.startswith("/"):
        raise CommandError("--url must be a path on the site, starting with '/'.")
    try:
        login_path = reverse("authgate:links-login")
    except NoReverseMatch:
        raise CommandError(
            "The link login view is not mounted: include authgate.urls in your URLconf."
        ) from None
    params = {name: token}
    if url:
        params["next"] = url
    return base + login_path + "?" + urlencode(params)


def handle(command: BaseCommand, **options: Any) -> None:
    user = user_by_username(options["username"], active=True)
    scope = options["scope"] or ""
    token = links.get_token(user, scope)
    url = build_url(base=options["base"], token=token, scope=scope, url=options["url"])
    cfg = link_settings()
    out = command.stdout
    out.write(f"Login link for {user.get_username()}" + (f" (scope {scope})" if scope else ""))
    if cfg.max_age_seconds is not None:
        expires = datetime.now(tz=UTC) + timedelta(seconds=cfg.max_age_seconds)
        out.write(
            f"  expires {expires.replace(microsecond=0).isoformat()} ({cfg.max_age_seconds} s)"
        )
    else:
        out.write("  never expires (until the password changes)")
    if cfg.one_time:
        out.write("  works once")
    out.write(url)


SUBCOMMANDS = [
    Subcommand(
        name="link",
        help="Print a magic login link for a user (the link is the last line).",
        add_arguments=add_arguments,
        handle=handle,
    )
]
