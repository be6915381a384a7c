"""HTTP Message Signatures (RFC 9421): requests signed with a registered client key."""
