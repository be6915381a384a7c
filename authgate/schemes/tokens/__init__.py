"""API tokens: opaque ``agt_…`` secrets stored as a digest, with policy, expiry, revocation."""
