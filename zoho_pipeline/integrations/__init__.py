"""Connected Zoho accounts ("integrations"): the control store, encrypted secrets, OAuth with Zoho.

    from zoho_pipeline.integrations import IntegrationStore
    store = IntegrationStore.open()
    credentials = store.credentials(integration_id)   # decrypted: never print or log it
"""
from zoho_pipeline.integrations.control import ControlStore
from zoho_pipeline.integrations.hooks import on_membership_change
from zoho_pipeline.integrations.store import STATES, Credentials, Integration, IntegrationStore

__all__ = [
    "STATES",
    "ControlStore",
    "Credentials",
    "Integration",
    "IntegrationStore",
    "on_membership_change",
]
