"""gunicorn's configuration for the demo (read from this directory by default).

Each worker writes API tokens' buffered ``last_used`` as it exits (``atexit`` would too;
the hook runs while gunicorn's logging is still up). See docs/tokens.md#last_used.
"""

from authgate.schemes.tokens.usage import gunicorn_worker_exit as worker_exit  # noqa: F401
