"""What can stop an import: Zoho conditions the user must act on (the message says what to do)."""
from __future__ import annotations

from zoho_pipeline.errors import UserError

RECONNECT_HINT = "reconnect the account with `zoho-pipeline connect`"
RESUME_HINT = "run the import again later; it resumes where it stopped"


class ZohoFatalError(UserError):
    """Zoho answered in a way the import cannot work around: it stops and keeps what it loaded."""


class ZohoAuthError(ZohoFatalError):
    """The refresh token is revoked or invalid, or the client is wrong: the user must reconnect."""


class ZohoScopeError(ZohoFatalError):
    """The connection lacks an OAuth scope."""


class ZohoCreditsExhausted(ZohoFatalError):
    """429 that did not clear: daily credits or concurrency used up."""


class ZohoApiError(ZohoFatalError):
    """Any other error Zoho kept answering after retries."""
