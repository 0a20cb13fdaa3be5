"""The Dagster import against the simulator: the whole graph for one account, and failing runs.

Each run imports through zoho_pipeline.importer.run_import, so it is recorded in the control store
exactly as a CLI import (`zoho-pipeline status/history` show it).
"""
from __future__ import annotations

import duckdb
import pytest
from dagster import AssetKey, DagsterRunStatus

from tests.dagster.helpers import connect
from zoho_pipeline import settings
from zoho_pipeline.defs.dlt import RAW_ASSETS_NAME
from zoho_pipeline.defs.jobs import IMPORT_JOB_NAME
from zoho_pipeline.import_runs import import_history
from zoho_pipeline.integrations.store import IntegrationStore


@pytest.fixture
def import_job(dagster_home):
    from zoho_pipeline.definitions import build_definitions

    return build_definitions(destination="duckdb").resolve_job_def(IMPORT_JOB_NAME)


def materializations(result) -> dict[str, dict]:
    return {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }


def test_materialize_the_whole_graph_for_one_account(simulator, import_job, dagster_instance):
    integration = connect(simulator)
    result = import_job.execute_in_process(instance=dagster_instance, partition_key=integration.id)
    assert result.success

    materialized = materializations(result)
    contacts = materialized["zoho/contacts"]
    assert contacts["rows_loaded"].value > 0
    assert contacts["records_failed"].value == 0
    assert contacts["api_calls"].value > 0
    assert contacts["credits_used"].value >= contacts["api_calls"].value
    assert contacts["duration_seconds"].value > 0
    assert contacts["integration_id"].value == integration.id
    assert {"zoho/deals", "zoho/cases", "zoho/fields", "zoho/record_counts"} <= set(materialized)
    assert {"stg_zoho__contacts", "customers", "conversations", "messages"} <= set(materialized)
    assert materialized["customers"]["dagster/row_count"].value > 0
    checks = result.get_asset_check_evaluations()
    failed_checks = [check.asset_check_key for check in checks if not check.passed]
    assert checks and not failed_checks, failed_checks

    history = import_history(integration.id)
    assert [run["status"] for run in history] == ["completed"]
    assert history[0]["importId"] == contacts["import_id"].value
    assert history[0]["progress"]["successful"] > 0

    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as warehouse:
        (customers,) = warehouse.sql(f"select count(*) from {settings.MARTS_SCHEMA}.customers").fetchone()
    assert customers > 0

    run = dagster_instance.get_run_by_id(result.run_id)
    assert run.status == DagsterRunStatus.SUCCESS and run.tags["dagster/partition"] == integration.id


def test_a_revoked_token_fails_the_run_and_the_import(simulator, import_job, dagster_instance):
    integration = connect(simulator)
    simulator.control.revoke(simulator.org.refresh_token)
    with IntegrationStore.open() as store:  # forget the cached access token, as after an hour
        store.control.execute(
            "update {s}integrations set access_token = null where id = ?", (integration.id,)
        )

    result = import_job.execute_in_process(
        instance=dagster_instance, partition_key=integration.id, raise_on_error=False
    )
    assert not result.success
    assert dagster_instance.get_run_by_id(result.run_id).status == DagsterRunStatus.FAILURE
    failure = result.failure_data_for_node(RAW_ASSETS_NAME)
    message = failure.user_failure_data.description
    assert "revoked" in message.lower() or "reconnect" in message.lower(), message
    assert not result.get_asset_materialization_events()  # dbt did not run on a failed import

    (last,) = import_history(integration.id)
    assert last["status"] == "failed"
    assert message in [error["message"] for error in last["errors"]]
    assert last["finishedAt"] is not None


def test_simulator_faults_fail_the_run_with_the_error(make_simulator, import_job, dagster_instance):
    simulator = make_simulator(daily_credits=3)
    integration = connect(simulator)
    result = import_job.execute_in_process(
        instance=dagster_instance,
        partition_key=integration.id,
        run_config={"ops": {RAW_ASSETS_NAME: {"config": {"modules": ["contacts"]}}}},
        raise_on_error=False,
    )
    assert not result.success
    message = result.failure_data_for_node(RAW_ASSETS_NAME).user_failure_data.description
    (last,) = import_history(integration.id)
    assert last["status"] == "failed"
    assert message in [error["message"] for error in last["errors"]]
    assert last["options"]["modules"] == ["contacts"]


def test_backfill_run_config_reaches_the_import(simulator, import_job, dagster_instance):
    integration = connect(simulator)
    assert import_job.execute_in_process(instance=dagster_instance, partition_key=integration.id).success
    config = {"modules": ["deals"], "date_from": "2020-01-01", "date_to": "2030-12-31", "full": False}
    result = import_job.execute_in_process(
        instance=dagster_instance,
        partition_key=integration.id,
        run_config={"ops": {RAW_ASSETS_NAME: {"config": config}}},
    )
    assert result.success
    last, first = import_history(integration.id)
    assert (last["status"], first["status"]) == ("completed", "completed")
    assert last["options"]["modules"] == ["deals"]
    assert last["options"]["dateRange"] == {"from": "2020-01-01", "to": "2030-12-31"}
    materialized = materializations(result)
    assert materialized["zoho/deals"]["rows_loaded"].value > 0  # the window re-reads them (merged)
    assert materialized["zoho/contacts"]["rows_loaded"].value == 0  # not among the modules
    assert AssetKey("customers").to_user_string() in materialized


@pytest.mark.postgres
def test_materialize_the_whole_graph_on_postgres(postgres_home, simulator, dagster_home, dagster_instance):
    from zoho_pipeline.definitions import build_definitions

    defs = build_definitions()  # the destination comes from the settings: postgres
    import_job = defs.resolve_job_def(IMPORT_JOB_NAME)
    assert {assets.op.name: assets.op.pool for assets in defs.assets}[RAW_ASSETS_NAME] is None
    first = connect(simulator, "First")
    result = import_job.execute_in_process(instance=dagster_instance, partition_key=first.id)
    assert result.success
    materialized = materializations(result)
    assert materialized["zoho/contacts"]["rows_loaded"].value > 0
    assert materialized["customers"]["dagster/row_count"].value > 0
    assert [run["status"] for run in import_history(first.id)] == ["completed"]
