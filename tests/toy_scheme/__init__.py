"""A toy credential kind added the way docs/backends.md says: one folder, one line in
``AUTHGATE["BACKENDS"]``, no other file of authgate touched (tests/test_toy_scheme.py)."""
