"""A sensor that keeps the `zoho_integrations` partitions equal to the integrations store.

The store's membership hooks add and remove partitions as accounts are connected and removed; this
catches up when a hook could not reach Dagster's home (for example, connected on another machine).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import dagster as dg

from zoho_pipeline.defs.partitions import INTEGRATIONS_PARTITIONS_NAME, integrations_partitions

INTEGRATIONS_SENSOR_NAME = "zoho_integrations_partitions"


def stored_integration_ids() -> list[str]:
    """Every integration in the store, whatever its state (a revoked one keeps its history)."""
    from zoho_pipeline.integrations.store import IntegrationStore

    with IntegrationStore.open() as store:
        return [integration.id for integration in store.list()]


def build_integrations_sensor(
    list_integrations: Callable[[], Sequence[str]] = stored_integration_ids,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=INTEGRATIONS_SENSOR_NAME,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds and removes zoho_integrations partitions to match the connected Zoho accounts.",
    )
    def zoho_integrations_partitions(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        wanted = set(list_integrations())
        existing = set(context.instance.get_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME))
        requests = []
        if wanted - existing:
            requests.append(integrations_partitions.build_add_request(sorted(wanted - existing)))
        if existing - wanted:
            requests.append(integrations_partitions.build_delete_request(sorted(existing - wanted)))
        return dg.SensorResult(dynamic_partitions_requests=requests)

    return zoho_integrations_partitions
