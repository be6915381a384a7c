"""Mutations of regular-expression literals, text in, variants out.

A regex literal is one string (or one literal piece of an f-string) that is the pattern of a
``re`` call. The mutations are the small slips that change what a pattern accepts:

- a counted quantifier one step wider or narrower: ``{1,9}`` → ``{0,9}``, ``{2,9}``,
  ``{1,10}``, ``{1,8}``; ``{6}`` → ``{5}``, ``{7}``;
- ``+`` ↔ ``*``, and an optional ``?`` made mandatory;
- an anchor or word boundary dropped: ``^``, ``$``, ``\\b``, ``\\A``, ``\\Z``;
- a character class with one item (a character, an escape or a range) left out, or negated;
- one branch of an alternation left out.

Works on fragments too: an f-string ``rf"[{ALPHABET}]{{36}}"`` has the pieces ``"["`` and
``"]{36}"``, and a bracket that does not close inside its piece is treated as a plain
character, so nothing here ever needs the whole pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RegexMutation", "regex_mutations"]


@dataclass(frozen=True)
class RegexMutation:
    text: str
    #: Short and stable, e.g. ``quantifier {1,9} -> {0,9}`` (no positions).
    description: str


_QUANT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")


@dataclass
class _Token:
    kind: str  # "lit", "esc", "class", "open", "close", "alt", "quant", "anchor"
    text: str
    start: int


def _tokens(pattern: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            j = i + 2
            if pattern[i + 1] == "x":
                j = i + 4
            elif pattern[i + 1] == "u":
                j = i + 6
            text = pattern[i:j]
            kind = "anchor" if text in ("\\b", "\\A", "\\Z") else "esc"
            out.append(_Token(kind, text, i))
            i = j
            continue
        if c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            if j < n:
                out.append(_Token("class", pattern[i : j + 1], i))
                i = j + 1
                continue
            out.append(_Token("lit", c, i))  # unclosed in this fragment
            i += 1
            continue
        if c == "(":
            j = i + 1
            if pattern.startswith("?P<", j):
                j = pattern.index(">", j) + 1
            elif pattern.startswith("?", j) and j + 1 < n:
                j += 2
            out.append(_Token("open", pattern[i:j], i))
            i = j
            continue
        if c == ")":
            out.append(_Token("close", c, i))
        elif c == "|":
            out.append(_Token("alt", c, i))
        elif c in "+*?":
            out.append(_Token("quant", c, i))
        elif c == "{" and (m := _QUANT_RE.match(pattern, i)):
            out.append(_Token("quant", m.group(), i))
            i = m.end()
            continue
        elif c in "^$":
            out.append(_Token("anchor", c, i))
        else:
            out.append(_Token("lit", c, i))
        i += 1
    return out


def _class_items(body: str) -> list[tuple[int, int]]:
    """(start, end) of each item in a class body (without the brackets and the ``^``)."""
    items: list[tuple[int, int]] = []
    i = 0
    n = len(body)

    def atom(k: int) -> int:
        if body[k] == "\\" and k + 1 < n:
            if body[k + 1] == "x":
                return k + 4
            if body[k + 1] == "u":
                return k + 6
            return k + 2
        return k + 1

    while i < n:
        end = atom(i)
        if end < n - 1 and body[end] == "-":
            end = atom(end + 1)
        items.append((i, min(end, n)))
        i = end
    return items


def _quantifier_variants(text: str) -> list[str]:
    m = _QUANT_RE.fullmatch(text)
    if m is None:
        return []
    low = int(m.group(1))
    if m.group(2) is None:  # {n}
        return [f"{{{v}}}" for v in (low - 1, low + 1) if v >= 0]
    high_text = m.group(3)
    variants: list[str] = []
    if high_text == "":  # {m,}
        variants += [f"{{{v},}}" for v in (low - 1, low + 1) if v >= 0]
        return variants
    high = int(high_text)
    for new_low in (low - 1, low + 1):
        if 0 <= new_low <= high:
            variants.append(f"{{{new_low},{high}}}")
    for new_high in (high - 1, high + 1):
        if new_high >= low:
            variants.append(f"{{{low},{new_high}}}")
    return variants


def regex_mutations(pattern: str) -> list[RegexMutation]:
    """Every single-slip variant of ``pattern`` (a whole pattern or a fragment of one)."""
    toks = _tokens(pattern)
    found: list[RegexMutation] = []

    def replace(tok: _Token, new: str, description: str) -> None:
        text = pattern[: tok.start] + new + pattern[tok.start + len(tok.text) :]
        if text != pattern:
            found.append(RegexMutation(text, description))

    for index, tok in enumerate(toks):
        previous = toks[index - 1] if index else None
        if tok.kind == "quant":
            if tok.text == "+":
                replace(tok, "*", "quantifier + -> *")
            elif tok.text == "*":
                replace(tok, "+", "quantifier * -> +")
            elif tok.text == "?":
                if previous is not None and previous.kind != "quant":
                    replace(tok, "", "quantifier ? dropped")
            else:
                for variant in _quantifier_variants(tok.text):
                    replace(tok, variant, f"quantifier {tok.text} -> {variant}")
        elif tok.kind == "anchor":
            replace(tok, "", f"anchor {tok.text} dropped")
        elif tok.kind == "class":
            negated = tok.text.startswith("[^")
            head = 2 if negated else 1
            body = tok.text[head:-1]
            items = _class_items(body)
            if len(items) > 1:
                for start, end in items:
                    new_body = body[:start] + body[end:]
                    replace(
                        tok,
                        tok.text[:head] + new_body + "]",
                        f"class {tok.text} without {body[start:end]}",
                    )
            if negated:
                replace(tok, "[" + body + "]", f"class {tok.text} not negated")
            else:
                replace(tok, "[^" + body + "]", f"class {tok.text} negated")
    found.extend(_alternation_mutations(pattern, toks))
    return found


def _alternation_mutations(pattern: str, toks: list[_Token]) -> list[RegexMutation]:
    """Each branch of each alternation left out (in groups that open and close here)."""
    found: list[RegexMutation] = []
    stack: list[int] = []
    spans: list[tuple[int, int]] = []
    stray = False
    for index, tok in enumerate(toks):
        if tok.kind == "open":
            stack.append(index)
        elif tok.kind == "close":
            if stack:
                spans.append((stack.pop(), index))
            else:
                stray = True
    if not stack and not stray:
        spans.append((-1, len(toks)))  # the fragment itself is a whole pattern

    def begin(index: int) -> int:  # where the text after token `index` starts
        return 0 if index < 0 else toks[index].start + len(toks[index].text)

    def at(index: int) -> int:  # where token `index` starts
        return len(pattern) if index >= len(toks) else toks[index].start

    for open_index, close_index in spans:
        depth = 0
        bars: list[int] = []
        for index in range(open_index + 1, close_index):
            kind = toks[index].kind
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
            elif kind == "alt" and depth == 0:
                bars.append(index)
        bounds = [open_index, *bars, close_index]
        for k in range(len(bars) + 1 if bars else 0):
            lo, hi = bounds[k], bounds[k + 1]
            branch = pattern[begin(lo) : at(hi)]
            if k == 0:  # the branch and the bar after it
                text = pattern[: begin(lo)] + pattern[at(hi) + 1 :]
            else:  # the bar before it and the branch
                text = pattern[: at(lo)] + pattern[at(hi) :]
            found.append(RegexMutation(text, f"alternative {branch!r} dropped"))
    return found
