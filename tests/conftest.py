"""Shared fixtures: every test gets its own temp home (warehouse, control store, dlt pipelines).

Fixtures that start the Zoho simulator live in tests/simulator_fixtures.py (imported below).
"""
from __future__ import annotations

import os
import uuid

import pytest

# Offline: no telemetry, no version checks.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

pytest_plugins = ["tests.simulator_fixtures"]

POSTGRES_ADMIN_URL = os.environ.get("ZOHO_PIPELINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pipeline_home(tmp_path, monkeypatch):
    """A fresh ZOHO_PIPELINE_HOME on DuckDB."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ZOHO_PIPELINE_HOME", str(home))
    monkeypatch.setenv("ZOHO_PIPELINE_DESTINATION", "duckdb")
    monkeypatch.delenv("ZOHO_PIPELINE_POSTGRES_URL", raising=False)
    monkeypatch.setenv("ZOHO_PIPELINE_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    (home / "dagster").mkdir()
    return home


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
        return True
    except Exception:
        return False


@pytest.fixture
def postgres_url():
    """A fresh Postgres database for one test; skips without a server unless CI requires it."""
    if not _postgres_available():
        if os.environ.get("ZOHO_PIPELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (ZOHO_PIPELINE_REQUIRE_POSTGRES=1) but "
                        f"{POSTGRES_ADMIN_URL} does not answer")
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}")
    import psycopg2

    name = f"zp_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'drop database if exists "{name}" with (force)')
    admin.close()


@pytest.fixture
def postgres_home(pipeline_home, postgres_url, monkeypatch):
    """A fresh ZOHO_PIPELINE_HOME whose warehouse (and control store) is a fresh Postgres database."""
    monkeypatch.setenv("ZOHO_PIPELINE_DESTINATION", "postgres")
    monkeypatch.setenv("ZOHO_PIPELINE_POSTGRES_URL", postgres_url)
    return pipeline_home
