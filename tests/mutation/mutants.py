"""Mutants of one Python module, made on its AST, each named by a stable description.

Every mutant is one small change to the module's syntax tree; the runner compiles the
changed tree in place of the module. A mutant's :attr:`Mutant.key` names it without line
numbers::

    keyring | KeyRing.subkeys | keyword person=... dropped | blake2b(..., person=...) ...

(module, enclosing function or module-level name, what changed, the code before → after,
and ``#2``, ``#3`` for repeats in the same place), so the list of known equivalent mutants
survives edits elsewhere in the file.

What is mutated — the slips that change behaviour:

- numbers ``n`` → ``n + 1`` and ``n - 1``; ``True`` ↔ ``False``;
- strings and bytes → ``"XX" + s + "XX"`` (so every namespace, personalisation, prefix and
  alphabet is mutated), and regex literals with :mod:`tests.mutation.regex` instead;
- comparison operators (``<`` ↔ ``<=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``, ``is`` ↔
  ``is not``, …), ``and`` ↔ ``or``, and each operand of ``and`` / ``or`` left out;
- arithmetic and bitwise operators, augmented assignments (``|=`` → ``&=`` and ``=``),
  unary ``-`` / ``~`` / ``not`` dropped (``token[:-n]`` → ``token[:+n]``);
- an ``if`` / ``while`` / conditional expression condition that is a plain value negated;
- ``return x`` → ``return None``; a call statement → ``pass``; ``break`` ↔ ``continue``;
- each keyword argument of a call left out (``person=...``, ``re.ASCII`` as a keyword).

What is not — text that is not behaviour, or code that only exists for the type checker:
docstrings, annotations, ``__all__`` and ``__slots__``, ``logger.*(...)`` calls, the message
text of ``raise``, other f-strings than regex patterns, and ``if TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.mutation.regex import regex_mutations

__all__ = ["Mutant", "mutants_of", "apply"]

_SNIPPET = 70
_RE_FUNCS = frozenset(
    {"compile", "match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "split"}
)
_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.BitXor: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}


@dataclass(frozen=True)
class Mutant:
    module: str  # "paths", the file's stem
    key: str  # stable description, unique within the module
    line: int
    #: The path from the module node to the changed node: (field, index or None) pairs.
    where: tuple[tuple[str, int | None], ...] = field(repr=False)
    #: What replaces that node (an AST node, or a list for statement fields).
    replacement: object = field(repr=False, compare=False)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def _src(node: ast.AST) -> str:
    return _short(ast.unparse(node))


def _is_logger_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("logger", "logging", "log")
    )


def _is_re_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in _RE_FUNCS
    )


def _assigned_names(node: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


class _Walker:
    def __init__(self, module: str) -> None:
        self.module = module
        self.found: list[tuple[str, str, int, tuple[tuple[str, int | None], ...], object]] = []

    def add(
        self,
        scope: str,
        what: str,
        node: ast.AST,
        where: tuple[tuple[str, int | None], ...],
        replacement: object,
    ) -> None:
        self.found.append((scope, what, getattr(node, "lineno", 0), where, replacement))

    # -- the walk ----------------------------------------------------------------------------

    def walk(self, node: ast.AST, where: tuple[tuple[str, int | None], ...], scope: str) -> None:
        """Visit ``node`` (found at ``where``) and its children."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = node.name if scope.startswith("<") else f"{scope}.{node.name}"
            for name in ("decorator_list", "body", "args", "bases", "keywords"):
                if hasattr(node, name):
                    # Decorators belong to what they decorate: `_Entry | keyword frozen=...`.
                    own = name in ("body", "decorator_list")
                    self._walk_field(node, name, where, inner if own else scope)
            return
        if isinstance(node, ast.arguments):
            # Defaults are evaluated once, at definition: mutate them like any expression.
            for name in ("defaults", "kw_defaults"):
                self._walk_field(node, name, where, scope)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._walk_field(node, "value", where, scope)
            return
        if isinstance(node, ast.Assign) and set(_assigned_names(node)) & {"__all__", "__slots__"}:
            return
        if isinstance(node, ast.If) and _src(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            return
        if _is_logger_call(node) or (isinstance(node, ast.Expr) and _is_logger_call(node.value)):
            return
        if isinstance(node, ast.Raise):
            self._raise(node, where, scope)
            return
        if isinstance(node, ast.JoinedStr):
            return  # f-strings: messages (regex f-strings are handled by their re call)
        if _is_re_call(node):
            assert isinstance(node, ast.Call)
            self._regex_call(node, where, scope)
            return
        self.mutate(node, where, scope)
        for name, value in ast.iter_fields(node):
            if isinstance(value, (list, ast.AST)):
                self._walk_field(node, name, where, scope)

    def _walk_field(
        self, node: ast.AST, name: str, where: tuple[tuple[str, int | None], ...], scope: str
    ) -> None:
        value = getattr(node, name)
        if isinstance(value, list):
            body_like = name in ("body", "orelse", "finalbody") and value
            for index, child in enumerate(value):
                if not isinstance(child, ast.AST):
                    continue
                if (
                    body_like
                    and index == 0
                    and isinstance(child, ast.Expr)
                    and isinstance(child.value, ast.Constant)
                    and isinstance(child.value.value, str)
                ):
                    continue  # a docstring
                child_scope = scope
                if isinstance(child, ast.stmt) and scope == "<module>":
                    names = _assigned_names(child)
                    if names:
                        child_scope = names[0]
                self.walk(child, (*where, (name, index)), child_scope)
        elif isinstance(value, ast.AST):
            self.walk(value, (*where, (name, None)), scope)

    def _raise(
        self, node: ast.Raise, where: tuple[tuple[str, int | None], ...], scope: str
    ) -> None:
        """Mutate a raise's expressions except the message text (strings, f-strings)."""
        exc = node.exc
        if isinstance(exc, ast.Call):
            for index, arg in enumerate(exc.args):
                if isinstance(arg, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                    continue
                self.walk(arg, (*where, ("exc", None), ("args", index)), scope)

    def _regex_call(
        self, node: ast.Call, where: tuple[tuple[str, int | None], ...], scope: str
    ) -> None:
        if node.args:
            pattern = node.args[0]
            base = (*where, ("args", 0))
            if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                for mutation in regex_mutations(pattern.value):
                    try:
                        re.compile(mutation.text)
                    except re.error:
                        continue
                    self.add(
                        scope,
                        f"regex {mutation.description}",
                        pattern,
                        base,
                        ast.Constant(mutation.text),
                    )
            elif isinstance(pattern, ast.JoinedStr):
                for index, part in enumerate(pattern.values):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        for mutation in regex_mutations(part.value):
                            self.add(
                                scope,
                                f"regex {mutation.description}",
                                pattern,
                                (*base, ("values", index)),
                                ast.Constant(mutation.text),
                            )
            else:
                self.walk(pattern, base, scope)
        for index, arg in enumerate(node.args[1:], start=1):
            self.walk(arg, (*where, ("args", index)), scope)
        for index, keyword in enumerate(node.keywords):
            self.walk(keyword, (*where, ("keywords", index)), scope)
        if len(node.args) > 1:  # the flags
            flags = copy.deepcopy(node)
            del flags.args[1:]
            self.add(scope, f"flags {_src(node.args[1])} dropped", node, where, flags)

    # -- the operators ---------------------------------------------------------------------

    def mutate(self, node: ast.AST, where: tuple[tuple[str, int | None], ...], scope: str) -> None:
        add = self.add
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                add(scope, f"constant {value} -> {not value}", node, where, ast.Constant(not value))
            elif isinstance(value, int):
                for number in (value + 1, value - 1):
                    add(scope, f"number {value} -> {number}", node, where, ast.Constant(number))
            elif isinstance(value, (str, bytes)):
                mark = "XX" if isinstance(value, str) else b"XX"
                new_value = mark + value + mark  # type: ignore[operator]
                add(
                    scope,
                    f"string {_short(repr(value))} -> XX..XX",
                    node,
                    where,
                    ast.Constant(new_value),
                )
        elif isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap is None:
                    continue
                new_compare = copy.deepcopy(node)
                new_compare.ops[index] = swap()
                add(scope, f"compare {_src(node)} -> {_src(new_compare)}", node, where, new_compare)
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            new_boolop = copy.deepcopy(node)
            new_boolop.op = other
            add(scope, f"boolop {_src(node)} -> {_src(new_boolop)}", node, where, new_boolop)
            for index, operand in enumerate(node.values):
                rest = [copy.deepcopy(v) for i, v in enumerate(node.values) if i != index]
                dropped: ast.expr = rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)
                add(
                    scope,
                    f"operand {_src(operand)} dropped from {_src(node)}",
                    node,
                    where,
                    dropped,
                )
        elif isinstance(node, ast.BinOp):
            swap_op = _BINOP_SWAPS.get(type(node.op))
            if swap_op is not None:
                new_binop = copy.deepcopy(node)
                new_binop.op = swap_op()
                add(scope, f"binop {_src(node)} -> {_src(new_binop)}", node, where, new_binop)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                add(scope, f"not dropped: {_src(node)}", node, where, copy.deepcopy(node.operand))
            elif isinstance(node.op, ast.USub):
                new_unary = ast.UnaryOp(ast.UAdd(), copy.deepcopy(node.operand))
                add(scope, f"unary {_src(node)} -> {_src(new_unary)}", node, where, new_unary)
            elif isinstance(node.op, ast.Invert):
                add(scope, f"~ dropped: {_src(node)}", node, where, copy.deepcopy(node.operand))
        elif isinstance(node, ast.AugAssign):
            swap_op = _BINOP_SWAPS.get(type(node.op))
            if swap_op is not None:
                new_aug = copy.deepcopy(node)
                new_aug.op = swap_op()
                add(scope, f"augassign {_src(node)} -> {_src(new_aug)}", node, where, new_aug)
            plain = ast.copy_location(
                ast.Assign([copy.deepcopy(node.target)], copy.deepcopy(node.value)), node
            )
            add(scope, f"augassign {_src(node)} -> {_src(plain)}", node, where, plain)
        elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
            test = node.test
            if not isinstance(test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant)):
                negated = ast.UnaryOp(ast.Not(), copy.deepcopy(test))
                new_node = copy.deepcopy(node)
                new_node.test = negated
                add(scope, f"condition negated: {_src(test)}", node, where, new_node)
        elif isinstance(node, ast.Return):
            # `return False` -> `return None` only differs to an `is False` check: not a slip.
            if node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value in (None, False)
            ):
                add(scope, f"return {_src(node.value)} -> None", node, where, ast.Return(None))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            add(scope, f"call dropped: {_src(node.value)}", node, where, ast.Pass())
        elif isinstance(node, ast.Break):
            add(scope, "break -> continue", node, where, ast.Continue())
        elif isinstance(node, ast.Continue):
            add(scope, "continue -> break", node, where, ast.Break())
        elif isinstance(node, ast.Call):
            for index, keyword in enumerate(node.keywords):
                if keyword.arg is None:
                    continue
                new_call = copy.deepcopy(node)
                del new_call.keywords[index]
                add(
                    scope,
                    f"keyword {keyword.arg}= dropped: {_src(node)}",
                    node,
                    where,
                    new_call,
                )


