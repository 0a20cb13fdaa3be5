"""Connecting or removing a Zoho account adds or removes its Dagster partition (the store's hook)."""
from __future__ import annotations

from dagster import DagsterInstance

from zoho_pipeline.dagster_home import prepare_dagster_home
from zoho_pipeline.defs.partitions import (
    INTEGRATIONS_PARTITIONS_NAME,
    add_integration_partition,
    remove_integration_partition,
)
from zoho_pipeline.integrations.store import IntegrationStore


def add_fake_integration(store: IntegrationStore, name: str):
    """An integration as `integrations add` stores it, without asking Zoho (nothing here calls it)."""
    return store.add(
        name=name,
        accounts_url="http://127.0.0.1:9/accounts",
        api_domain="http://127.0.0.1:9",
        client_id="client",
        client_secret="secret",
        refresh_token="refresh",
        org_id="org",
        org_name=name,
    )


def partitions(home) -> list[str]:
    instance = DagsterInstance.from_config(str(home))
    try:
        return list(instance.get_dynamic_partitions(INTEGRATIONS_PARTITIONS_NAME))
    finally:
        instance.dispose()


def test_store_add_and_remove_follow_partitions(pipeline_home):
    home = prepare_dagster_home()  # as `make dagster` does
    with IntegrationStore.open() as store:
        first = add_fake_integration(store, "first")
        second = add_fake_integration(store, "second")
        assert sorted(partitions(home)) == sorted([first.id, second.id])
        store.remove(first.id)
    assert partitions(home) == [second.id]


def test_connecting_never_sets_dagster_up(pipeline_home):
    with IntegrationStore.open() as store:
        add_fake_integration(store, "cli only")
    assert not (pipeline_home / "dagster" / "dagster.yaml").exists()
    assert not (pipeline_home / "dagster" / "storage").exists()


def test_without_dagster_home_the_partition_goes_under_the_pipeline_home(pipeline_home, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")
    assert add_integration_partition("zi_0000000001")
    assert (pipeline_home / "dagster" / "dagster.yaml").exists()
    assert partitions(pipeline_home / "dagster") == ["zi_0000000001"]
    assert remove_integration_partition("zi_0000000001")
    assert partitions(pipeline_home / "dagster") == []


def test_an_unusable_dagster_home_never_fails_the_caller(pipeline_home, monkeypatch, caplog):
    blocker = pipeline_home / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(blocker / "dagster"))
    assert add_integration_partition("zi_0000000002") is False
    assert remove_integration_partition("zi_0000000002") is False
    assert "could not add Dagster partition" in caplog.text
