"""A test-only custom user model with a UUID primary key (``AUTHGATE_TEST_USER=uuid``)."""
