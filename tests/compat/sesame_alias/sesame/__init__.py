"""A ``sesame`` package made of names only: django-sesame's public API, mapped to authgate's.

Put ``tests/compat/sesame_alias`` first on ``sys.path`` and ``import sesame`` finds this
package instead of django-sesame; each module re-exports authgate's objects under
django-sesame's names and holds no logic of its own. ``tests/compat/run_sesame_suite.py``
runs django-sesame's own test suite through it (``make test-sesame``).
"""
