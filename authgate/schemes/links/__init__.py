"""Magic links: django-sesame's API on authgate's link format, one-time use that holds."""
