"""The integration store on SQLite and Postgres: records, encrypted secrets, the token cache, hooks."""

from __future__ import annotations

import os
import stat
import threading
from datetime import timedelta

import pytest

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations import IntegrationStore, on_membership_change
from zoho_pipeline.integrations.hooks import remove_hook
from zoho_pipeline.integrations.times import utc_now

SECRET = "client-secret-abcdef0123456789"
REFRESH = "1000.refreshrefreshrefresh0123456789.abcdefabcdef"
ACCESS = "1000.accessaccessaccess0123456789.fedcbafedcba"


def _add(store: IntegrationStore, name: str = "Acme") -> str:
    return store.add(
        name=name,
        accounts_url="https://accounts.zoho.eu",
        api_domain="https://www.zohoapis.eu",
        client_id="1000.CLIENT",
        client_secret=SECRET,
        refresh_token=REFRESH,
        org_id="123",
        org_name="Acme Ltd",
    ).id


def test_add_get_list_and_credentials(pipeline_home):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
        assert integration_id.startswith("zi_") and len(integration_id) == 13
        integration = store.get(integration_id)
        assert (integration.name, integration.state, integration.org_id) == ("Acme", "connected", "123")
        assert [i.id for i in store.list()] == [integration_id]
        credentials = store.credentials(integration_id)
        assert (credentials.client_secret, credentials.refresh_token) == (SECRET, REFRESH)
        assert SECRET not in repr(credentials) and REFRESH not in repr(credentials)
        assert SECRET not in str(integration.to_dict())


def test_unknown_integration_says_what_to_do(pipeline_home):
    with IntegrationStore.open() as store, pytest.raises(UserError, match="integrations list"):
        store.get("zi_0000000000")


def test_names_are_unique(pipeline_home):
    with IntegrationStore.open() as store:
        _add(store)
        with pytest.raises(UserError, match="already exists"):
            _add(store)
        assert len(store.list()) == 1


def test_secrets_are_encrypted_at_rest(pipeline_home):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
        store.save_access_token(integration_id, ACCESS, utc_now() + timedelta(hours=1))
    raw = b"".join(path.read_bytes() for path in pipeline_home.glob("control.sqlite*"))
    assert b"Acme" in raw  # the file is the one we think
    for secret in (SECRET, REFRESH, ACCESS):
        assert secret.encode() not in raw


def test_control_store_file_is_owner_only(pipeline_home):
    with IntegrationStore.open():
        pass
    assert stat.S_IMODE((pipeline_home / "control.sqlite").stat().st_mode) == 0o600


def test_generated_key_file_is_owner_only_and_reused(pipeline_home, monkeypatch):
    monkeypatch.delenv("ZOHO_PIPELINE_SECRET_KEY")
    with IntegrationStore.open() as store:
        integration_id = _add(store)
    key_file = pipeline_home / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with IntegrationStore.open() as store:  # a new process would read the same file
        assert store.credentials(integration_id).refresh_token == REFRESH


def test_key_file_readable_by_others_is_refused(pipeline_home, monkeypatch):
    monkeypatch.delenv("ZOHO_PIPELINE_SECRET_KEY")
    with IntegrationStore.open() as store:
        integration_id = _add(store)
    os.chmod(pipeline_home / "secret.key", 0o644)
    with IntegrationStore.open() as store, pytest.raises(UserError, match="chmod 600"):
        store.credentials(integration_id)


def test_wrong_key_is_a_clear_error_without_the_secret(pipeline_home, monkeypatch):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
    monkeypatch.setenv("ZOHO_PIPELINE_SECRET_KEY", "another-key")
    with IntegrationStore.open() as store:
        with pytest.raises(UserError, match="cannot decrypt the client secret") as caught:
            store.credentials(integration_id)
        assert SECRET not in str(caught.value)
        assert store.get(integration_id).name == "Acme"  # metadata needs no key


def test_access_token_cache(pipeline_home):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
        assert store.load_access_token(integration_id) is None
        expires_at = utc_now() + timedelta(hours=1)
        store.save_access_token(integration_id, ACCESS, expires_at)
    with IntegrationStore.open() as other_process_store:
        token, expiry = other_process_store.load_access_token(integration_id)
        assert token == ACCESS and abs((expiry - expires_at).total_seconds()) < 0.01
        other_process_store.save_access_token(integration_id, ACCESS, utc_now() + timedelta(seconds=30))
        assert other_process_store.load_access_token(integration_id) is None  # about to expire
        assert other_process_store.load_access_token(integration_id, min_valid=timedelta(0)) is not None


def test_set_state(pipeline_home):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
        store.set_state(integration_id, "revoked", "Zoho rejected the refresh token")
        integration = store.get(integration_id)
        assert (integration.state, integration.state_reason) == ("revoked", "Zoho rejected the refresh token")
        with pytest.raises(ValueError):
            store.set_state(integration_id, "sleepy")


def test_membership_hooks_hear_add_and_remove(pipeline_home):
    events = []

    @on_membership_change
    def record(event, integration):
        events.append((event, integration.id))

    @on_membership_change
    def broken(event, integration):
        raise RuntimeError("a hook failing does not undo the change")

    try:
        with IntegrationStore.open() as store:
            integration_id = _add(store)
            store.remove(integration_id)
            assert store.list() == []
    finally:
        remove_hook(record)
        remove_hook(broken)
    assert events == [("added", integration_id), ("removed", integration_id)]


def test_concurrent_writers_wait_instead_of_failing(pipeline_home):
    with IntegrationStore.open() as store:
        integration_id = _add(store)
    failures = []

    def write(n):
        try:
            with IntegrationStore.open() as store:
                for i in range(20):
                    store.save_access_token(integration_id, f"{ACCESS}{n}{i}", utc_now() + timedelta(hours=1))
        except Exception as error:  # pragma: no cover - the assertion below shows it
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.postgres
def test_postgres_backend(postgres_home, postgres_url):
    import psycopg2

    with IntegrationStore.open() as store:
        assert store.control.backend == "postgres"
        integration_id = _add(store)
        store.save_access_token(integration_id, ACCESS, utc_now() + timedelta(hours=1))
        store.set_state(integration_id, "failing", "100% of calls failed")  # a literal % survives
        assert store.credentials(integration_id).refresh_token == REFRESH
        assert store.get(integration_id).state_reason == "100% of calls failed"
        with pytest.raises(UserError, match="already exists"):
            _add(store)
    assert not (postgres_home / "control.sqlite").exists()
    connection = psycopg2.connect(postgres_url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "select name, client_secret, refresh_token, access_token from zoho_control.integrations"
        )
        name, *secrets = cursor.fetchone()
    finally:
        connection.close()
    assert name == "Acme"
    assert SECRET not in secrets and REFRESH not in secrets and ACCESS not in secrets
    with IntegrationStore.open() as store:
        assert [i.id for i in store.list()] == [integration_id]
        store.remove(integration_id)
        assert store.list() == []
