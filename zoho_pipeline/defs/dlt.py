"""Raw Zoho tables as Dagster assets (dagster-dlt), keyed `zoho/<table>` like the dbt sources.

One partition per connected Zoho account. A run imports that account through the same code path as
`zoho-pipeline import` (zoho_pipeline.importer.run_import), so the import is recorded in the control
store (in_progress → completed / failed with its error) and `zoho-pipeline status/history` show it.
The dbt step is left to the dbt assets downstream.
"""
# No `from __future__ import annotations`: Dagster reads the config annotation of the asset function.
import time
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline
from pydantic import Field

from zoho_pipeline import settings
from zoho_pipeline.defs.partitions import integrations_partitions
from zoho_pipeline.sources.zoho.settings import MODULE_GROUPS, RECORD_MODULES

RAW_ASSETS_NAME = "zoho_raw_tables"
RAW_GROUP = "zoho_raw"

# Raw record table -> the `--modules` name that imports it (contacts -> contacts, cases -> tickets ...).
TABLE_MODULES: dict[str, str] = {
    RECORD_MODULES[zoho_module]: module
    for module, zoho_modules in MODULE_GROUPS.items()
    for zoho_module in zoho_modules
}


class ImportConfig(dg.Config):
    """Run config of an import (all optional: the default is the incremental import)."""

    modules: list[str] | None = Field(
        default=None,
        description="Modules to import: contacts, deals, tickets, notes, activities (default: all, "
        "or those of the selected tables).",
    )
    date_from: str | None = Field(
        default=None,
        description="YYYY-MM-DD: records modified on or after this day (a backfill: the cursor stays).",
    )
    date_to: str | None = Field(
        default=None, description="YYYY-MM-DD: import records modified up to this day (inclusive)."
    )
    full: bool = Field(default=False, description="Re-read everything (still duplicates nothing).")


def table_name(resource: Any) -> str:
    """The raw table a dlt resource writes (its static table name, else its name)."""
    table = resource.table_name
    return table if isinstance(table, str) else resource.name


class ZohoDltTranslator(DagsterDltTranslator):
    """Keys each raw table `zoho/<table>` (the dbt sources' asset_key), in group `zoho_raw`."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        table = table_name(data.resource)
        return spec.replace_attributes(
            key=dg.AssetKey(["zoho", table]),
            deps=[],
            group_name=RAW_GROUP,
            description=table_description(table) or spec.description or data.resource.__doc__,
        )


def table_description(table: str) -> str | None:
    """Record tables share one resource function (and docstring): say which Zoho module each holds."""
    zoho_module = next((module for module, name in RECORD_MODULES.items() if name == table), None)
    if zoho_module is None:
        return None
    return (
        f"Zoho {zoho_module} records as Zoho gave them (`record` JSON), one row per integration and id, "
        f"loaded incrementally on Modified_Time (UTC). `--modules {TABLE_MODULES[table]}`."
    )


def modules_for_tables(tables: set[str]) -> list[str] | None:
    """The `--modules` that load these tables; None (all) when every record table is among them."""
    modules = {TABLE_MODULES[table] for table in tables if table in TABLE_MODULES}
    if not modules or modules == set(MODULE_GROUPS):
        return None
    return [module for module in MODULE_GROUPS if module in modules]


def spec_source_and_pipeline(destination: str) -> tuple[DltSource, Pipeline]:
    """The source and pipeline dagster-dlt reads the asset specs from: no credentials, no network.

    The source's resources name the tables; the pipeline only names the destination (the asset kind).
    Runs build their own, per integration, through the importer.
    """
    import dlt

    from zoho_pipeline.sources.zoho import zoho_source

    source = zoho_source(
        integration_id="", client_id="", client_secret="", refresh_token="", accounts_url="", api_domain=""
    )
    pipeline = dlt.pipeline(
        pipeline_name="zoho_dagster_specs",
        destination=destination,
        dataset_name=settings.RAW_DATASET,
        pipelines_dir=str(settings.pipelines_dir()),
    )
    return source, pipeline


def build_zoho_raw_assets(source: DltSource, pipeline: Pipeline, *, pool: str | None) -> dg.AssetsDefinition:
    """The dlt assets over `source` (its resources give the tables; `pipeline` only names the destination)."""

    @dlt_assets(
        dlt_source=source,
        dlt_pipeline=pipeline,
        name=RAW_ASSETS_NAME,
        dagster_dlt_translator=ZohoDltTranslator(),
        partitions_def=integrations_partitions,
        pool=pool,
        op_tags={"kind": "dlt"},
    )
    def zoho_raw_tables(
        context: dg.AssetExecutionContext, config: ImportConfig
    ) -> Iterator[dg.MaterializeResult]:
        yield from import_integration(context, config)

    return zoho_raw_tables


def import_integration(
    context: dg.AssetExecutionContext, config: ImportConfig
) -> Iterator[dg.MaterializeResult]:
    """Import the run's partition (one Zoho account) as `zoho-pipeline import` does; one result per table."""
    from zoho_pipeline.errors import UserError
    from zoho_pipeline.importer import run_import

    integration_id = context.partition_key
    if config.full and (config.date_from or config.date_to):
        # As `zoho-pipeline import --full --from ...`: refused before anything starts.
        raise dg.Failure(
            "full reads everything: leave out date_from/date_to, or drop full", allow_retries=False
        )
    selected_tables = {key.path[-1] for key in context.selected_asset_keys}
    modules = config.modules or modules_for_tables(selected_tables)
    context.log.info(
        f"importing {integration_id}: modules={modules or 'all'} date_from={config.date_from} "
        f"date_to={config.date_to} full={config.full}"
    )
    try:
        summary = run_import(
            integration_id,
            modules=modules,
            date_from=config.date_from,
            date_to=config.date_to,
            full=config.full,
            progress=ProgressLog(context),
        )
    except UserError as error:
        # The importer has recorded the run as failed with this message (zoho-pipeline history).
        raise dg.Failure(
            description=str(error),
            metadata={"integration_id": integration_id, "import_id": _last_import_id(integration_id)},
            allow_retries=False,
        ) from error
    rows_loaded = loaded_row_counts(integration_id)
    for key in sorted(context.selected_asset_keys, key=lambda asset_key: asset_key.to_user_string()):
        yield dg.MaterializeResult(asset_key=key, metadata=table_metadata(key.path[-1], summary, rows_loaded))


