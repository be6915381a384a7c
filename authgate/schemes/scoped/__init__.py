"""Signed temporary scoped tokens: stateless, short-lived, limited to methods + endpoints."""