def mutants_of(path: Path) -> list[Mutant]:
    """Every mutant of the module at ``path``, in source order, with unique keys."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    walker = _Walker(path.stem)
    walker._walk_field(tree, "body", (), "<module>")
    seen: dict[str, int] = {}
    result: list[Mutant] = []
    for scope, what, line, where, replacement in walker.found:
        base = f"{path.stem} | {scope} | {what}"
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base} #{seen[base]}"
        result.append(Mutant(path.stem, key, line, where, replacement))
    return result


def _locate(tree: ast.AST, where: tuple[tuple[str, int | None], ...]) -> Iterator[object]:
    node: object = tree
    for name, index in where:
        yield node
        node = getattr(node, name)
        if index is not None:
            assert isinstance(node, list)
            node = node[index]
    yield node


def apply(path: Path, mutant: Mutant) -> ast.Module:
    """The module's tree with ``mutant`` applied."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    *parents, _ = list(_locate(tree, mutant.where))
    parent = parents[-1]
    name, index = mutant.where[-1]
    replacement = copy.deepcopy(mutant.replacement)
    if index is None:
        setattr(parent, name, replacement)
    else:
        getattr(parent, name)[index] = replacement
    ast.fix_missing_locations(tree)
    # New nodes take the location of what they replace, for tracebacks.
    return ast.fix_missing_locations(ast.increment_lineno(tree, 0))
