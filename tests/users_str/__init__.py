"""A test-only custom user model with a string primary key (``AUTHGATE_TEST_USER=str``)."""
