"""Hot-path tricks, each behind one interface and each with a plain twin.

Nothing outside this package knows how a trick works; it calls one of these:

* :func:`authgate._speed.lookups.row_lookup` — one row by a unique value, with its related
  rows: ``get(value)`` → the instance or ``None``, ``fetch(value)`` → a row that can be kept
  and built again. Used by the API-token store
  (:meth:`authgate.schemes.tokens.store.TokenStore.lookup`) and by the user lookup of
  signed tokens (:func:`authgate.users.load_active_user`: scoped tokens, magic links,
  OAuth). Fast: :mod:`~authgate._speed.fastquery` (SQL compiled once, run on the driver's
  cursor by :mod:`~authgate._speed.driver`, values converted by
  :mod:`~authgate._speed.converters`, instances built by :mod:`~authgate._speed.fastrows`).
  Plain: the queryset with ``select_related``, evaluated by the ORM.
* :mod:`authgate._speed.local_rows` — token rows kept in each process
  (``TOKEN_LOCAL_CACHE_SIZE``), as ``fetch`` returned them, with a Redis subscription for
  invalidations (through ``RedisCache``'s own client). Plain: no rows kept; the token store
  asks Django's cache API (``TOKEN_CACHE_TIMEOUT``) and the database. Invalidations are
  still published, for processes that do keep rows.
* :func:`authgate._speed.query.query_values` — ``request.GET.getlist(name)`` without
  building ``request.GET``. Plain: ``request.GET.getlist(name)``.
* :func:`authgate.core.slots.slot_setters` — frozen dataclasses built through their
  slots. Plain: ``object.__setattr__`` per field, as the dataclass's own ``__init__``. It
  lives in the core (standard library only), whose link claims use it.

The plain twins give the same answers (the same model instances: field values,
``tzinfo``, related rows; the same query counts) in more time; the test suite runs the
token, speed and signed-token backend tests on both. They are used when:

* ``AUTHGATE["FAST_PATHS"] = False`` (default ``True``), read when the stores are built,
  i.e. once per settings change, never per request; or
* :mod:`authgate._speed.guard` finds a Django other than the one the tricks were written
  against (5.2.x), or one of the internals they use missing or reshaped
  (``get_related_populators``' signature, ``RelatedPopulator``'s and ``SQLCompiler``'s
  attributes, the connection's ``_thread_ident`` and checks, ``Options.pk_fields``, the lazy
  ``request.GET``, …): it says why once, at INFO on the ``authgate._speed.guard`` logger.

The slot setters are the exception: they are picked when each class is defined (before any
setting can be read), by their own check that every field is a real slot.
"""
