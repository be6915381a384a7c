"""Hot-path tricks (compiled lookups, rows kept per process), each with a plain fallback."""
