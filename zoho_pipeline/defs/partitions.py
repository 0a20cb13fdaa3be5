"""One Dagster partition per connected Zoho account, kept in step with the integrations store."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster import DagsterInstance

log = logging.getLogger(__name__)

INTEGRATIONS_PARTITIONS_NAME = "zoho_integrations"
integrations_partitions = dg.DynamicPartitionsDefinition(name=INTEGRATIONS_PARTITIONS_NAME)


def _instance(home: Path | None) -> DagsterInstance:
    """The Dagster instance at `home`, else at `settings.dagster_home()` with its dagster.yaml prepared."""
    from zoho_pipeline.dagster_home import prepare_dagster_home

    return dg.DagsterInstance.from_config(str(home or prepare_dagster_home()))


def add_integration_partition(integration_id: str, home: Path | None = None) -> bool:
    """Add the integration's partition to the Dagster instance; False (logged) when it cannot.

    Called by the integrations store when an account is connected. Never raises: Dagster is optional
    for the CLI, and the partitions sensor and the schedule add any partition that is missing.
    """
    try:
        instance = _instance(home)
        try:
            if not instance.has_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration_id):
                instance.add_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME, [integration_id])
        finally:
            instance.dispose()
        return True
    except Exception as error:  # the CLI command must still succeed
        log.warning("could not add Dagster partition %s: %s", integration_id, error)
        return False


def remove_integration_partition(integration_id: str, home: Path | None = None) -> bool:
    """Remove the integration's partition (its materialization history stays); False when it cannot."""
    try:
        instance = _instance(home)
        try:
            if instance.has_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration_id):
                instance.delete_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration_id)
        finally:
            instance.dispose()
        return True
    except Exception as error:
        log.warning("could not remove Dagster partition %s: %s", integration_id, error)
        return False
