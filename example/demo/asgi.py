"""ASGI entry point for the demo: ``uvicorn demo.asgi:application`` (from ``example/``).

authgate's middleware is async capable and its async views authenticate off the event loop.
The wrapper writes API tokens' buffered ``last_used`` at the ASGI lifespan's shutdown:
uvicorn ends its workers without running ``atexit`` (docs/tokens.md#last_used).
"""

import os

from django.core.asgi import get_asgi_application

from authgate.schemes.tokens.usage import flush_on_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
application = flush_on_shutdown(get_asgi_application())
