"""Cloud credentials for the platforms: AWS SigV4 signing (botocore) and Google OAuth access
tokens (google-auth), shared by the router and the probes so both send the same request.

Credentials come from a Secret's text or from the pod's environment; they are cached, refreshed
before expiry, and never logged, printed or put into errors (messages name the class only).
"""

from .auth import CloudAuth, CloudAuthError, cloud_auth

__all__ = ["CloudAuth", "CloudAuthError", "cloud_auth"]
