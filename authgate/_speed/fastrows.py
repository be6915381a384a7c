"""Rows into model instances, as the ORM makes them, with fewer calls (for :mod:`fastquery`).

* **Building.** On Django 5.2, ``Model.from_db`` runs ``__init__``, which for a full row
  only sends ``pre_init``/``post_init`` and sets each attribute. When the model does not
  override ``from_db``, ``__init__``, ``__new__`` or ``__setattr__``, no field has a custom
  attribute descriptor, and neither signal has a receiver for the model, the instance is
  built by filling ``__dict__``: the same instance, without the calls. Otherwise (or on
  another Django version) ``from_db`` is used, as the ORM would. Related rows are set with
  Django's own ``RelatedPopulator`` setters.
* **In one function.** When every model in the row is plain, :func:`compile_builder`
  writes one Python function for the lookup — the row unpacked into locals, each converter
  (:mod:`authgate._speed.converters`) called inline, each attribute stored by name, the
  related-object caches filled — the way :mod:`dataclasses` writes ``__init__``. Walking
  lists of converters and attribute names per row cost more than the work itself (~4 µs of
  a ~35 µs lookup).
"""

from __future__ import annotations

import itertools
import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import django
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import ModelSignal, post_init, pre_init
from django.dispatch.dispatcher import NO_RECEIVERS

from authgate._speed.converters import Converter, ValueConverter

__all__ = [
    "Builder",
    "Node",
    "Row",
    "compile_builder",
    "init_quiet",
    "related_node",
]

Row = Sequence[Any]
#: ``builder(alias, row)``: the converted row's root instance, related instances attached.
Builder = Callable[[str, Row], Model]

#: The Django versions whose ``Model.from_db``/``__init__`` the direct build reproduces;
#: on any other, instances come from ``from_db`` until the build is checked against it.
_BUILD_VERIFIED = django.VERSION[:2] == (5, 2)
#: Attribute descriptors that store a loaded value in ``__dict__`` and do nothing else.
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


# --- building instances -----------------------------------------------------------------


class Node:
    """How one model instance is built from a slice of the row, with its related rows."""

    __slots__ = ("attnames", "children", "end", "model", "pk_index", "plain", "populator", "start")

    def __init__(
        self,
        model: type[Model],
        start: int,
        end: int,
        attnames: list[str],
        children: list[Node],
        populator: Any = None,
    ) -> None:
        self.model = model
        self.start = start
        self.end = end
        self.attnames = attnames
        self.children = children
        #: Django's ``RelatedPopulator`` for a select_related row (``None`` at the root).
        self.populator = populator
        self.pk_index = attnames.index(model._meta.pk_fields[0].attname)
        self.plain = _plain_model(model, attnames)

    def build(self, alias: str, row: Row) -> Model:
        values = row[self.start : self.end]
        model = self.model
        if self.plain and _quiet(pre_init, model) and _quiet(post_init, model):
            # What Model.from_db → Model.__init__ leave behind, minus the calls.
            instance = model.__new__(model)
            state = ModelState()
            state.adding = False
            state.db = alias
            attributes = instance.__dict__
            attributes["_state"] = state
            attributes.update(zip(self.attnames, values, strict=True))
        else:
            instance = model.from_db(alias, self.attnames, values)
        for child in self.children:
            child.populate(alias, row, instance)
        return instance

    def populate(self, alias: str, row: Row, parent: Model) -> None:
        """Django's ``RelatedPopulator.populate``, building with :meth:`build`."""
        populator = self.populator
        if populator.reorder_for_init is not None:  # a parent link's columns: Django's way
            populator.populate(row, parent)
            return
        related = None if row[self.start + self.pk_index] is None else self.build(alias, row)
        populator.local_setter(parent, related)
        if related is not None:
            populator.remote_setter(related, parent)

    def models(self) -> list[type[Model]]:
        """This node's model and its related nodes', depth first."""
        return [self.model, *(model for child in self.children for model in child.models())]


def related_node(populator: Any) -> Node:
    """The :class:`Node` for one of Django's ``RelatedPopulator`` objects."""
    direct = populator.reorder_for_init is None
    return Node(
        populator.model_cls,
        populator.cols_start if direct else 0,
        populator.cols_end if direct else 0,
        populator.init_list,
        [related_node(child) for child in populator.related_populators],
        populator,
    )


def _plain_model(model: type[Model], attnames: list[str]) -> bool:
    """Whether ``from_db`` for a full row of ``model`` only sets attributes (and signals)."""
    if not _BUILD_VERIFIED:
        return False
    if attnames != [field.attname for field in model._meta.concrete_fields]:
        return False  # deferred fields: Model.from_db fills them in
    if getattr(model.from_db, "__func__", None) is not getattr(Model.from_db, "__func__", None):
        return False
    mro = model.__mro__
    if (
        model.__new__ is not object.__new__
        or model.__setattr__ is not object.__setattr__
        or model.__init__ is not Model.__init__  # type: ignore[misc]
        # Model.__init__ ends with super().__init__(): nothing may sit behind it.
        or any("__init__" in vars(klass) for klass in mro[mro.index(Model) + 1 : -1])
    ):
        return False
    for attname in attnames:
        for klass in mro:
            if attname in vars(klass):
                if type(vars(klass)[attname]) not in _PLAIN_DESCRIPTORS:
                    return False
                break
    return True


