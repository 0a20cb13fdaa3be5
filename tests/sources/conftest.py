"""Source-test helpers: simulator credentials, warehouse queries, dlt state, imports in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoho_pipeline import settings
from zoho_pipeline.pipelines import PLACEHOLDER, fetch_all, warehouse_connection
from zoho_pipeline.sources.zoho import ZohoCredentials

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"Contacts": 120, "Accounts": 20, "Deals": 40, "Cases": 15, "Notes": 30, "Calls": 10, "Tasks": 10,
         "Events": 10}


def credentials_for(sim, org=None) -> ZohoCredentials:
    org = org or sim.org
    return ZohoCredentials(org.client_id, org.client_secret, org.refresh_token, sim.accounts_url,
                           sim.api_domain)


def query(sql: str, params: tuple = ()) -> list[tuple]:
    """Run SQL against the configured warehouse (DuckDB read-only, or Postgres)."""
    if settings.destination() == "postgres":
        import psycopg2

        connection = psycopg2.connect(settings.postgres_url())
        try:
            cursor = connection.cursor()
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall()
        finally:
            connection.close()
    import duckdb

    connection = duckdb.connect(str(settings.duckdb_path()), read_only=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def execute(sql: str, params: tuple = ()) -> None:
    """Change the configured warehouse directly (to leave it as an interrupted import could)."""
    with warehouse_connection() as (connection, flavour):
        fetch_all(connection, sql.replace("?", PLACEHOLDER[flavour]), params)


def count(table: str, integration_id: str | None = None) -> int:
    where, params = ("where integration_id = ?", (integration_id,)) if integration_id else ("", ())
    return query(f"select count(*) from zoho_raw.{table} {where}", params)[0][0]


def duplicates(table: str) -> int:
    return query(
        f"select count(*) from (select integration_id, id from zoho_raw.{table} "
        "group by integration_id, id having count(*) > 1) d"
    )[0][0]


def cursor_state(integration_id: str, table: str):
    """The live Modified_Time cursor dlt keeps for one record table (None before the first import)."""
    import dlt

    from zoho_pipeline.pipelines import pipeline_name

    pipelines_dir = str(settings.pipelines_dir())
    pipeline = dlt.attach(pipeline_name=pipeline_name(integration_id), pipelines_dir=pipelines_dir)
    resources = pipeline.state.get("sources", {}).get("zoho", {}).get("resources", {})
    incremental = resources.get(table, {}).get("incremental", {}).get("modified_time")
    return None if incremental is None else incremental["last_value"]


def record_requests(sim, module: str, org=None) -> list[dict]:
    """CRM list calls for one module's records (not metadata) in the simulator's request log."""
    return [r for r in sim.control.requests(org=org) if r["path"] == f"/crm/v8/{module}"]


IMPORT_SCRIPT = """
import json, sys
from zoho_pipeline.importer import run_import
from zoho_pipeline.sources.zoho import ZohoCredentials
args = json.loads(sys.argv[1])
summary = run_import(args["integration_id"], credentials=ZohoCredentials(**args["credentials"]))
print("SUMMARY " + json.dumps(summary.to_dict(), default=str))
"""


def start_import_process(integration_id: str, credentials: ZohoCredentials) -> subprocess.Popen:
    """`run_import` in a child process (same ZOHO_PIPELINE_HOME), for kill and concurrency tests."""
    payload = json.dumps({"integration_id": integration_id, "credentials": credentials.__dict__})
    return subprocess.Popen(
        [sys.executable, "-c", IMPORT_SCRIPT, payload], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """dlt's retry backoff, shortened so fault storms take seconds (same attempts logic)."""
    from zoho_pipeline.sources.zoho import settings as source_settings

    monkeypatch.setattr(source_settings, "REQUEST_MAX_ATTEMPTS", 6)
    monkeypatch.setattr(source_settings, "REQUEST_BACKOFF_FACTOR", 0.05)
    monkeypatch.setattr(source_settings, "REQUEST_MAX_RETRY_DELAY", 0.5)


@pytest.fixture
def small_sim(make_simulator):
    return make_simulator(seed=11, counts=SMALL)
