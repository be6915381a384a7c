"""A demo-only backend showing djblets' opt-in ``login_with_credentials`` behaviour."""

from authgate.schemes.basic import BasicBackend


class SessionStartingBasicBackend(BasicBackend):
    """HTTP Basic that also starts a Django session, so later requests need only the cookie."""

    login_with_credentials = True
