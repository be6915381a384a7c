"""``manage.py authgate revoke-leaked [FILE|-] [--dry-run] [--where PLACE]``.

The runbook's first step when a log, a paste or a checkout leaked: every authgate
credential in the text (:mod:`authgate.leaks.scanner`, streamed in chunks) is checked
(:func:`authgate.leaks.values.inspect`: checksum or signature first, so near-misses are not
"found"), and each live one is revoked with the reason ``found in a leak: <PLACE>`` (the
file's name unless ``--where`` says better, e.g. the paste's URL) and its owner notified.
One line per credential found, by display prefix or id hash, then the summary::

    found 12, live 3, revoked 3, unknown 2

``found``: distinct genuine credentials; ``live``: those that worked; ``revoked``: ended
now (``--dry-run``: would be); ``unknown``: well-formed, but no such credential (deleted,
or its user is gone). Nothing printed is ever a secret.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction

from authgate.leaks import reasons, values
from authgate.leaks.notify import notify_owner
from authgate.leaks.scanner import candidates
from authgate.management.base import Subcommand

__all__ = ["SUBCOMMANDS", "scan"]


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "file", nargs="?", default="-", help="The text to scan; '-' or nothing: standard input."
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="Report what would be revoked; change nothing."
    )
    parser.add_argument(
        "--where", help="Where the text was exposed (a URL), for the reason and the e-mail."
    )


def scan(stream: TextIO, *, where: str, dry_run: bool = False, out: Any = None) -> Counter[str]:
    """Revoke every live credential in ``stream``; the counts. ``out(line)`` gets one
    line per distinct credential found (no secret)."""
    counts: Counter[str] = Counter(found=0, live=0, revoked=0, unknown=0)
    seen: set[str] = set()
    reason = reasons.reason(reasons.SCAN, where)
    for value in candidates(stream):
        key = values.value_hash(value)
        if key in seen:
            continue
        seen.add(key)
        finding = values.inspect(value)
        if finding is None:
            continue  # a near-miss: bad checksum or signature
        counts["found"] += 1
        state = "live" if finding.live else ("dead" if finding.known else "unknown")
        if finding.live:
            counts["live"] += 1
            if dry_run:
                state = "live, would be revoked"
                counts["revoked"] += 1
            else:
                with transaction.atomic():
                    revoked = values.revoke(finding, reason)
                if revoked:
                    counts["revoked"] += 1
                    notify_owner(finding, where=where, source="scan")
                    state = "revoked"
        elif not finding.known:
            counts["unknown"] += 1
        if out is not None:
            owner = finding.user.get_username() if finding.user is not None else "-"
            out(f"{finding.kind} {finding.credential_id} ({owner}): {state}")
    return counts


def _handle(command: BaseCommand, **options: Any) -> None:
    name = options["file"]
    where = options.get("where") or ("standard input" if name == "-" else name)
    try:
        if name == "-":
            counts = _scan(command, sys.stdin, where, options)
        else:
            with Path(name).open(encoding="utf-8", errors="replace", newline="") as stream:
                counts = _scan(command, stream, where, options)
    except OSError as exc:
        raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from None
    except DatabaseError as exc:
        raise CommandError(
            f"The database failed ({type(exc).__name__}); run it again: "
            "what is already revoked stays revoked."
        ) from None
    summary = ", ".join(
        f"{name} {counts[name]}" for name in ("found", "live", "revoked", "unknown")
    )
    command.stdout.write(summary + (" (dry run: nothing changed)" if options["dry_run"] else ""))


def _scan(command: BaseCommand, stream: TextIO, where: str, options: Any) -> Counter[str]:
    return scan(stream, where=where, dry_run=options["dry_run"], out=command.stdout.write)


SUBCOMMANDS = [
    Subcommand(
        "revoke-leaked",
        "Revoke every live authgate credential found in a file or standard input.",
        _arguments,
        _handle,
    )
]
