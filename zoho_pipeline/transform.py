"""The T of the pipeline: run the dbt project (zoho_raw.* -> gtateth.*) through dbt's Python API.

`run_transform()` runs `dbt build` against the configured warehouse and reports, for this run, the
customers, conversations and messages it created (new ids) and updated (rows whose content changed),
not table totals. dbt reads its connection from environment variables (dbt_project/profiles.yml uses
env_var() only); `dbt_env()` derives them from zoho_pipeline.settings.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from zoho_pipeline import pipelines, settings
from zoho_pipeline.errors import UserError

# Marts whose changes the import summary reports: table -> id column.
REPORTED_MARTS = {"customers": "customer_id", "conversations": "conversation_id", "messages": "message_id"}


class TransformError(UserError):
    """`dbt build` failed; the message names the failing models and tests."""


@dataclass(frozen=True)
class MartChanges:
    created: int = 0
    updated: int = 0


@dataclass
class TransformSummary:
    """What one `dbt build` changed in the marts the import reports."""

    changes: dict[str, MartChanges] = field(default_factory=dict)
    seconds: float = 0.0
    full_refresh: bool = False
    nodes: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def customers(self) -> MartChanges:
        return self.changes.get("customers", MartChanges())

    @property
    def conversations(self) -> MartChanges:
        return self.changes.get("conversations", MartChanges())

    @property
    def messages(self) -> MartChanges:
        return self.changes.get("messages", MartChanges())


def dbt_env() -> dict[str, str]:
    """The environment variables dbt_project/profiles.yml reads, derived from settings."""
    destination = settings.destination()
    env = {
        "ZOHO_PIPELINE_DESTINATION": destination,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(_dbt_work_dir() / "logs"),
    }
    if destination == "duckdb":
        env["ZOHO_PIPELINE_DUCKDB_PATH"] = str(settings.duckdb_path())
    else:
        url = urlparse(settings.postgres_url())
        env.update(
            {
                "ZOHO_PIPELINE_PG_HOST": url.hostname or "127.0.0.1",
                "ZOHO_PIPELINE_PG_PORT": str(url.port or 5432),
                "ZOHO_PIPELINE_PG_USER": unquote(url.username or "postgres"),
                "ZOHO_PIPELINE_PG_PASSWORD": unquote(url.password or ""),
                "ZOHO_PIPELINE_PG_DBNAME": url.path.lstrip("/") or "postgres",
            }
        )
    return env


@contextlib.contextmanager
def dbt_environment() -> Iterator[None]:
    """Set the variables profiles.yml reads while dbt runs (in-process, or dagster-dbt's subprocess)."""
    with _environment(dbt_env()):
        yield


def dbt_args(
    command: str = "build", *, full_refresh: bool = False, extra: list[str] | None = None
) -> list[str]:
    """Arguments for dbtRunner: this project, its profiles, the target of the configured destination."""
    work = _dbt_work_dir()
    args = [
        *command.split(),  # e.g. "build", "source freshness"
        "--project-dir",
        str(settings.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(settings.DBT_PROJECT_DIR),
        "--target",
        settings.destination(),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    if full_refresh and command in ("build", "run", "seed"):
        args.append("--full-refresh")
    return args + list(extra or [])


def run_dbt(command: str = "build", *, full_refresh: bool = False, extra: list[str] | None = None):
    """Invoke dbt in-process with the settings-derived environment; raise TransformError on failure."""
    from dbt.cli.main import dbtRunner

    with _warehouse_lock(), dbt_environment():
        try:
            result = dbtRunner().invoke(dbt_args(command, full_refresh=full_refresh, extra=extra))
        finally:
            _release_duckdb()
    if not result.success:
        raise TransformError(_failure_message(command, result))
    return result


def run_transform(full_refresh: bool = False) -> TransformSummary:
    """Run `dbt build`; return the customers/conversations/messages it created and updated.

    Seeds, models and data tests (keys, accepted values, reconciliation) run on every import; the
    mapping rules' unit tests do not depend on the data and run in the test suite
    (`run_unit_tests()`), not on every import.
    """
    started = time.monotonic()
    with measure_mart_changes() as changes:
        result = run_dbt("build", full_refresh=full_refresh, extra=["--exclude-resource-type", "unit_test"])
    summary = TransformSummary(
        changes=changes,
        seconds=time.monotonic() - started,
        full_refresh=full_refresh,
        nodes=len(getattr(result.result, "results", []) or []),
        warnings=[
            f"{r.node.resource_type} {r.node.name}: {r.message}"
            for r in getattr(result.result, "results", []) or []
            if str(r.status) == "warn"
        ],
    )
    return summary


def parse_project() -> None:
    """Parse the dbt project into this home's target/ (no warehouse connection, no lock), so the build
    that follows re-reads only what changed: a first import's full parse costs ~4 s. The importer runs
    it while the load runs. A failure here is the build's to report: dbt parses again then."""
    from dbt.cli.main import dbtRunner

    with dbt_environment():
        dbtRunner().invoke(dbt_args("parse"))


@contextlib.contextmanager
def measure_mart_changes() -> Iterator[dict[str, MartChanges]]:
    """Around a dbt build (ours or Dagster's): fills the yielded dict with the customers, conversations
    and messages it created and updated. Holds the warehouse write lock throughout.

    Each row the build writes keeps the content hash the row had before (`_previous_content_hash`,
    null for a new id), so only the newest `_transformed_at` is noted first: no copy of the marts."""
    changes: dict[str, MartChanges] = {}
    with _warehouse_lock():
        written_before = _last_transformed_at()
        yield changes
        changes.update(_changes_since(written_before))


def results_of(changes: dict[str, MartChanges]) -> dict[str, int]:
    """The import run's `results` (customersCreated, customersUpdated, ...) from the mart changes."""
    results = {}
    for table in REPORTED_MARTS:
        change = changes.get(table, MartChanges())
        results[f"{table}Created"] = change.created
        results[f"{table}Updated"] = change.updated
    return results


def run_unit_tests():
    """The dbt unit tests of every mapping rule, with the seeds and views they read the column types of.

    The raw tables must exist (the staging unit test reads their columns); no mart is built.
    """
    selection = ["resource_type:unit_test", "resource_type:seed", "staging", "intermediate"]
    return run_dbt("build", extra=["--select", *selection, "--exclude", "resource_type:test"])


# --- internals -------------------------------------------------------------------------------------


def _dbt_work_dir() -> Path:
    """dbt's target/ and logs/ under the pipeline home, so parallel homes never collide."""
    path = settings.home() / "dbt"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open in-process after a run; close it so the file is free
    for the next writer (another process's load) and for readers with another configuration."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            try:
                DuckDBConnectionManager._ENV.close()
            finally:
                DuckDBConnectionManager._ENV = None


_held = threading.local()  # how deep this thread is in _warehouse_lock


@contextlib.contextmanager
def _warehouse_lock() -> Iterator[None]:
    """DuckDB has one writer per file: hold the loader's lock (zoho_pipeline.pipelines) for the whole
    transform (snapshot, dbt, comparison). Re-entrant within a thread; other threads wait for it."""
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with pipelines.warehouse_write_lock():
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _failure_message(command: str, result) -> str:
    failures = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        if status in ("error", "fail", "runtime error"):
            node = node_result.node
            message = (node_result.message or "").strip().splitlines()
            detail = message[0] if message else status
            failures.append(f"{node.resource_type} {node.name} ({status}: {detail})")
    if failures:
        return f"dbt {command} failed: " + "; ".join(failures)
    if result.exception is not None:
        return f"dbt {command} failed: {result.exception}"
    return f"dbt {command} failed; see {(_dbt_work_dir() / 'logs' / 'dbt.log')}"


def _mart_columns(connection, flavour: str, table: str) -> list[str]:
    placeholder = pipelines.PLACEHOLDER[flavour]
    rows = pipelines.fetch_all(
        connection,
        "select column_name from information_schema.columns "
        f"where table_schema = {placeholder} and table_name = {placeholder} order by ordinal_position",
        (settings.MARTS_SCHEMA, table),
    )
    return [name for (name,) in rows]


def _last_transformed_at() -> dict[str, object]:
    """The newest `_transformed_at` of each reported mart that exists (None when it is empty)."""
    if settings.destination() == "duckdb" and not settings.duckdb_path().exists():
        return {}
    found = {}
    with pipelines.warehouse_connection() as (connection, flavour):
        for table in REPORTED_MARTS:
            if "_transformed_at" in _mart_columns(connection, flavour, table):
                (found[table],) = pipelines.fetch_all(
                    connection, f"select max(_transformed_at) from {settings.MARTS_SCHEMA}.{table}"
                )[0]
    return found


def _changes_since(written_before: dict[str, object]) -> dict[str, MartChanges]:
    """Created: rows written by this build without a previous version. Updated: rows written by this
    build whose content hash differs from their previous version's. A mart that did not exist before
    was created whole."""
    changes: dict[str, MartChanges] = {}
    with pipelines.warehouse_connection() as (connection, flavour):
        placeholder = pipelines.PLACEHOLDER[flavour]
        for table in REPORTED_MARTS:
            if "_previous_content_hash" not in _mart_columns(connection, flavour, table):
                continue
            since = written_before.get(table)
            created, updated = pipelines.fetch_all(
                connection,
                "select count(case when _previous_content_hash is null then 1 end), "
                "count(case when _previous_content_hash <> _content_hash then 1 end) "
                f"from {settings.MARTS_SCHEMA}.{table}"
                + (f" where _transformed_at > {placeholder}" if since is not None else ""),
                (since,) if since is not None else (),
            )[0]
            changes[table] = MartChanges(created=int(created), updated=int(updated))
    return changes
