"""Paths and environment-derived settings, read when called (never at import time).

The same settings serve the CLI, dbt (through profiles.yml env_var()) and Dagster.
"""
from __future__ import annotations

import os
from pathlib import Path

from zoho_pipeline.errors import UserError

RAW_DATASET = "zoho_raw"
MARTS_SCHEMA = "gtateth"
CONTROL_SCHEMA = "zoho_control"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class SettingsError(UserError):
    """A setting is missing or wrong; the message says what to set."""


def home() -> Path:
    """Where the warehouse, control store, dlt pipelines and Dagster home live (`ZOHO_PIPELINE_HOME`)."""
    path = Path(os.environ.get("ZOHO_PIPELINE_HOME", "data")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def destination() -> str:
    """`duckdb` (embedded default) or `postgres` (`ZOHO_PIPELINE_DESTINATION`)."""
    value = os.environ.get("ZOHO_PIPELINE_DESTINATION", "duckdb").strip().lower()
    if value not in ("duckdb", "postgres"):
        raise SettingsError(
            f"ZOHO_PIPELINE_DESTINATION={value!r} is not supported: set it to 'duckdb' or 'postgres'."
        )
    return value


def duckdb_path() -> Path:
    """The embedded warehouse file."""
    return home() / "warehouse.duckdb"


def postgres_url() -> str:
    """The Postgres warehouse URL (`ZOHO_PIPELINE_POSTGRES_URL`), required for the postgres destination."""
    url = os.environ.get("ZOHO_PIPELINE_POSTGRES_URL", "").strip()
    if not url:
        raise SettingsError(
            "ZOHO_PIPELINE_DESTINATION=postgres needs ZOHO_PIPELINE_POSTGRES_URL, "
            "for example postgresql://user@127.0.0.1:5432/warehouse"
        )
    return url


def pipelines_dir() -> Path:
    """dlt's working directory (extract/normalize files and local state)."""
    path = home() / "pipelines"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dagster_home() -> Path:
    """`DAGSTER_HOME` if set, else `<home>/dagster` (absolute, created)."""
    path = Path(os.environ.get("DAGSTER_HOME") or home() / "dagster").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
