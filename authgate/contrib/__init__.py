"""Adapters for third-party frameworks. Each imports its framework lazily."""
