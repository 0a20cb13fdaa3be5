"""Run the Dagster import job for one Zoho account in this process, recorded in the local Dagster home.

`python -m zoho_pipeline.defs.runner INTEGRATION_ID [--modules contacts,deals] [--from D] [--to D] [--full]`
is what `make demo` can call: the run, its materializations and their metadata are stored in
`settings.dagster_home()`, so `make dagster` afterwards shows them. The import is recorded in the
control store as any other (`zoho-pipeline status/history`).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import dagster as dg

from zoho_pipeline.dagster_home import prepare_dagster_home
from zoho_pipeline.defs.dlt import RAW_ASSETS_NAME
from zoho_pipeline.defs.jobs import IMPORT_JOB_NAME
from zoho_pipeline.defs.partitions import INTEGRATIONS_PARTITIONS_NAME


def import_config(
    modules: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Run config of the import job (only the options that are set)."""
    config: dict[str, Any] = {"full": full}
    if modules:
        config["modules"] = list(modules)
    if date_from:
        config["date_from"] = date_from
    if date_to:
        config["date_to"] = date_to
    return {"ops": {RAW_ASSETS_NAME: {"config": config}}}


def run_import_job(
    integration_id: str,
    *,
    modules: Sequence[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    full: bool = False,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
) -> dg.ExecuteInProcessResult:
    """Import one account and `dbt build`, as the `zoho_import` job; never raises for a failed run."""
    from zoho_pipeline.definitions import build_definitions

    own_instance = instance is None
    instance = instance or dg.DagsterInstance.from_config(str(prepare_dagster_home()))
    try:
        if not instance.has_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration_id):
            instance.add_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME, [integration_id])
        job = build_definitions().resolve_job_def(IMPORT_JOB_NAME)
        return job.execute_in_process(
            run_config={**import_config(modules, date_from, date_to, full),
                        "loggers": {"console": {"config": {"log_level": log_level}}}},
            instance=instance,
            partition_key=integration_id,
            raise_on_error=False,
            tags={"zoho/integration_id": integration_id, "zoho/trigger": "runner"},
        )
    finally:
        if own_instance:
            instance.dispose()


def failure_message(result: dg.ExecuteInProcessResult) -> str | None:
    """The first failed step's one-line error, or None for a successful run."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error:
                return data.error.message.strip().splitlines()[0]
    return None if result.success else "the run failed: see the Dagster UI"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zoho_pipeline.defs.runner", description=__doc__.splitlines()[0]
    )
    parser.add_argument("integration_id")
    parser.add_argument("--modules", help="comma-separated: contacts, deals, tickets, notes, activities")
    parser.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    modules = [name.strip() for name in (args.modules or "").split(",") if name.strip()] or None
    result = run_import_job(
        args.integration_id, modules=modules, date_from=args.date_from, date_to=args.date_to, full=args.full
    )
    if result.success:
        materialized = len(result.get_asset_materialization_events())
        print(f"Dagster run {result.run_id} succeeded: {materialized} assets materialized")
        return 0
    print(f"error: Dagster run {result.run_id} failed: {failure_message(result)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
