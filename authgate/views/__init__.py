"""authgate's HTTP endpoints, one module per feature (mounted by ``authgate.urls``)."""
