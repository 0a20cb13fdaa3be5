"""A valid access token for an integration, shared through the control store by every process.

Zoho allows 10 access tokens per refresh token per 10 minutes (reference §1.4): reuse the cached one until
about a minute before it expires or until Zoho rejects it, and let one process at a time mint a new one
(a lease in the store) while the others wait for it.
"""
from __future__ import annotations

import time
from datetime import datetime

from zoho_pipeline.integrations import oauth
from zoho_pipeline.integrations.store import IntegrationStore

LEASE_SECONDS = 30.0


def access_token(
    store: IntegrationStore, integration_id: str, *, rejected_token: str | None = None
) -> tuple[str, datetime, str]:
    """`(access_token, expires_at, api_domain)`: the cached token, or a new one.

    Pass `rejected_token` when Zoho answered INVALID_TOKEN for it: that token is never returned again.
    Records the integration's state: `revoked` when Zoho rejects the refresh token, `failing` for a
    rejected client, `connected` once a refresh works again.
    """
    credentials = store.credentials(integration_id)
    deadline = time.monotonic() + LEASE_SECONDS
    while True:
        cached = store.load_access_token(integration_id)
        if cached is not None and cached[0] != rejected_token:
            return cached[0], cached[1], credentials.api_domain
        if store.lease_token_refresh(integration_id, LEASE_SECONDS) or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # another process is minting: wait for its token
    try:
        grant = _refresh(store, integration_id, credentials)
    finally:
        store.release_token_lease(integration_id)
    return grant.access_token, grant.expires_at, grant.api_domain


def _refresh(store: IntegrationStore, integration_id: str, credentials) -> oauth.TokenGrant:
    try:
        grant = oauth.refresh_access_token(
            credentials.accounts_url,
            credentials.client_id,
            credentials.client_secret,
            credentials.refresh_token,
        )
    except oauth.ZohoAuthError as error:
        if error.token_rejected:
            store.set_state(integration_id, "revoked", str(error))
        elif error.code == "invalid_client":
            store.set_state(integration_id, "failing", str(error))
        raise
    store.save_access_token(integration_id, grant.access_token, grant.expires_at)
    if store.get(integration_id).state != "connected":
        store.set_state(integration_id, "connected")
    return grant
