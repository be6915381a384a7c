"""Every authgate credential in a stream of text: a log, a paste, a repository checkout.

One regex per format, joined into one alternation and run over the text in chunks
(:data:`CHUNK` characters), so a file of any size is scanned in bounded memory. A
credential cut by a chunk boundary is still found whole: each chunk is scanned together
with the last :data:`OVERLAP` characters of the one before (longer than any credential),
and a match is taken from a chunk only if it starts before that overlap (the next chunk
finds the others, once).

A match may start right after a letter or digit: leaked text is often escaped or encoded
(``\nagt_…`` in a JSON log, ``%3Dagl1_…`` in an encoded URL), and the checks below, not
the boundary, tell a credential from noise. It must not run on into more token characters:
``agt_`` plus 43 characters is no token.

The regexes are candidates only, like a secret scanner's: :func:`authgate.leaks.values.
inspect` checks each one (an API token's checksum, a signed token's MAC) before it counts
as found, so near-misses are never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from authgate.core import opaque
from authgate.core.encoding import CHECKSUM_LENGTH
from authgate.core.signed import MAX_TOKEN_LENGTH
from authgate.schemes.links.settings import link_settings
from authgate.schemes.tokens.settings import token_settings

__all__ = ["CHUNK", "OVERLAP", "candidates", "pattern", "regexes"]

#: Characters read per chunk.
CHUNK = 1 << 20
#: Characters of the previous chunk scanned again with the next (more than any credential).
OVERLAP = 2 * MAX_TOKEN_LENGTH

_B64 = "[A-Za-z0-9_-]"
_END = r"(?![A-Za-z0-9_\-])"


def regexes() -> dict[str, str]:
    """The regex of each credential format this deployment issues, by kind: also what to
    register with GitHub and GitLab (docs/howto/leaks.md)."""
    body = opaque.RANDOM_LENGTH + CHECKSUM_LENGTH
    found = {
        "api_token": rf"{re.escape(token_settings().prefix)}_[0-9A-Za-z]{{{body}}}",
        # "ags1_" payload "." signature (authgate.core.scoped_v1), base64url parts.
        "scoped": rf"ags1_{_B64}{{16,{MAX_TOKEN_LENGTH}}}\.{_B64}{{16,64}}",
    }
    for fmt in link_settings().formats:
        # "agl1_" and one base64url part (authgate.core.links_v1 and its successors).
        found[f"link:{fmt.PREFIX}"] = rf"{re.escape(fmt.PREFIX)}{_B64}{{16,{MAX_TOKEN_LENGTH}}}"
    return found


def pattern() -> re.Pattern[str]:
    """All of :func:`regexes` in one alternation, none running on into token characters."""
    joined = "|".join(f"(?:{regex})" for regex in regexes().values())
    return re.compile(f"(?:{joined}){_END}", re.ASCII)


def _chunks(stream: TextIO | Iterable[str]) -> Iterator[str]:
    if hasattr(stream, "read"):
        while chunk := stream.read(CHUNK):
            yield chunk
    else:
        yield from stream


def candidates(stream: TextIO | Iterable[str]) -> Iterator[str]:
    """Each credential-shaped string in ``stream`` (a text file, or any iterable of
    strings), in order, whole even across chunk boundaries. Not yet checked: see
    :func:`authgate.leaks.values.inspect`."""
    regex = pattern()
    carry = ""  # the previous window's tail, not yet scanned for matches starting in it
    for chunk in _chunks(stream):
        window = carry + chunk
        cut = len(window) - OVERLAP  # matches starting here or later wait for more text
        for found in regex.finditer(window):
            if found.start() >= cut:
                break
            yield found.group()
        carry = window[max(cut, 0) :]
    for found in regex.finditer(carry):
        yield found.group()
