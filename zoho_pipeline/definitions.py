"""The one Dagster Definitions of zoho-pipeline, assembled from zoho_pipeline/defs/ by technology.

Loaded by workspace.yaml. Nothing here reads the environment at import time: `defs` is built when
Dagster loads it (`@dg.definitions`), and tests call `build_definitions(...)` with their own settings.
"""
from __future__ import annotations

import dagster as dg

from zoho_pipeline import settings
from zoho_pipeline.defs.dbt import build_dbt_assets, dbt_cli_resource, zoho_dbt_project
from zoho_pipeline.defs.dlt import build_zoho_raw_assets, spec_source_and_pipeline
from zoho_pipeline.defs.jobs import build_import_job
from zoho_pipeline.defs.resources import warehouse_pools
from zoho_pipeline.defs.schedules import build_import_schedule, import_schedule_cron, import_schedule_running
from zoho_pipeline.defs.sensors import build_integrations_sensor


def build_definitions(
    *,
    destination: str | None = None,
    schedule_cron: str | None = None,
    schedule_running: bool | None = None,
) -> dg.Definitions:
    """raw (dlt) → staging → marts (dbt), the import job, its schedule and the partitions sensor.

    Unset arguments come from the settings and environment, read now (not at import).
    """
    destination = destination or settings.destination()
    pools = warehouse_pools(destination)
    source, pipeline = spec_source_and_pipeline(destination)
    dbt_project = zoho_dbt_project()
    import_job = build_import_job()
    return dg.Definitions(
        assets=[
            build_zoho_raw_assets(source, pipeline, pool=pools.import_pool),
            build_dbt_assets(dbt_project, pool=pools.dbt_pool, destination=destination),
        ],
        jobs=[import_job],
        schedules=[
            build_import_schedule(
                import_job,
                cron_schedule=schedule_cron or import_schedule_cron(),
                running=import_schedule_running() if schedule_running is None else schedule_running,
            )
        ],
        sensors=[build_integrations_sensor()],
        resources={"dbt": dbt_cli_resource(dbt_project)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