def init_quiet(models: Sequence[type[Model]]) -> bool:
    """No ``pre_init``/``post_init`` receiver for any of ``models``: a builder may be used."""
    if not pre_init.receivers and not post_init.receivers:
        return True
    return all(_quiet(pre_init, model) and _quiet(post_init, model) for model in models)


def _quiet(signal: ModelSignal, sender: type[Model]) -> bool:
    """No receiver of ``signal`` for ``sender`` (the check ``Signal.send`` makes first)."""
    if not signal.receivers or signal.sender_receivers_cache.get(sender) is NO_RECEIVERS:
        return True
    return not signal.has_listeners(sender)


# --- one generated function per lookup -------------------------------------------------


def compile_builder(
    root: Node,
    width: int,
    value_converters: Mapping[int, ValueConverter],
    converters: Mapping[int, tuple[Sequence[Converter], Any]],
    connection: Any,
) -> Builder | None:
    """One function converting a row of ``width`` columns and building its instances, as
    ``convert`` then :meth:`Node.build` do; ``None`` unless every model in the row is plain.

    The caller still checks, per call, that no ``pre_init``/``post_init`` receiver exists
    (one may be connected later); the function assumes it.
    """
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "State": ModelState,
        "connection": connection,
    }
    columns = ", ".join(f"r{i}" for i in range(width))
    lines = ["def build(alias, row):", f"    {columns}, = row"]
    for position, convert in sorted(value_converters.items()):
        namespace[f"c{position}"] = convert
        lines += [
            f"    if r{position} is not None:",
            f"        r{position} = c{position}(r{position})",
        ]
    for position, (chain, expression) in sorted(converters.items()):
        namespace[f"e{position}"] = expression
        for step, converter in enumerate(chain):
            namespace[f"k{position}_{step}"] = converter
            lines.append(
                f"    r{position} = k{position}_{step}(r{position}, e{position}, connection)"
            )
    if not _emit_node(root, 0, itertools.count(1), lines, namespace, "    "):
        return None
    lines.append("    return o0")
    source = "\n".join(lines)
    code = compile(source, f"<authgate._speed.fastrows: {root.model.__qualname__} builder>", "exec")
    exec(code, namespace)  # noqa: S102  (source built above from attribute names and numbers)
    return namespace["build"]  # type: ignore[no-any-return]


def _emit_node(
    node: Node,
    number: int,
    counter: Iterator[int],
    lines: list[str],
    namespace: dict[str, Any],
    indent: str,
) -> bool:
    """Append the lines building node ``number`` into ``o<number>``; ``False`` if it cannot."""
    if not node.plain or (node.populator is not None and node.populator.reorder_for_init):
        return False
    model_name, obj, state = f"M{number}", f"o{number}", f"s{number}"
    namespace[model_name] = node.model
    lines += [
        f"{indent}{state} = new(State)",
        f"{indent}{state}.adding = False",
        f"{indent}{state}.db = alias",
        f"{indent}{obj} = new({model_name})",
        f"{indent}{obj}._state = {state}",
    ]
    for offset, attname in enumerate(node.attnames):
        value = f"r{node.start + offset}"
        if _stored_by_name(node.model, attname):
            lines.append(f"{indent}{obj}.{attname} = {value}")
        else:  # a foreign key's ``_id``: on a new instance its __set__ only stores the value
            lines.append(f"{indent}{obj}.__dict__[{attname!r}] = {value}")
    for child in node.children:
        child_number = next(counter)
        populator = child.populator
        local, remote = f"ls{child_number}", f"rs{child_number}"
        namespace[local], namespace[remote] = populator.local_setter, populator.remote_setter
        child_obj = f"o{child_number}"
        lines.append(f"{indent}if r{child.start + child.pk_index} is None:")
        lines.append(f"{indent}    {_set_cached(local, populator.local_setter, obj, 'None')}")
        lines.append(f"{indent}else:")
        if not _emit_node(child, child_number, counter, lines, namespace, indent + "    "):
            return False
        lines.append(f"{indent}    {_set_cached(local, populator.local_setter, obj, child_obj)}")
        lines.append(f"{indent}    {_set_cached(remote, populator.remote_setter, child_obj, obj)}")
    return True


def _stored_by_name(model: type[Model], attname: str) -> bool:
    """Whether ``instance.<attname> = value`` stores into ``__dict__`` and does nothing else."""
    if not attname.isidentifier() or keyword.iskeyword(attname) or attname.startswith("__"):
        return False
    for klass in model.__mro__:
        if attname in vars(klass):
            return type(vars(klass)[attname]) is DeferredAttribute  # no __set__
    return True


def _set_cached(name: str, setter: Any, instance: str, value: str) -> str:
    """The call ``name(instance, value)``, or the stock ``set_cached_value``'s one statement
    inline (``instance`` is ``o<n>``, its state ``s<n>``)."""
    owner = getattr(setter, "__self__", None)
    if (
        getattr(setter, "__func__", None) is FieldCacheMixin.set_cached_value
        and isinstance(owner, FieldCacheMixin)
        and isinstance(owner.cache_name, str)
    ):
        return f"s{instance[1:]}.fields_cache[{owner.cache_name!r}] = {value}"
    return f"{name}({instance}, {value})"
