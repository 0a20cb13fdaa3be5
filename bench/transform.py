"""Benchmark the transformation: `dbt build` on a large org, the incremental build after 1 % of the
records changed in Zoho, and the full import (extract + load + dbt) in records/s.

Starts the simulator as a separate process (`python -m zoho_pipeline simulator`), imports the org
as `zoho-pipeline import` does (zoho_pipeline.importer.run_import with the dbt build) into a temp
DuckDB (or Postgres with --postgres-url), changes 1 % of the records through the simulator's control
API and imports again; then rebuilds the marts with --full-refresh for comparison.

    .venv/bin/python bench/transform.py [--size 1000000] [--changed 0.01] [--postgres-url URL] [--keep]
                                        [--on-demand]

The simulator preloads its records (simulator/preload.py) before the clock starts, as a real Zoho has
them stored; `--on-demand` makes it build each record when served (CPU taken from the importer).

The temp home (DuckDB warehouse, dlt pipelines, dbt target; ~0.8 GB at 1M) is removed unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoho_pipeline.simulator.process import SimulatorProcess  # noqa: E402 (after the path)

# Field each module changes (a harmless edit that still bumps Modified_Time).
EDITS = {
    "Contacts": "Title",
    "Accounts": "Description",
    "Deals": "Description",
    "Cases": "Description",
    "Notes": "Note_Content",
    "Calls": "Description",
    "Tasks": "Description",
    "Events": "Description",
}
INTEGRATION = "bench"


def raw_ids(module_table: str, fraction: float) -> list[str]:
    from tests.transform.helpers import query

    rows = query(f"select id from zoho_raw.{module_table} order by id")
    step = max(1, round(1 / fraction))
    return [row["id"] for row in rows[::step]]


def print_slowest_nodes(run_results: Path, shown: int = 8) -> None:
    """Where the last dbt build spent its time: models versus tests, and the slowest nodes."""
    run = json.loads(run_results.read_text())
    results = run["results"]
    print(f"  dbt's own elapsed time: {run['elapsed_time']:.1f} s"
          " (the rest: parsing the project, counting changes)")
    by_kind: dict[str, float] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + result["execution_time"]
    print("  node time by kind: " + ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in by_kind.items()))
    for result in sorted(results, key=lambda r: -r["execution_time"])[:shown]:
        print(f"  {result['execution_time']:6.2f} s  {result['unique_id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction of records changed in Zoho")
    parser.add_argument("--postgres-url", default=None, help="benchmark Postgres instead of DuckDB")
    parser.add_argument("--keep", action="store_true", help="keep the temp home (warehouse, pipelines)")
    parser.add_argument("--on-demand", action="store_true", help="the simulator builds records when served")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="zp_bench_")
    os.environ.update(
        {
            "ZOHO_PIPELINE_HOME": home,
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "ZOHO_PIPELINE_SECRET_KEY": os.environ.get("ZOHO_PIPELINE_SECRET_KEY", "bench"),
        }
    )
    if args.postgres_url:
        os.environ.update(
            {"ZOHO_PIPELINE_DESTINATION": "postgres", "ZOHO_PIPELINE_POSTGRES_URL": args.postgres_url}
        )
    else:
        os.environ["ZOHO_PIPELINE_DESTINATION"] = "duckdb"

    from zoho_pipeline import transform
    from zoho_pipeline.importer import run_import
    from zoho_pipeline.simulator.control import ControlClient
    from zoho_pipeline.sources.zoho import settings as source_settings
    from zoho_pipeline.sources.zoho.client import ZohoCredentials

    simulator = SimulatorProcess.start("--size", str(args.size), "--seed", str(args.seed),
                                       *([] if args.on_demand else ["--preload"]))
    details, startup = simulator.details, simulator.startup_seconds
    try:
        built = "built on demand" if args.on_demand else "preloaded"
        print(f"org: {args.size:,} records ({built}), simulator up in {startup:.1f} s; home {home}",
              flush=True)
        credentials = ZohoCredentials(
            client_id=details["client_id"],
            client_secret=details["client_secret"],
            refresh_token=details["refresh_token"],
            accounts_url=details["accounts_url"],
            api_domain=details["api_domain"],
        )
        started = time.perf_counter()
        # As `zoho-pipeline import` runs it: dbt parses the project while the load runs, then builds.
        summary = run_import(INTEGRATION, credentials=credentials, record_run=False, transform=True)
        full_import = time.perf_counter() - started
        full = summary.transform
        records = summary.loaded
        extract_load = full_import - full.seconds
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in summary.step_seconds.items())
        print(
            f"extract + load: {records:,} records in {extract_load:.1f} s "
            f"({records / extract_load:,.0f} records/s; steps: {steps})",
            flush=True,
        )
        print(f"dbt build (first, full; project parsed during the load): {full.seconds:.1f} s", flush=True)
        print_slowest_nodes(Path(home) / "dbt" / "target" / "run_results.json")
        print(
            f"full import (extract + load + dbt): {full_import:.1f} s"
            f" = {records / full_import:,.0f} records/s",
            flush=True,
        )

        control = ControlClient(details["api_domain"])
        control.advance_clock(60)
        edits = [
            (module, record_id)
            for module, table in source_settings.RECORD_MODULES.items()
            for record_id in raw_ids(table, args.changed)
        ]
        mark = time.perf_counter()

        def edit(item):
            module, record_id = item
            control.update_record(
                module, record_id, {EDITS.get(module, "Description"): f"changed {record_id}"}
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(edit, edits))
        print(f"changed {len(edits):,} records in Zoho ({time.perf_counter() - mark:.1f} s)", flush=True)

        mark = time.perf_counter()
        incremental_summary = run_import(INTEGRATION, credentials=credentials, record_run=False,
                                         transform=True)
        incremental = incremental_summary.transform
        incremental_extract = time.perf_counter() - mark - incremental.seconds
        print(
            f"incremental extract + load: {incremental_summary.loaded:,} records"
            f" in {incremental_extract:.1f} s",
            flush=True,
        )
        print(
            f"dbt build (incremental, {args.changed:.0%} changed): {incremental.seconds:.1f} s = "
            f"{incremental.seconds / full.seconds:.1%} of the full build "
            f"(customers {incremental.customers}, conversations {incremental.conversations}, "
            f"messages {incremental.messages})",
            flush=True,
        )
        print_slowest_nodes(Path(home) / "dbt" / "target" / "run_results.json")
        rebuilt = transform.run_transform(full_refresh=True)
        print(
            f"dbt build (--full-refresh on the same data): {rebuilt.seconds:.1f} s"
            f" (the incremental build is {incremental.seconds / rebuilt.seconds:.1%} of it)",
            flush=True,
        )
    finally:
        simulator.stop()
        if args.keep:
            print(f"home kept in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
