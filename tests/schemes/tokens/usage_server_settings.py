"""The demo on a throwaway SQLite file (tests/schemes/tokens/test_usage_servers.py), with the usage
flush's timer out of reach: whatever reaches the database is written by a worker's exit."""

from datetime import timedelta

from tests.asgi_demo_settings import *  # noqa: F403
from tests.asgi_demo_settings import AUTHGATE

AUTHGATE = {**AUTHGATE, "TOKEN_USAGE_FLUSH_INTERVAL": timedelta(hours=1)}
