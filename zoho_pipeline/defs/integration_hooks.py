"""Keep Dagster's `zoho_integrations` partitions in step when an integration is added or removed.

zoho_pipeline.integrations.hooks imports this module before its first notification (HOOK_MODULE).
Only when a Dagster instance exists at `settings.dagster_home()` (prepared by `make dagster`, or by
`python -m zoho_pipeline.dagster_home`): connecting an account never sets Dagster up, and Dagster is
imported only then, so the CLI stays fast. A failure here is logged; the partitions sensor and the
schedule add any missing partition later.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from zoho_pipeline.integrations.hooks import on_membership_change

if TYPE_CHECKING:
    from zoho_pipeline.integrations.store import Integration

log = logging.getLogger(__name__)


@on_membership_change
def sync_integration_partition(event: str, integration: Integration) -> None:
    """Add the integration's partition on "added", delete it on "removed" (when Dagster is set up)."""
    from zoho_pipeline.dagster_home import existing_dagster_home

    home = existing_dagster_home()
    if home is None:
        log.debug("no Dagster instance yet: the partitions sensor adds %s later", integration.id)
        return
    from zoho_pipeline.defs.partitions import add_integration_partition, remove_integration_partition

    if event == "added":
        add_integration_partition(integration.id, home)
    elif event == "removed":
        remove_integration_partition(integration.id, home)
