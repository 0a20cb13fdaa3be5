"""The incremental import schedule: one run per connected Zoho account (hourly by default)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

import dagster as dg

from zoho_pipeline.defs.partitions import INTEGRATIONS_PARTITIONS_NAME

DEFAULT_IMPORT_CRON = "0 * * * *"
IMPORT_SCHEDULE_NAME = "zoho_incremental_import"
# Integrations in these states are imported on schedule ("failing" ones too: the error may be gone).
SCHEDULED_STATES = ("connected", "failing")


def import_schedule_cron() -> str:
    """`ZOHO_PIPELINE_IMPORT_SCHEDULE` (a cron expression), else hourly. Read when called."""
    return os.environ.get("ZOHO_PIPELINE_IMPORT_SCHEDULE", "").strip() or DEFAULT_IMPORT_CRON


def import_schedule_running() -> bool:
    """`ZOHO_PIPELINE_IMPORT_SCHEDULE_RUNNING=1` starts the schedule with the daemon (else it is off
    until switched on in the UI or with `dagster schedule start`)."""
    return os.environ.get("ZOHO_PIPELINE_IMPORT_SCHEDULE_RUNNING", "").strip().lower() in ("1", "true", "yes")


def scheduled_integration_ids() -> list[str]:
    """Ids of the integrations the schedule imports, from the integrations store."""
    from zoho_pipeline.integrations.store import IntegrationStore

    with IntegrationStore.open() as store:
        return [integration.id for integration in store.list() if integration.state in SCHEDULED_STATES]


def build_import_schedule(
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    *,
    cron_schedule: str,
    running: bool = False,
    list_integrations: Callable[[], Sequence[str]] = scheduled_integration_ids,
) -> dg.ScheduleDefinition:
    """A schedule that asks for one run of `job` per scheduled integration, keyed by its partition."""

    @dg.schedule(
        name=IMPORT_SCHEDULE_NAME,
        cron_schedule=cron_schedule,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description="Incremental import (extract, load, dbt build) of every connected Zoho account.",
    )
    def zoho_incremental_import(
        context: dg.ScheduleEvaluationContext,
    ) -> Iterator[dg.RunRequest | dg.SkipReason]:
        integration_ids = list(list_integrations())
        if not integration_ids:
            yield dg.SkipReason("no connected Zoho account: run `zoho-pipeline connect`")
            return
        # A run request for a partition that does not exist fails the tick: add any the hooks missed.
        existing = set(context.instance.get_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME))
        missing = [integration_id for integration_id in integration_ids if integration_id not in existing]
        if missing:
            context.instance.add_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME, missing)
        tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else ""
        for integration_id in integration_ids:
            yield dg.RunRequest(
                run_key=f"{integration_id}:{tick}",
                partition_key=integration_id,
                tags={"zoho/integration_id": integration_id, "zoho/trigger": "schedule"},
            )

    return zoho_incremental_import
