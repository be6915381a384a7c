"""``manage.py authgate add-key | list-keys | revoke-key | reseal-keys``: HTTP signature keys.

::

    manage.py authgate add-key alice --algorithm ed25519 --public-key client.pub --name CI
    manage.py authgate add-key alice --hmac --name "legacy job"     # secret: last line
    manage.py authgate list-keys [--user alice] [--all]
    manage.py authgate revoke-key agk_AbC123…
    manage.py authgate reseal-keys          # after rotating SECRET_KEY, before dropping the old

``add-key`` prints the key id as the last line of stdout (``KEYID=$(… | tail -n 1)``); with
``--hmac`` the last two lines are the key id and the shared secret, shown this once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from authgate.management.base import Subcommand, user_by_username
from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.models import HTTPSignatureKey

__all__ = ["SUBCOMMANDS"]

_ASYMMETRIC = [
    value
    for value in HTTPSignatureKey.Algorithm.values
    if value != HTTPSignatureKey.Algorithm.HMAC_SHA256
]


def _add_arguments(parser: CommandParser) -> None:
    parser.add_argument("username", help="The user the key signs for.")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="The client's public key, PEM or JWK ('-' reads stdin).",
    )
    kind.add_argument(
        "--hmac", action="store_true", help="Create an hmac-sha256 key; prints its secret once."
    )
    parser.add_argument(
        "--algorithm", choices=_ASYMMETRIC, help="The one algorithm the public key is used with."
    )
    parser.add_argument("--name", default="", help="What the key is for.")


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None


def _add(command: BaseCommand, **options: Any) -> None:
    user = user_by_username(options["username"], active=True)
    out = command.stdout
    if options["hmac"]:
        if options["algorithm"]:
            raise CommandError("--algorithm is for public keys; --hmac keys are hmac-sha256.")
        key, secret = signature_keys.create_hmac_key(user, name=options["name"])
        out.write(f"hmac-sha256 key for {user.get_username()}; the secret is shown once:")
        out.write(key.keyid)
        out.write(secret)
        return
    if not options["algorithm"]:
        raise CommandError(f"Give --algorithm for a public key: one of {', '.join(_ASYMMETRIC)}.")
    try:
        key = signature_keys.register_public_key(
            user,
            algorithm=options["algorithm"],
            public_key=_read(options["public_key"]),
            name=options["name"],
        )
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    out.write(f"{key.algorithm} key for {user.get_username()}; sign with keyid:")
    out.write(key.keyid)


def _list_arguments(parser: CommandParser) -> None:
    parser.add_argument("--user", help="Only this user's keys.")
    parser.add_argument("--all", action="store_true", help="Include revoked and expired keys.")


def _list(command: BaseCommand, **options: Any) -> None:
    rows = HTTPSignatureKey.objects.select_related("user").order_by("created")
    if options["user"]:
        rows = rows.filter(user=user_by_username(options["user"]))
    if not options["all"]:
        rows = rows.live()
    command.stdout.write(f"{'keyid':<22} {'user':<16} {'algorithm':<18} {'status':<8} name")
    for key in rows:
        status = "live" if key.is_live() else "dead"
        command.stdout.write(
            f"{key.keyid:<22} {key.user.get_username():<16.16} {key.algorithm:<18} "
            f"{status:<8} {key.name}"
        )


def _revoke_arguments(parser: CommandParser) -> None:
    parser.add_argument("keyid", help="The key id (agk_…).")


def _revoke(command: BaseCommand, **options: Any) -> None:
    try:
        key = HTTPSignatureKey.objects.get(keyid=options["keyid"])
    except HTTPSignatureKey.DoesNotExist:
        raise CommandError(f"No signature key {options['keyid']!r}.") from None
    if not key.is_live():
        raise CommandError(f"{key.keyid} is already revoked or expired.")
    signature_keys.revoke(key)
    command.stdout.write(f"Revoked signature key {key.keyid}.")


def _reseal(command: BaseCommand, **options: Any) -> None:
    resealed, unopenable = signature_keys.reseal_secrets()
    command.stdout.write(f"Sealed {resealed} HMAC secret(s) again under SECRET_KEY.")
    if unopenable:
        raise CommandError(
            f"{unopenable} HMAC secret(s) open with no key of SECRET_KEY and "
            "SECRET_KEY_FALLBACKS, so those keys cannot verify: put the retired key back in "
            "SECRET_KEY_FALLBACKS and run this again, or revoke them and issue new ones."
        )


SUBCOMMANDS = [
    Subcommand(
        "add-key",
        "Register a client's public key (or create an HMAC key) for HTTP Message Signatures.",
        _add_arguments,
        _add,
    ),
    Subcommand(
        "list-keys",
        "List HTTP Message Signature keys (live ones unless --all).",
        _list_arguments,
        _list,
    ),
    Subcommand("revoke-key", "Revoke an HTTP Message Signature key.", _revoke_arguments, _revoke),
    Subcommand(
        "reseal-keys",
        "Seal HMAC key secrets under SECRET_KEY (run before retiring a SECRET_KEY_FALLBACKS key).",
        lambda parser: None,
        _reseal,
    ),
]
