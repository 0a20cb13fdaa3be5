"""Deleting one integration's imported rows from the warehouse (raw tables and marts), DuckDB or Postgres."""
from __future__ import annotations

from typing import Any

from zoho_pipeline import settings
from zoho_pipeline.errors import UserError

# The raw tables, dbt's incremental staging tables (or the marts would be rebuilt from them) and the marts.
PURGED_SCHEMAS = (settings.RAW_DATASET, "zoho_staging", settings.MARTS_SCHEMA)
# Customers span accounts and have no integration_id: those left without a contact go with it.
_ORPHAN_CUSTOMERS_SQL = (
    f"delete from {settings.MARTS_SCHEMA}.customers where customer_id not in "
    f"(select customer_id from {settings.MARTS_SCHEMA}.customer_sources)"
)

# Base tables (not views: dbt rebuilds those) of our schemas that carry an `integration_id` column.
_TABLES_SQL = """
    select c.table_schema, c.table_name
    from information_schema.columns as c
    join information_schema.tables as t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.column_name = 'integration_id'
      and t.table_type = 'BASE TABLE'
      and c.table_schema in ({schemas})
    order by c.table_schema, c.table_name
"""


def purge_integration_data(integration_id: str) -> dict[str, int]:
    """Delete the integration's rows from every table of `zoho_raw` and `gtateth` that has an
    `integration_id` column; `{"schema.table": rows deleted}`. Missing schemas and tables are skipped."""
    if settings.destination() == "postgres":
        return _purge_postgres(integration_id)
    return _purge_duckdb(integration_id)


def _purge_duckdb(integration_id: str) -> dict[str, int]:
    import duckdb

    path = settings.duckdb_path()
    if not path.exists():
        return {}
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:
        raise UserError(
            f"the warehouse {path} is in use by another process (an import?): try again when it finishes "
            f"({str(error).splitlines()[0]})"
        ) from None
    try:
        schemas = ", ".join("?" for _ in PURGED_SCHEMAS)
        tables = connection.execute(_TABLES_SQL.format(schemas=schemas), list(PURGED_SCHEMAS)).fetchall()
        deleted: dict[str, int] = {}
        connection.execute("begin")
        for schema, table in tables:
            row = connection.execute(
                f"delete from {_quote(schema)}.{_quote(table)} where integration_id = ?", [integration_id]
            ).fetchone()
            deleted[f"{schema}.{table}"] = int(row[0]) if row else 0
        if _has_customer_sources(tables):
            row = connection.execute(_ORPHAN_CUSTOMERS_SQL).fetchone()
            deleted[f"{settings.MARTS_SCHEMA}.customers"] = int(row[0]) if row else 0
        connection.execute("commit")
        return deleted
    finally:
        connection.close()


def _purge_postgres(integration_id: str) -> dict[str, int]:
    import psycopg2

    try:
        connection = psycopg2.connect(settings.postgres_url(), connect_timeout=10)
    except psycopg2.Error as error:
        raise UserError(
            f"cannot connect to the Postgres warehouse (ZOHO_PIPELINE_POSTGRES_URL): {_first_line(error)}"
        ) from None
    try:
        with connection, connection.cursor() as cursor:
            schemas = ", ".join("%s" for _ in PURGED_SCHEMAS)
            cursor.execute(_TABLES_SQL.format(schemas=schemas), PURGED_SCHEMAS)
            tables = cursor.fetchall()
            deleted: dict[str, int] = {}
            for schema, table in tables:
                table_name = f"{_quote(schema)}.{_quote(table)}"
                cursor.execute(f"delete from {table_name} where integration_id = %s", (integration_id,))
                deleted[f"{schema}.{table}"] = cursor.rowcount
            if _has_customer_sources(tables):
                cursor.execute(_ORPHAN_CUSTOMERS_SQL)
                deleted[f"{settings.MARTS_SCHEMA}.customers"] = cursor.rowcount
        return deleted
    finally:
        connection.close()


def _has_customer_sources(tables: list[tuple[str, str]]) -> bool:
    """customer_sources exists (customers is built with it), so orphaned customers can be found."""
    return (settings.MARTS_SCHEMA, "customer_sources") in [tuple(row) for row in tables]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _first_line(error: Any) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
