"""Adding and removing integrations, with the calls to Zoho that make each step safe.

Adding validates with Zoho first (a refresh or a code exchange, then the org), so a bad token stores
nothing. Removing revokes the refresh token at Zoho first, so a removed integration cannot read any more.
"""
from __future__ import annotations

from dataclasses import dataclass

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations import oauth
from zoho_pipeline.integrations.store import Integration, IntegrationStore


def add_integration(
    store: IntegrationStore,
    *,
    name: str | None,
    accounts_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str | None = None,
    grant: oauth.TokenGrant | None = None,
) -> Integration:
    """Validate the token with Zoho (refreshing once unless `grant` is fresh from a code exchange), read the
    org, and record the integration. Without a name, the org's name is used (made unique)."""
    if name is not None and store.name_taken(name):
        raise UserError(f"an integration named {name!r} already exists: choose another --name")
    if grant is None:
        if not refresh_token:
            raise UserError("a refresh token is needed: pass --refresh-token")
        grant = oauth.refresh_access_token(accounts_url, client_id, client_secret, refresh_token)
    refresh_token = grant.refresh_token or refresh_token
    assert refresh_token, "a code exchange always yields a refresh token (checked in exchange_code)"
    org = oauth.fetch_org(grant.api_domain, grant.access_token)
    return store.add(
        name=name or unique_name(store, org.name or org.id or "zoho"),
        accounts_url=accounts_url,
        api_domain=grant.api_domain,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        org_id=org.id,
        org_name=org.name,
        # Reuse the token the validation minted: Zoho allows only 10 per 10 minutes.
        access_token=grant.access_token,
        access_token_expires_at=grant.expires_at,
    )


def unique_name(store: IntegrationStore, base: str) -> str:
    name, n = base, 1
    while store.name_taken(name):
        n += 1
        name = f"{base} ({n})"
    return name


@dataclass(frozen=True)
class Removal:
    integration: Integration
    revoked: bool
    purged_rows: dict[str, int] | None


def remove_integration(
    store: IntegrationStore, integration_id: str, *, purge: bool = False, revoke: bool = True
) -> Removal:
    """Revoke the refresh token at Zoho, forget the integration, and with `purge` delete its imported data
    (raw tables, marts, import history)."""
    integration = store.get(integration_id)
    if revoke:
        credentials = store.credentials(integration_id)
        try:
            oauth.revoke_refresh_token(credentials.accounts_url, credentials.refresh_token)
        except oauth.ZohoAuthError as error:
            raise UserError(
                f"{error} (nothing was removed; to remove {integration_id} without revoking, add --no-revoke)"
            ) from None
        # If the purge below fails, the integration stays listed, correctly marked.
        store.set_state(integration_id, "revoked", "revoked by `zoho-pipeline integrations remove`")
    purged_rows = None
    if purge:
        from zoho_pipeline.import_runs import delete_import_history
        from zoho_pipeline.integrations.purge import purge_integration_data

        purged_rows = purge_integration_data(integration_id)
        delete_import_history(integration_id, control=store.control)
    store.remove(integration_id)
    return Removal(integration=integration, revoked=revoke, purged_rows=purged_rows)
