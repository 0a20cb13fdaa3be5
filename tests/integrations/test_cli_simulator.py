"""The integration commands end to end against the Zoho simulator over real HTTP (subprocesses)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
import requests

from zoho_pipeline import settings
from zoho_pipeline.integrations import IntegrationStore, oauth
from zoho_pipeline.integrations.tokens import access_token

ROOT = settings.PROJECT_ROOT
ID = re.compile(r"zi_[0-9a-f]{10}")


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=ROOT,  # `-m zoho_pipeline` from the checkout, whatever the test's working directory
    )


def add(sim, org, name: str = "Zylker", *extra: str) -> subprocess.CompletedProcess:
    return cli(
        "integrations", "add", "--name", name, "--accounts-url", sim.accounts_url,
        "--refresh-token", org.refresh_token, *extra,
        env={"ZOHO_CLIENT_ID": org.client_id, "ZOHO_CLIENT_SECRET": org.client_secret},
    )  # fmt: skip


def start_connect(sim, *extra: str) -> tuple[subprocess.Popen, str]:
    """Run `connect` and return it with the authorization link it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "zoho_pipeline", "connect", "--no-browser", "--port", "0",
         "--accounts-url", sim.accounts_url, "--client-id", sim.org.client_id, "--timeout", "60", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "ZOHO_CLIENT_SECRET": sim.org.client_secret}, cwd=ROOT,
    )  # fmt: skip
    for line in process.stdout:
        if "/oauth/v2/auth?" in line:
            return process, line.strip()
    process.kill()
    raise AssertionError(f"connect printed no link: {process.stderr.read()}")


def test_connect_end_to_end(pipeline_home, simulator):
    process, link = start_connect(simulator)
    query = {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}
    assert link.startswith(f"{simulator.accounts_url}/oauth/v2/auth?")
    assert query["access_type"] == "offline" and query["prompt"] == "consent" and len(query["state"]) >= 32
    assert query["redirect_uri"].startswith("http://127.0.0.1:")

    # The simulator consents at once and redirects to the listener, as a browser would follow it.
    landing = requests.get(link, timeout=30)
    assert landing.status_code == 200 and "connected" in landing.text
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    integration_id = ID.search(stdout).group(0)

    shown = json.loads(cli("integrations", "show", integration_id, "--json").stdout)
    assert shown["name"] == simulator.org.name  # the org's name when --name is not given
    assert shown["orgId"] == simulator.org.org_id and shown["orgName"] == simulator.org.name
    assert shown["apiDomain"] == simulator.api_domain and shown["accountsUrl"] == simulator.accounts_url
    assert shown["state"] == "connected"
    with IntegrationStore.open() as store:
        credentials = store.credentials(integration_id)
    # The stored refresh token is the one Zoho issued for this consent, and it works.
    grant = oauth.refresh_access_token(
        credentials.accounts_url, credentials.client_id, credentials.client_secret, credentials.refresh_token
    )
    assert grant.api_domain == simulator.api_domain
    assert credentials.refresh_token != simulator.org.refresh_token


def test_connect_rejects_a_wrong_state(pipeline_home, simulator):
    process, link = start_connect(simulator, "--name", "Forged")
    redirect_uri = parse_qs(urlsplit(link).query)["redirect_uri"][0]
    # An answer that did not come from our authorization request (a forged or stale redirect).
    forged = requests.get(redirect_uri, params={"code": "1000.stolen", "state": "guessed"}, timeout=30)
    assert forged.status_code == 400
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.strip().startswith("error: the authorization answer's state does not match")
    assert len(stderr.strip().splitlines()) == 1
    assert json.loads(cli("integrations", "list", "--json").stdout) == []
    assert not simulator.requests(path="/oauth/v2/token")  # the code was never traded


