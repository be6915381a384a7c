"""Template tags of authgate's pages."""
