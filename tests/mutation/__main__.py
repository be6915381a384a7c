"""``python -m tests.mutation [MODULE ...]``: see :mod:`tests.mutation.run`."""

from tests.mutation.run import main

raise SystemExit(main())