def test_add_with_a_bad_refresh_token_stores_nothing(pipeline_home, simulator):
    org = simulator.org
    result = cli(
        "integrations", "add", "--name", "Bad", "--accounts-url", simulator.accounts_url,
        "--client-id", org.client_id, "--client-secret", org.client_secret,
        "--refresh-token", "1000.wrong.token",
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Zoho rejected the refresh token")
    assert "Traceback" not in result.stderr and org.client_secret not in result.stderr
    assert json.loads(cli("integrations", "list", "--json").stdout) == []


def test_add_with_a_bad_client_secret_says_so(pipeline_home, simulator):
    org = simulator.org
    result = cli(
        "integrations", "add", "--name", "Bad", "--accounts-url", simulator.accounts_url,
        "--client-id", org.client_id, "--client-secret", "not-the-secret",
        "--refresh-token", org.refresh_token,
    )  # fmt: skip
    assert (
        result.returncode == 1 and "invalid_client" in result.stderr and "not-the-secret" not in result.stderr
    )


def test_add_list_show_remove_revokes_at_zoho(pipeline_home, simulator):
    org = simulator.org
    added = add(simulator, org, "Zylker", "--json")
    assert added.returncode == 0, added.stderr
    integration = json.loads(added.stdout)
    integration_id = integration["id"]
    assert integration["orgId"] == org.org_id and integration["apiDomain"] == simulator.api_domain
    assert add(simulator, org, "Zylker").stderr.startswith(
        "error: an integration named 'Zylker' already exists"
    )

    listed = cli("integrations", "list", "--json")
    assert [i["id"] for i in json.loads(listed.stdout)] == [integration_id]
    plain = cli("integrations", "list")
    assert integration_id in plain.stdout and "Zylker" in plain.stdout
    shown = cli("integrations", "show", integration_id)
    assert org.org_id in shown.stdout and "connected" in shown.stdout
    for output in (added.stdout, listed.stdout, plain.stdout, shown.stdout):
        assert org.refresh_token not in output and org.client_secret not in output

    # imported data stays without --purge
    with duckdb.connect(str(settings.duckdb_path())) as warehouse:
        warehouse.execute("create schema zoho_raw")
        warehouse.execute("create table zoho_raw.contacts (integration_id text, id text)")
        warehouse.execute("insert into zoho_raw.contacts values (?, '1')", [integration_id])

    removed = cli("integrations", "remove", integration_id)
    assert removed.returncode == 0, removed.stderr
    assert "revoked" in removed.stdout and "kept" in removed.stdout
    with pytest.raises(oauth.ZohoAuthError) as rejected:
        oauth.refresh_access_token(
            simulator.accounts_url, org.client_id, org.client_secret, org.refresh_token
        )
    assert rejected.value.token_rejected
    assert json.loads(cli("integrations", "list", "--json").stdout) == []
    assert cli("integrations", "show", integration_id).stderr.startswith(
        f"error: no integration {integration_id}"
    )
    with duckdb.connect(str(settings.duckdb_path())) as warehouse:
        assert warehouse.execute("select count(*) from zoho_raw.contacts").fetchone() == (1,)


def test_remove_with_purge_deletes_imported_data(pipeline_home, simulator):
    keep_org = simulator.add_org(seed=3, name="Keep Ltd")
    purge_id = json.loads(add(simulator, simulator.org, "Purge", "--json").stdout)["id"]
    keep_id = json.loads(add(simulator, keep_org, "Keep", "--json").stdout)["id"]
    with duckdb.connect(str(settings.duckdb_path())) as warehouse:
        warehouse.execute("create schema zoho_raw")
        warehouse.execute("create table zoho_raw.contacts (integration_id text, id text)")
        warehouse.execute("insert into zoho_raw.contacts values (?, '1'), (?, '2'), (?, '3')",
                          [purge_id, purge_id, keep_id])  # fmt: skip

    removed = cli("integrations", "remove", purge_id, "--purge", "--json")
    assert removed.returncode == 0, removed.stderr
    report = json.loads(removed.stdout)
    assert report["revoked"] is True and report["purgedRows"] == {"zoho_raw.contacts": 2}
    with duckdb.connect(str(settings.duckdb_path())) as warehouse:
        assert warehouse.execute("select integration_id from zoho_raw.contacts").fetchall() == [(keep_id,)]
    assert [i["id"] for i in json.loads(cli("integrations", "list", "--json").stdout)] == [keep_id]


def test_secrets_never_in_the_store_file_or_output(pipeline_home, simulator):
    org = simulator.org
    integration_id = json.loads(add(simulator, org, "Zylker", "--json").stdout)["id"]
    with IntegrationStore.open() as store:
        cached_token, _ = store.load_access_token(integration_id)  # the one minted to validate
    raw = b"".join(path.read_bytes() for path in pipeline_home.glob("control.sqlite*"))
    assert integration_id.encode() in raw
    for secret in (org.refresh_token, org.client_secret, cached_token):
        assert secret.encode() not in raw
    outputs = [
        cli("integrations", "list", "--json").stdout,
        cli("integrations", "show", integration_id, "--json").stdout,
        cli("status", integration_id, "--json").stdout,
    ]
    for output in outputs:
        for secret in (org.refresh_token, org.client_secret, cached_token):
            assert secret not in output


def test_access_tokens_are_shared_and_refreshed_only_when_needed(pipeline_home, simulator):
    org = simulator.org
    integration_id = json.loads(add(simulator, org, "Zylker", "--json").stdout)["id"]
    simulator.reset_log()
    with IntegrationStore.open() as store:
        token, _, api_domain = access_token(store, integration_id)  # the validation's token, reused
        assert api_domain == simulator.api_domain
        assert simulator.requests(path="/oauth/v2/token") == []
        fresh, _, _ = access_token(store, integration_id, rejected_token=token)
        assert fresh != token and len(simulator.requests(path="/oauth/v2/token")) == 1
        org_answer = requests.get(
            f"{api_domain}/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {fresh}"}, timeout=30
        )
        assert org_answer.status_code == 200
        assert access_token(store, integration_id)[0] == fresh


def test_a_revoked_refresh_token_marks_the_integration_revoked(pipeline_home, simulator):
    org = simulator.org
    integration_id = json.loads(add(simulator, org, "Zylker", "--json").stdout)["id"]
    oauth.revoke_refresh_token(simulator.accounts_url, org.refresh_token)  # e.g. revoked in Zoho's console
    with IntegrationStore.open() as store:
        token = store.load_access_token(integration_id)[0]
        with pytest.raises(oauth.ZohoAuthError, match="connect"):
            access_token(store, integration_id, rejected_token=token)
        integration = store.get(integration_id)
    assert integration.state == "revoked" and "refresh token" in integration.state_reason


@pytest.mark.postgres
def test_add_and_remove_with_the_postgres_control_store(postgres_home, simulator):
    added = add(simulator, simulator.org, "Zylker", "--json")
    assert added.returncode == 0, added.stderr
    integration_id = json.loads(added.stdout)["id"]
    assert not (postgres_home / "control.sqlite").exists()
    assert cli("status", integration_id, "--json").stdout.count('"idle"') == 1
    removed = cli("integrations", "remove", integration_id, "--purge")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(cli("integrations", "list", "--json").stdout) == []
