"""The control store: integrations and import runs, readable by other processes while an import runs.

It is not in the DuckDB warehouse because DuckDB allows one writer per file and an import holds it.
SQLite (WAL, busy timeout) under ZOHO_PIPELINE_HOME by default; the schema `zoho_control` in the warehouse
database when the destination is Postgres. The SQL is kept portable: `?` placeholders (rewritten for
psycopg2), text timestamps in ISO 8601 UTC, `insert ... on conflict`, tables created on first use.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoho_pipeline import settings
from zoho_pipeline.errors import UserError

SQLITE_FILE = "control.sqlite"
BUSY_TIMEOUT_SECONDS = 30

# `{s}` is the schema prefix: "" for SQLite, "zoho_control." for Postgres.
_TABLES = (
    """create table if not exists {s}integrations (
        id text primary key,
        name text not null unique,
        accounts_url text not null,
        api_domain text not null,
        client_id text not null,
        client_secret text not null,
        refresh_token text not null,
        access_token text,
        access_token_expires_at text,
        token_lease_until text,
        org_id text,
        org_name text,
        state text not null,
        state_reason text,
        created_at text not null,
        updated_at text not null
    )""",
    """create table if not exists {s}import_runs (
        import_id text primary key,
        integration_id text not null,
        status text not null,
        started_at text not null,
        started_ns bigint not null,
        finished_at text,
        options text not null,
        totals text not null,
        progress text not null,
        results text not null,
        pid integer,
        hostname text,
        heartbeat_at text not null
    )""",
    "create index if not exists import_runs_by_integration on {s}import_runs (integration_id, started_ns)",
    """create table if not exists {s}import_run_errors (
        import_id text not null,
        seq integer not null,
        module text,
        record_id text,
        message text not null,
        at text not null,
        primary key (import_id, seq)
    )""",
)


class ControlStoreError(UserError):
    """The control store cannot be opened or used; the message says what to check."""


class ControlStore:
    """One connection to the control store (SQLite or Postgres), safe to share between threads."""

    def __init__(self, backend: str, connection: Any, reconnect: Any, schema_prefix: str, where: str) -> None:
        self.backend = backend
        self.where = where
        self._connection = connection
        self._reconnect = reconnect
        self._prefix = schema_prefix
        self._lock = threading.RLock()
        self._create_tables()

    # -- opening ------------------------------------------------------------------------------------

    @classmethod
    def open(cls) -> ControlStore:
        """The control store the settings point at (SQLite under home, or Postgres `zoho_control`)."""
        if settings.destination() == "postgres":
            return cls.postgres(settings.postgres_url())
        return cls.sqlite(settings.home() / SQLITE_FILE)

    @classmethod
    def sqlite(cls, path: Path) -> ControlStore:
        # Created owner-only before SQLite opens it: it holds (encrypted) secrets and org names.
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            connection.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            connection.execute("pragma journal_mode = wal")
            connection.execute("pragma synchronous = normal")
            return connection

        try:
            connection = connect()
        except sqlite3.Error as error:
            raise ControlStoreError(f"cannot open the control store {path}: {error}") from None
        return cls("sqlite", connection, connect, "", str(path))

    @classmethod
    def postgres(cls, url: str) -> ControlStore:
        import psycopg2

        def connect() -> Any:
            return psycopg2.connect(url, connect_timeout=10)

        try:
            connection = connect()
        except psycopg2.Error as error:
            # The URL may hold a password: name the setting, not the value.
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ControlStoreError(
                "cannot connect to the Postgres warehouse (ZOHO_PIPELINE_POSTGRES_URL) for the control "
                f"store: {reason}"
            ) from None
        return cls("postgres", connection, connect, f"{settings.CONTROL_SCHEMA}.", "postgres")

    def close(self) -> None:
        with self._lock:
            try:
                self._connection.close()
            except Exception:  # closing a broken connection is not worth an error
                pass

    def __enter__(self) -> ControlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements ---------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of one statement as dicts (one transaction)."""
        with self.transaction(write=False) as tx:
            return tx.query(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; the number of rows it changed."""
        with self.transaction() as tx:
            return tx.execute(sql, params)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[_Transaction]:
        """Several statements that commit together. SQLite: writers `begin immediate`, so they queue on
        the busy timeout instead of failing on a lock upgrade; readers never block (WAL)."""
        with self._lock:
            self._ensure_connected()
            tx = _Transaction(self)
            if self.backend == "sqlite":
                self._connection.execute("begin immediate" if write else "begin")
            try:
                yield tx
            except BaseException:
                self._rollback()
                raise
            if self.backend == "postgres":
                self._connection.commit()
            else:
                self._connection.execute("commit")

    # -- internals ----------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        sql = sql.replace("{s}", self._prefix)
        if self.backend == "postgres":
            sql = sql.replace("%", "%%").replace("?", "%s")
        return sql

    def _rollback(self) -> None:
        try:
            if self.backend == "sqlite":
                self._connection.execute("rollback")
            else:
                self._connection.rollback()
        except Exception:  # the connection may be gone; _ensure_connected replaces it next time
            pass

    def _ensure_connected(self) -> None:
        # A long import keeps its recorder for hours; Postgres may have restarted meanwhile.
        if self.backend == "postgres" and self._connection.closed:
            self._connection = self._reconnect()

    def _create_tables(self) -> None:
        # Readers open the store often: skip the (write-locking) DDL once the tables exist.
        if self.backend == "sqlite":
            exists = "select count(*) as n from sqlite_master where name = 'import_run_errors'"
        else:
            exists = (
                "select count(*) as n from pg_tables "
                f"where schemaname = '{settings.CONTROL_SCHEMA}' and tablename = 'import_run_errors'"
            )
        with self.transaction(write=False) as tx:
            if tx.query(exists)[0]["n"]:
                return
        with self.transaction() as tx:
            if self.backend == "postgres":
                # Two processes creating the schema at once would collide in the catalog.
                tx.execute("select pg_advisory_xact_lock(7268123401)")
                tx.execute(f"create schema if not exists {settings.CONTROL_SCHEMA}")
            for statement in _TABLES:
                tx.execute(statement)


class _Transaction:
    def __init__(self, store: ControlStore) -> None:
        self._store = store

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._store._connection.cursor()
        cursor.execute(self._store._sql(sql), tuple(params))
        if cursor.description is None:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self._store._connection.cursor()
        cursor.execute(self._store._sql(sql), tuple(params))
        return cursor.rowcount


def is_unique_violation(error: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation (SQLite or Postgres)."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return getattr(error, "pgcode", None) == "23505"
