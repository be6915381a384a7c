"""The credential kinds, one home each: everything about a scheme lives in its folder.

``session`` and ``basic`` are single modules; ``tokens``, ``scoped``, ``links``, ``oauth``
and ``httpsig`` are packages holding their backend, models, service functions, views,
admin, checks and management subcommands. See ``docs/architecture.md``.
"""
