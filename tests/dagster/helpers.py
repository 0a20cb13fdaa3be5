"""Shared steps of the Dagster tests."""
from __future__ import annotations

from zoho_pipeline.integrations.lifecycle import add_integration
from zoho_pipeline.integrations.store import IntegrationStore


def connect(simulator, name: str = "Zylker", org=None):
    """`zoho-pipeline integrations add` against one of the simulator's orgs (its first by default)."""
    org = org or simulator.org
    with IntegrationStore.open() as store:
        return add_integration(
            store,
            name=name,
            accounts_url=simulator.accounts_url,
            client_id=org.client_id,
            client_secret=org.client_secret,
            refresh_token=org.refresh_token,
        )