def table_metadata(table: str, summary: Any, rows_loaded: Mapping[str, int]) -> dict[str, Any]:
    """What the import did to one raw table: rows loaded, records failed, API calls, credits, duration."""
    module = next((m for m in summary.modules if m.table == table), None)
    metadata: dict[str, Any] = {
        "integration_id": summary.integration_id,
        "import_id": summary.import_id,
        "rows_loaded": rows_loaded.get(table, 0),
        "records_failed": module.failed if module else (summary.rejects if table == "rejects" else 0),
        "api_calls": summary.api_calls,
        # Zoho reports credits (X-API-CREDITS-REMAINING) only once half the day's allowance is used;
        # until then every call this import makes costs one credit.
        "credits_used": summary.credits_used if summary.credits_used is not None else summary.api_calls,
        "credits_reported_by_zoho": summary.credits_used is not None,
        "credits_remaining": summary.credits_remaining,
        "duration_seconds": dg.MetadataValue.float(round(summary.duration_seconds, 3)),
    }
    if module is not None:
        metadata.update(
            zoho_module=module.module,
            zoho_record_count=module.zoho_count,
            records_fetched=module.fetched,
            complete=module.complete,
        )
    return {name: value for name, value in metadata.items() if value is not None}


def loaded_row_counts(integration_id: str) -> dict[str, int]:
    """Rows per table in the import's load (dlt's normalize counts from the pipeline's last trace)."""
    from zoho_pipeline.pipelines import build_pipeline

    trace = build_pipeline(integration_id).last_trace
    info = trace.last_normalize_info if trace else None
    return dict(info.row_counts) if info else {}


def _last_import_id(integration_id: str) -> str | None:
    from zoho_pipeline.import_runs import import_status

    try:
        return import_status(integration_id).get("importId")
    except Exception:  # metadata only: the failure itself is what matters
        return None


class ProgressLog:
    """Progress of the import in the Dagster run log: totals first, then each module every few seconds."""

    INTERVAL_SECONDS = 5.0

    def __init__(self, context: dg.AssetExecutionContext) -> None:
        self.context = context
        self.totals: dict[str, int] = {}
        self.last_logged: dict[str, float] = {}

    def set_totals(self, totals: Mapping[str, int]) -> None:
        self.totals.update(totals)
        self.context.log.info("Zoho record counts: " + ", ".join(f"{m} {n}" for m, n in totals.items()))

    def progress(self, module: str, processed: int, successful: int, failed: int) -> None:
        now = time.monotonic()
        if now - self.last_logged.get(module, 0.0) < self.INTERVAL_SECONDS:
            return
        self.last_logged[module] = now
        total = self.totals.get(module)
        of_total = f"/{total}" if total is not None else ""
        self.context.log.info(f"{module}: {processed}{of_total} read, {successful} loaded, {failed} failed")
