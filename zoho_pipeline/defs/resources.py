"""Resources under stable keys, and the concurrency pools that keep warehouse writers apart."""
from __future__ import annotations

from dataclasses import dataclass

# DuckDB allows one writer per file: the dlt load and dbt build of every run claim this pool, whose
# limit is 1 (concurrency.pools.default_limit in dagster.yaml, see zoho_pipeline/dagster_home.py).
DUCKDB_WRITER_POOL = "zoho_duckdb_writer"
# On Postgres imports of different accounts run side by side; two `dbt build`s would race on the
# same mart tables, so dbt alone is serialized.
DBT_BUILD_POOL = "zoho_dbt_build"


@dataclass(frozen=True)
class WarehousePools:
    """The pool of the dlt import op and of the dbt op (None: unlimited)."""

    import_pool: str | None
    dbt_pool: str | None


def warehouse_pools(destination: str) -> WarehousePools:
    if destination == "duckdb":
        return WarehousePools(import_pool=DUCKDB_WRITER_POOL, dbt_pool=DUCKDB_WRITER_POOL)
    return WarehousePools(import_pool=None, dbt_pool=DBT_BUILD_POOL)
