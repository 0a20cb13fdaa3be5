"""Prepare Dagster's home (`$DAGSTER_HOME/dagster.yaml`): telemetry off, run queue and pool limits.

DuckDB allows one writer per file, so every op that writes the embedded warehouse claims one slot of
the `zoho_duckdb_writer` pool (see zoho_pipeline/defs/resources.py). Pools without an explicit limit
take `concurrency.pools.default_limit`, which is 1 here: runs that write the same DuckDB file wait
for each other instead of failing on its lock. With Postgres the imports have no pool and run side by
side; only `dbt build` is serialized (pool `zoho_dbt_build`). On SQLite storage Dagster's slot claims
are not atomic across processes, so the default storage is Dagster's own with claims taken in turn
(zoho_pipeline/dagster_storage.py).

Run it before `dagster dev` (`python -m zoho_pipeline.dagster_home` prints the home it prepared).
Settings already in the file are kept: an operator's edits win over our defaults.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from zoho_pipeline import settings

# Two cores and ~0.3 GB per run worker: a handful of runs in flight is plenty; the rest queue.
MAX_CONCURRENT_RUNS = 4

DEFAULT_INSTANCE_SETTINGS: dict[str, Any] = {
    "telemetry": {"enabled": False},
    "concurrency": {
        "pools": {"default_limit": 1, "granularity": "op"},
        "runs": {
            "max_concurrent_runs": MAX_CONCURRENT_RUNS,
            # One run per Zoho account at a time: a second one queues instead of failing on
            # "already importing" (the import-run recorder refuses two imports of one account).
            "tag_concurrency_limits": [
                {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
            ],
        },
    },
}


# A home that names its storage the older way (one key per storage) keeps it as it is.
LEGACY_STORAGE_KEYS = ("run_storage", "event_log_storage", "schedule_storage")


def sqlite_storage(home: Path) -> dict[str, Any]:
    """Dagster's default SQLite storage in `home` (same files), with pool-slot claims that processes
    take in turn (zoho_pipeline/dagster_storage.py). An operator's `storage:` (e.g. postgres) wins."""
    return {"custom": {"module": "zoho_pipeline.dagster_storage", "class": "SerializedClaimsSqliteStorage",
                       "config": {"base_dir": str(home)}}}


def _merge_missing(current: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`current` with every key of `defaults` it lacks (recursively); existing values are kept."""
    merged = dict(current)
    for key, value in defaults.items():
        if key not in merged or merged[key] is None:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = _merge_missing(merged[key], value)
    return merged


def prepare_dagster_home(path: Path | None = None) -> Path:
    """Create the Dagster home (default `settings.dagster_home()`) and its `dagster.yaml`; return the home."""
    home = Path(path).expanduser().resolve() if path else settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config_file = home / "dagster.yaml"
    current: dict[str, Any] = {}
    if config_file.exists():
        current = yaml.safe_load(config_file.read_text()) or {}
    defaults = dict(DEFAULT_INSTANCE_SETTINGS)
    if not any(key in current for key in LEGACY_STORAGE_KEYS):
        defaults["storage"] = sqlite_storage(home)
    merged = _merge_missing(current, defaults)
    if merged != current or not config_file.exists():
        config_file.write_text(
            "# Written by zoho_pipeline.dagster_home; your own settings here are kept.\n"
            + yaml.safe_dump(merged, sort_keys=False)
        )
    return home


def existing_dagster_home() -> Path | None:
    """`settings.dagster_home()` when a Dagster instance lives there (dagster.yaml or its storage), else None.

    The store's membership hooks use it: connecting an account must not set up Dagster (slow, and not
    wanted by CLI-only users); when Dagster starts, the partitions sensor adds what is missing.
    """
    home = settings.dagster_home()
    return home if (home / "dagster.yaml").exists() or (home / "storage").exists() else None


def main() -> None:
    print(prepare_dagster_home(Path(sys.argv[1]) if len(sys.argv) > 1 else None))


if __name__ == "__main__":
    main()
