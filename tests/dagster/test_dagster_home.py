"""Dagster's home: dagster.yaml with telemetry off and the DuckDB writer pool limited to one slot."""
from __future__ import annotations

import yaml
from dagster import DagsterInstance

from zoho_pipeline.dagster_home import prepare_dagster_home
from zoho_pipeline.defs.resources import DUCKDB_WRITER_POOL, warehouse_pools


def test_prepare_writes_telemetry_off_and_pool_limit(pipeline_home):
    home = prepare_dagster_home()
    assert home == (pipeline_home / "dagster").resolve()
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["concurrency"]["pools"]["default_limit"] == 1
    instance = DagsterInstance.from_config(str(home))
    try:
        assert instance.global_op_concurrency_default_limit == 1
        assert instance.event_log_storage.supports_global_concurrency_limits
    finally:
        instance.dispose()


def test_prepare_keeps_operator_settings(tmp_path):
    (tmp_path / "dagster.yaml").write_text(
        "concurrency:\n  runs:\n    max_concurrent_runs: 2\ntelemetry:\n  enabled: true\n"
    )
    prepare_dagster_home(tmp_path)
    config = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 2
    assert config["telemetry"]["enabled"] is True  # the operator's choice wins
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_duckdb_serializes_every_writer_postgres_only_dbt():
    duckdb = warehouse_pools("duckdb")
    assert duckdb.import_pool == duckdb.dbt_pool == DUCKDB_WRITER_POOL
    postgres = warehouse_pools("postgres")
    assert postgres.import_pool is None and postgres.dbt_pool is not None
