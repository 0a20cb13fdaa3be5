"""dbt models as Dagster assets (dagster-dbt): staging → intermediate → marts, dbt tests as asset checks.

The dbt sources carry `meta: {dagster: {asset_key: ["zoho", "<table>"]}}`, the keys of the dlt assets,
so raw → staging → marts is one lineage graph. The marts merge every connected account (one customer
per email across accounts), so the dbt assets are not partitioned: each import run rebuilds them
from all raw rows, and dbt's incremental models only touch what changed.
"""
# No `from __future__ import annotations`: Dagster reads the resource annotation of the asset function.
import fcntl
import json
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from zoho_pipeline import settings
from zoho_pipeline.transform import dbt_environment

DBT_ASSETS_NAME = "zoho_dbt_models"
# Models whose rows are worth counting (views would run their query; ephemeral ones are not relations).
TABLE_MATERIALIZATIONS = ("table", "incremental", "seed", "snapshot")


def dbt_executable() -> str:
    """The venv's `dbt` next to this Python (dagster-dbt runs dbt as a subprocess; PATH may lack it)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        for path in (project_dir / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        if (project_dir / name).exists():
            newest = max(newest, (project_dir / name).stat().st_mtime)
    return newest


def dagster_target_path() -> Path:
    """Where Dagster's dbt parse and runs write (under the pipeline home, apart from the CLI's dbt runs,
    so parallel homes never share a manifest). One per destination: the manifest names the relations
    (database.schema.table) of the target it was parsed for."""
    return settings.home() / "dbt" / "dagster" / settings.destination()


def zoho_dbt_project() -> DbtProject:
    """The dbt project with a current manifest (parsed again when a model, macro or seed is newer)."""
    project = DbtProject(settings.DBT_PROJECT_DIR, target_path=dagster_target_path())
    manifest = project.manifest_path
    project.target_path.mkdir(parents=True, exist_ok=True)
    # Several run processes start at once (one per account): one parses, the others wait and read its
    # manifest, instead of reading a file another process is half-way through writing.
    with open(project.target_path.parent / f"{project.target_path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (
            not manifest.exists()
            or manifest.stat().st_mtime < _newest_source_mtime(project.project_dir)
            or _manifest_adapter(manifest) != settings.destination()
        ):
            with dbt_environment():
                DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
                    ["parse", "--quiet"], target_path=project.target_path
                ).wait()
    return project


def _manifest_adapter(manifest: Path) -> str | None:
    """The adapter (duckdb, postgres) a manifest was parsed for: its relation names belong to that target."""
    try:
        return json.loads(manifest.read_text())["metadata"]["adapter_type"]
    except (OSError, ValueError, KeyError):
        return None


class ZohoDbtTranslator(DagsterDbtTranslator):
    """Keys models and seeds by their name (`stg_zoho__contacts`, `customers`), grouped by folder.

    Sources keep the key their meta sets (`zoho/<table>`, the dlt assets).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        key = super().get_asset_key(dbt_resource_props)
        meta = dbt_resource_props.get("config", {}).get("meta", {}) or dbt_resource_props.get("meta", {})
        if dbt_resource_props["resource_type"] == "source" or meta.get("dagster", {}).get("asset_key"):
            return key
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props.get("resource_type")
        if resource_type == "seed":
            return "dbt_seeds"
        fqn = dbt_resource_props.get("fqn") or []
        if resource_type in ("model", "snapshot") and len(fqn) > 2:
            return f"dbt_{fqn[1]}"
        return super().get_group_name(dbt_resource_props)


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def build_dbt_assets(project: DbtProject, *, pool: str | None, destination: str) -> dg.AssetsDefinition:
    """`dbt build` over the whole project; tests become asset checks. `pool` serializes warehouse writers.

    The build also holds the importer's warehouse write lock (a file lock, a no-op on Postgres), so it
    never meets a `zoho-pipeline import` started outside Dagster on the DuckDB file.
    Row counts (`dagster/row_count`) of tables: on Postgres dagster-dbt queries them while dbt runs;
    on DuckDB a second connection would meet dbt's own lock, so they are counted once dbt has exited.
    """
    manifest = json.loads(project.manifest_path.read_text())

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=DBT_ASSETS_NAME,
        dagster_dbt_translator=ZohoDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        pool=pool,
    )
    def zoho_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        from zoho_pipeline.transform import measure_mart_changes

        # measure_mart_changes holds the warehouse write lock for the whole build.
        with dbt_environment(), measure_mart_changes() as changes:
            # dbt's artifacts for this run go under the pipeline home, not into dbt_project/target.
            target_path = dagster_target_path() / "runs" / f"{context.run.run_id[:8]}-{uuid.uuid4().hex[:6]}"
            events = dbt.cli(["build"], context=context, target_path=target_path).stream()
            if destination == "postgres":
                yield from events.fetch_row_counts()
            else:
                yield from with_duckdb_row_counts(events, manifest)
        record_mart_changes(context, changes)

    return zoho_dbt_models


def record_mart_changes(context: dg.AssetExecutionContext, changes: Mapping[str, Any]) -> None:
    """Add what this build created and updated to the results of the run's import (`status`, `history`)."""
    from zoho_pipeline.history_table import publish_history
    from zoho_pipeline.import_runs import add_results, import_status
    from zoho_pipeline.transform import results_of

    results = results_of(dict(changes))
    context.log.info("marts: " + ", ".join(f"{name} {count}" for name, count in results.items()))
    integration_id = context.run.tags.get("dagster/partition")
    if not integration_id:  # a dbt-only run: no import to report to
        return
    import_id = import_status(integration_id).get("importId")
    if import_id:
        add_results(import_id, results)
        publish_history(integration_id)


def with_duckdb_row_counts(events: Iterator[Any], manifest: Mapping[str, Any]) -> Iterator[Any]:
    """The dbt events, each table's output with its row count, counted after dbt has exited.

    Events are held until dbt ends (or fails: what succeeded is still yielded, then the error raised).
    """
    held: list[Any] = []
    try:
        for event in events:
            held.append(event)
    except Exception:
        yield from _attach_row_counts(held, manifest)
        raise
    yield from _attach_row_counts(held, manifest)


def _attach_row_counts(events: list[Any], manifest: Mapping[str, Any]) -> Iterator[Any]:
    import duckdb

    relations: dict[int, str] = {}
    for index, event in enumerate(events):
        unique_id = event.metadata.get("unique_id") if isinstance(event, dg.Output) else None
        node = manifest.get("nodes", {}).get(unique_id.value) if unique_id is not None else None
        materialized = node["config"].get("materialized") if node else None
        if node and node.get("relation_name") and materialized in TABLE_MATERIALIZATIONS:
            relations[index] = node["relation_name"]
    counts: dict[str, int] = {}
    if relations and settings.duckdb_path().exists():
        try:
            with duckdb.connect(str(settings.duckdb_path()), read_only=True) as warehouse:
                for relation in set(relations.values()):
                    counts[relation] = warehouse.sql(f"select count(*) from {relation}").fetchone()[0]
        except duckdb.Error:
            counts = {}  # counts are a nicety: never fail a successful build over them
    for index, event in enumerate(events):
        relation = relations.get(index)
        if relation in counts:
            event = event.with_metadata({**event.metadata, "dagster/row_count": counts[relation]})
        yield event
