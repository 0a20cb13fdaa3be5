"""The one place that builds a dlt pipeline: per integration, dataset `zoho_raw`, destination from settings.

DuckDB has one writer per file across processes, so the steps that touch it (sync and load) run
under an inter-process file lock next to the DuckDB file; extract and normalize run concurrently.
On Postgres the same steps take turns on an advisory lock: two first imports would both create
zoho_raw's tables, and one would fail. `warehouse_connection()` is the plain DB-API way in for the few
statements outside dlt and dbt (the import's first-load check, the transform's change counts).
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import dlt
from dlt.common.pipeline import SupportsPipeline

from zoho_pipeline import settings

LOADER_FILE_FORMAT = {"duckdb": "parquet", "postgres": None}
# DuckDB takes up to 80 % of RAM by default. A load holds row groups of raw JSON uncompressed until they
# fill: under 160MB they spilled to disk (1M records: 21-22 s to load), one thread under 256MB spills
# less (14.5 s) and keeps the importer's peak RSS under 600 MB (557 MB); two threads under 320MB: 15.5 s,
# 606 MB. The load runs alone, so one thread costs nothing else.
DUCKDB_MEMORY_LIMIT = "256MB"
DUCKDB_THREADS = 1
# New warehouse files: a storage format with ZSTD for strings, used for every string column. DuckDB's own
# choice for the raw JSON is no compression at all. Files made before keep their format (and ignore this).
DUCKDB_STORAGE_VERSION = "v1.2.0"
DUCKDB_STRING_COMPRESSION = {"force_compression": "zstd"}
# The advisory lock key every import and dbt build into one Postgres database takes turns on ("zoho").
POSTGRES_WRITE_LOCK_KEY = int.from_bytes(b"zoho", "big")
# Parameter markers of the two DB-API drivers (`warehouse_connection()` flavours).
PLACEHOLDER = {"duckdb": "?", "postgres": "%s"}
# DuckDB has one writer anyway: parallel load jobs only add memory. Postgres takes dlt's default.
LOAD_WORKERS = {"duckdb": 1, "postgres": 20}


def pipeline_name(integration_id: str) -> str:
    """`zoho_<integration_id>`: each integration has its own state (cursors) and working files."""
    return f"zoho_{integration_id}"


def destination() -> object:
    """The dlt destination the settings choose."""
    if settings.destination() == "postgres":
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        credentials = PostgresCredentials(settings.postgres_url())
        if credentials.password is None:  # trust/peer auth: dlt insists on a password field
            credentials.password = ""
        return dlt.destinations.postgres(credentials=credentials)
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    # A bounded memory limit (DuckDB spills to disk) and no insertion-order preservation keep large
    # loads and merges within the RSS budget.
    create_duckdb_warehouse()
    credentials = DuckDbCredentials(
        str(settings.duckdb_path()),
        global_config={"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": DUCKDB_THREADS,
                       "preserve_insertion_order": False, **DUCKDB_STRING_COMPRESSION},
    )
    return dlt.destinations.duckdb(credentials=credentials)


def create_duckdb_warehouse() -> None:
    """Create the DuckDB file, if there is none yet, in a storage format that compresses strings with
    ZSTD (DuckDB >= 1.2 can open it). DuckDB leaves the raw tables' JSON uncompressed otherwise:
    ~6x the bytes to write and read."""
    path = settings.duckdb_path()
    if path.exists():
        return
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse_write_lock():
        if not path.exists():
            config = {"storage_compatibility_version": DUCKDB_STORAGE_VERSION}
            duckdb.connect(str(path), config=config).close()


class _ExpectedDltNotices(logging.Filter):
    """Drop dlt warnings about what we do on purpose: Arrow `string` under our `json` hint (dlt keeps the
    hint, per page), and `dedup_sort` unused on a first load that appends (first_loads.py)."""

    NOTICES = ("when merging arrow schema with dlt schema", 'hint is only applied when using the "merge"')

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in self.NOTICES)


def build_pipeline(integration_id: str) -> SupportsPipeline:
    """The dlt pipeline for one integration (raw dataset `zoho_raw`)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _ExpectedDltNotices) for f in dlt_logger.filters):
        dlt_logger.addFilter(_ExpectedDltNotices())
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name(integration_id),
        destination=destination(),
        dataset_name=settings.RAW_DATASET,
        pipelines_dir=str(settings.pipelines_dir()),
        progress="log" if os.environ.get("ZOHO_PIPELINE_DLT_PROGRESS") else None,
    )
    return pipeline


def loader_file_format() -> str | None:
    """Parquet into DuckDB (Arrow tables load without dlt's row normaliser); dlt's default otherwise."""
    return LOADER_FILE_FORMAT[settings.destination()]


def load_workers() -> int:
    """How many load jobs run at once for the configured destination."""
    return LOAD_WORKERS[settings.destination()]


@contextlib.contextmanager
def warehouse_connection() -> Iterator[tuple[object, str]]:
    """A DB-API connection to the warehouse (autocommit) and its flavour, `duckdb` or `postgres`.
    DuckDB has one writer: hold `warehouse_write_lock()` to change anything, and close it before dbt runs."""
    if settings.destination() == "duckdb":
        import duckdb

        connection = duckdb.connect(str(settings.duckdb_path()))
        try:
            yield connection, "duckdb"
        finally:
            connection.close()
    else:
        import psycopg2

        connection = psycopg2.connect(settings.postgres_url())
        connection.autocommit = True
        try:
            yield connection, "postgres"
        finally:
            connection.close()


def fetch_all(connection, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on a `warehouse_connection()`; its rows (none for a statement without)."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params) if params else cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()


@contextlib.contextmanager
def warehouse_write_lock() -> Iterator[None]:
    """Hold the warehouse writer lock: a `fcntl` lock on `warehouse.duckdb.lock`, or on Postgres a
    session advisory lock (released by Postgres if the process dies). Not re-entrant."""
    if settings.destination() == "postgres":
        with _postgres_advisory_lock():
            yield
        return
    lock_path = Path(str(settings.duckdb_path()) + ".lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _postgres_advisory_lock() -> Iterator[None]:
    with warehouse_connection() as (connection, _):  # closing it ends the session, and with it the lock
        fetch_all(connection, "select pg_advisory_lock(%s)", (POSTGRES_WRITE_LOCK_KEY,))
        yield
