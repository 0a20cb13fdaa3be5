"""The schedule asks for one run per connected Zoho account, none for a removed (or revoked) one."""
from __future__ import annotations

import datetime as dt

import pytest
from dagster import build_schedule_context, build_sensor_context

from zoho_pipeline.defs.partitions import INTEGRATIONS_PARTITIONS_NAME
from zoho_pipeline.defs.schedules import IMPORT_SCHEDULE_NAME
from zoho_pipeline.defs.sensors import INTEGRATIONS_SENSOR_NAME
from zoho_pipeline.integrations.store import IntegrationStore

from .test_partitions import add_fake_integration


@pytest.fixture
def defs(dagster_home):
    from zoho_pipeline.definitions import build_definitions

    return build_definitions(destination="duckdb")


def tick(defs, instance):
    schedule = defs.resolve_schedule_def(IMPORT_SCHEDULE_NAME)
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 12, 3, 22, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    return schedule.evaluate_tick(context)


def test_one_run_request_per_connected_account(defs, dagster_instance):
    with IntegrationStore.open() as store:
        kept = add_fake_integration(store, "kept")
        removed = add_fake_integration(store, "removed")
        revoked = add_fake_integration(store, "revoked")
        store.remove(removed.id)
        store.set_state(revoked.id, "revoked", "the refresh token was revoked")

    requests = tick(defs, dagster_instance).run_requests
    assert [request.partition_key for request in requests] == [kept.id]
    assert requests[0].tags["zoho/integration_id"] == kept.id
    assert removed.id not in dagster_instance.get_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME)


def test_no_account_skips_the_tick(defs, dagster_instance):
    result = tick(defs, dagster_instance)
    assert not result.run_requests
    assert "no connected Zoho account" in result.skip_message


def test_schedule_adds_a_partition_the_hook_missed(defs, dagster_instance):
    with IntegrationStore.open() as store:
        integration = add_fake_integration(store, "missed")
    dagster_instance.delete_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration.id)

    requests = tick(defs, dagster_instance).run_requests
    assert [request.partition_key for request in requests] == [integration.id]
    assert dagster_instance.has_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration.id)


def test_sensor_reconciles_partitions_with_the_store(defs, dagster_instance):
    with IntegrationStore.open() as store:
        integration = add_fake_integration(store, "only")
    dagster_instance.delete_dynamic_partition(INTEGRATIONS_PARTITIONS_NAME, integration.id)
    dagster_instance.add_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME, ["zi_gone000000"])

    sensor = defs.resolve_sensor_def(INTEGRATIONS_SENSOR_NAME)
    result = sensor.evaluate_tick(build_sensor_context(instance=dagster_instance))
    requests = {type(request).__name__: list(request.partition_keys) for request in
                result.dynamic_partitions_requests}
    assert requests == {"AddDynamicPartitionsRequest": [integration.id],
                        "DeleteDynamicPartitionsRequest": ["zi_gone000000"]}
