"""Authentication backends: one module per scheme, each a ``Backend`` (see ``base``)."""
