"""Mutation testing of ``authgate/core`` (``make mutate``): see :mod:`tests.mutation.run`."""
