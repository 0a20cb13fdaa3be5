"""Reading the marts back in tests, on DuckDB or Postgres (whichever the settings choose)."""

from __future__ import annotations

import json
from typing import Any

from zoho_pipeline import settings

MARTS = ("customers", "customer_sources", "conversations", "messages", "customer_notes", "call_logs", "tasks")


def query(sql: str) -> list[dict[str, Any]]:
    """Rows as dicts; JSON columns decoded to Python objects on both engines."""
    if settings.destination() == "duckdb":
        import duckdb

        connection = duckdb.connect(str(settings.duckdb_path()), read_only=True)
        try:
            cursor = connection.execute(sql)
            names = [d[0] for d in cursor.description]
            types = [str(d[1]) for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            connection.close()
        decoded = []
        for row in rows:
            decoded.append(
                {
                    n: (json.loads(v) if t.upper() == "JSON" and v is not None else v)
                    for n, t, v in zip(names, types, row, strict=True)
                }
            )
        return decoded
    import psycopg2
    import psycopg2.extras

    connection = psycopg2.connect(settings.postgres_url())
    try:
        with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(sql)
            return [dict(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def mart(table: str, key: str | None = None) -> dict[str, dict[str, Any]] | list[dict[str, Any]]:
    rows = query(f"select * from {settings.MARTS_SCHEMA}.{table}")
    return {row[key]: row for row in rows} if key else rows


def business_state() -> dict[str, list[str]]:
    """Every mart's rows without the bookkeeping (_-prefixed) columns, comparable across runs."""
    state = {}
    for table in MARTS:
        rows = query(f"select * from {settings.MARTS_SCHEMA}.{table}")
        state[table] = sorted(
            json.dumps({k: v for k, v in row.items() if not k.startswith("_")}, sort_keys=True, default=str)
            for row in rows
        )
    return state
