"""The one Definitions loads, and raw → staging → marts is one lineage graph (explicit keys)."""
from __future__ import annotations

import importlib

from dagster import AssetKey

from zoho_pipeline.defs.dbt import DBT_ASSETS_NAME
from zoho_pipeline.defs.dlt import RAW_ASSETS_NAME
from zoho_pipeline.defs.jobs import IMPORT_JOB_NAME
from zoho_pipeline.defs.partitions import INTEGRATIONS_PARTITIONS_NAME
from zoho_pipeline.defs.resources import DUCKDB_WRITER_POOL
from zoho_pipeline.defs.schedules import IMPORT_SCHEDULE_NAME
from zoho_pipeline.defs.sensors import INTEGRATIONS_SENSOR_NAME

RAW_TABLES = [
    "contacts", "accounts", "deals", "cases", "notes", "calls", "tasks", "events",
    "deleted_records", "fields", "deal_stages", "record_counts", "rejects",
]  # fmt: skip
MARTS = ["customers", "customer_sources", "conversations", "messages", "customer_notes", "call_logs", "tasks"]
# (raw table, staging model, mart): each chain must be a path in the graph.
CHAINS = [
    ("contacts", "stg_zoho__contacts", "customers"),
    ("deals", "stg_zoho__deals", "conversations"),
    ("cases", "stg_zoho__cases", "conversations"),
    ("notes", "stg_zoho__notes", "messages"),
    ("calls", "stg_zoho__calls", "call_logs"),
    ("events", "stg_zoho__events", "tasks"),
]


def ancestors(graph, key: AssetKey) -> set[AssetKey]:
    seen: set[AssetKey] = set()
    stack = [key]
    while stack:
        for parent in graph.get(stack.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def test_definitions_form_one_lineage_graph(dagster_home):
    from zoho_pipeline.definitions import build_definitions

    defs = build_definitions(destination="duckdb")
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())

    raw_keys = {AssetKey(["zoho", table]) for table in RAW_TABLES}
    assert raw_keys <= keys
    assert {AssetKey(mart) for mart in MARTS} <= keys
    for table, staging, mart in CHAINS:
        assert AssetKey(["zoho", table]) in graph.get(AssetKey(staging)).parent_keys, (table, staging)
        assert AssetKey(staging) in ancestors(graph, AssetKey(mart)), (staging, mart)
    # One graph: every dbt model (not the seeds) reads, through its ancestors, some raw table.
    for key in keys - raw_keys:
        node = graph.get(key)
        if node.group_name != "dbt_seeds":
            assert ancestors(graph, key) & raw_keys, f"{key.to_user_string()} reads no raw table"

    # dbt tests are asset checks on the models they test.
    checks = graph.asset_check_keys
    assert checks and {check.asset_key for check in checks} <= keys - raw_keys

    # Raw tables: one partition per Zoho account; the marts span accounts (unpartitioned).
    contacts = graph.get(AssetKey(["zoho", "contacts"]))
    assert contacts.partitions_def.name == INTEGRATIONS_PARTITIONS_NAME
    assert graph.get(AssetKey("customers")).partitions_def is None
    assert contacts.group_name == "zoho_raw"

    # DuckDB: the import and the dbt build both hold the one-writer pool.
    assets_by_name = {assets.op.name: assets for assets in defs.assets}
    assert assets_by_name[RAW_ASSETS_NAME].op.pool == DUCKDB_WRITER_POOL
    assert assets_by_name[DBT_ASSETS_NAME].op.pool == DUCKDB_WRITER_POOL

    assert defs.resolve_job_def(IMPORT_JOB_NAME).partitions_def.name == INTEGRATIONS_PARTITIONS_NAME
    assert defs.resolve_schedule_def(IMPORT_SCHEDULE_NAME).cron_schedule == "0 * * * *"
    assert defs.resolve_sensor_def(INTEGRATIONS_SENSOR_NAME)


def test_postgres_imports_run_side_by_side(dagster_home):
    from zoho_pipeline.definitions import build_definitions

    defs = build_definitions(destination="postgres", schedule_cron="*/15 * * * *", schedule_running=True)
    assets_by_name = {assets.op.name: assets for assets in defs.assets}
    assert assets_by_name[RAW_ASSETS_NAME].op.pool is None
    assert assets_by_name[DBT_ASSETS_NAME].op.pool not in (None, DUCKDB_WRITER_POOL)
    schedule = defs.resolve_schedule_def(IMPORT_SCHEDULE_NAME)
    assert schedule.cron_schedule == "*/15 * * * *"
    assert schedule.default_status.value == "RUNNING"


def test_schedule_is_configurable_from_the_environment(dagster_home, monkeypatch):
    from zoho_pipeline.definitions import build_definitions

    monkeypatch.setenv("ZOHO_PIPELINE_IMPORT_SCHEDULE", "30 2 * * *")
    schedule = build_definitions(destination="duckdb").resolve_schedule_def(IMPORT_SCHEDULE_NAME)
    assert schedule.cron_schedule == "30 2 * * *"
    assert schedule.default_status.value == "STOPPED"


def test_importing_the_definitions_reads_no_environment(tmp_path, monkeypatch):
    home = tmp_path / "never-created"
    monkeypatch.setenv("ZOHO_PIPELINE_HOME", str(home))
    monkeypatch.setenv("ZOHO_PIPELINE_DESTINATION", "not-a-destination")  # would raise if read
    import zoho_pipeline.definitions

    importlib.reload(zoho_pipeline.definitions)
    assert not home.exists()
