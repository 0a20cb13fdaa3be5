"""Benchmark: a 1,000,000-record simulated Zoho org imported into a temp DuckDB, then an idle incremental run.

Prints records/s for extract, normalize and load, API calls and credits against the minimum
(Σ ceil(records/200) + metadata calls), and peak RSS of the importing process.

    .venv/bin/python bench/extract.py [--size 1000000] [--seed 42] [--page-token-cap 100000] [--bulk-read]
                                      [--on-demand]

`--bulk-read`: big modules' first read by Bulk Read (sources/zoho/bulk.py) instead of the REST walk.
The simulator preloads its records (simulator/preload.py) before the clock starts, as a real Zoho has
them stored; `--on-demand` makes it build each record when served instead (~30 µs of CPU a record,
taken from the importer's two cores).

Targets (issue 3, 2-core machine): ≥ 25,000 records/s end to end, credits ≤ 1.02 × minimum,
peak RSS ≤ 600 MB; incremental with nothing changed: about one call per module plus metadata.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zoho_pipeline.simulator.process import SimulatorProcess  # noqa: E402 (after the path)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--page-token-cap", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp warehouse")
    parser.add_argument("--bulk-read", action="store_true", help="first read of big modules by Bulk Read")
    parser.add_argument("--on-demand", action="store_true", help="the simulator builds records when served")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="zp-bench-"))
    os.environ.update(ZOHO_PIPELINE_HOME=str(home), ZOHO_PIPELINE_DESTINATION="duckdb",
                      RUNTIME__DLTHUB_TELEMETRY="false",
                      SOURCES__ZOHO__BULK_READ="true" if args.bulk_read else "false")
    started = time.perf_counter()
    simulator = SimulatorProcess.start("--size", str(args.size), "--seed", str(args.seed),
                                       "--page-token-cap", str(args.page_token_cap),
                                       *([] if args.on_demand else ["--preload"]))
    details = simulator.details
    built = "built on demand" if args.on_demand else "preloaded"
    print(f"simulator: {sum(details['counts'].values()):,} records ({details['counts']}), {built}, "
          f"up in {time.perf_counter() - started:.1f} s")
    try:
        from zoho_pipeline.importer import run_import
        from zoho_pipeline.simulator.control import ControlClient
        from zoho_pipeline.sources.zoho import ZohoCredentials

        control = ControlClient(details["api_domain"])
        credentials = ZohoCredentials(
            details["client_id"], details["client_secret"], details["refresh_token"],
            details["accounts_url"], details["api_domain"],
        )
        credits_before = control.credits_used()
        control.reset_requests()
        full = run_import("bench", credentials=credentials)
        credits_full = control.credits_used() - credits_before
        full_requests = control.requests()
        rss_full = peak_rss_mb()

        steps = full.step_seconds
        loaded = full.loaded
        print(f"\nfull import: {loaded:,} records loaded ({full.fetched:,} fetched, {full.failed} failed) "
              f"in {full.duration_seconds:.1f} s")
        print(f"  extract   {steps['extract']:6.1f} s  {full.fetched / steps['extract']:>9,.0f} records/s "
              "(HTTP + JSON + Arrow, overlapping across modules)")
        normalize_rate = loaded / max(steps["normalize"], 1e-3)
        print(f"  normalize {steps['normalize']:6.1f} s  {normalize_rate:>9,.0f} records/s")
        print(f"  load      {steps['load']:6.1f} s  {loaded / steps['load']:>9,.0f} records/s")
        print(f"  end to end          {loaded / full.duration_seconds:>9,.0f} records/s  (target ≥ 25,000)")

        record_calls = sum(math.ceil(m.zoho_count / 200) for m in full.modules if m.zoho_count)
        metadata_paths = ("/settings/", "/actions/count", "/deleted")
        metadata_calls = sum(1 for r in full_requests if any(p in r["path"] for p in metadata_paths))
        minimum = record_calls + metadata_calls
        crm_calls = sum(1 for r in full_requests if r["path"].startswith("/crm/"))
        token_calls = sum(1 for r in full_requests if r["path"].startswith("/oauth/"))
        print(f"  API calls {full.api_calls:,} (CRM {crm_calls:,} + token {token_calls}); credits used "
              f"{credits_full:,}; minimum {minimum:,} = {record_calls:,} record pages + {metadata_calls} "
              f"metadata; ratio {credits_full / minimum:.3f} (target ≤ 1.02)")
        bulk = [r for r in full_requests if r["path"].startswith("/crm/bulk/")]
        jobs = sum(1 for r in bulk if r["method"] == "POST")
        print(f"  Bulk Read: {jobs} jobs, {len(bulk) - jobs} status/download calls "
              f"(the minimum above counts every record by REST pages)")
        print(f"  peak RSS {rss_full:.0f} MB (target ≤ 600 MB)")

        control.reset_requests()
        incremental = run_import("bench", credentials=credentials)
        calls = control.requests()
        crm = [r for r in calls if r["path"].startswith("/crm/")]
        record_pages = [r for r in crm if not any(p in r["path"] for p in metadata_paths)]
        print(f"\nincremental, nothing changed: {len(crm)} CRM calls ({len(record_pages)} record calls for "
              f"{len(incremental.modules)} modules, {len(crm) - len(record_pages)} metadata), "
              f"{incremental.fetched} records re-read at the cursor (overlap), "
              f"{incremental.duration_seconds:.1f} s")
        print(f"peak RSS overall {peak_rss_mb():.0f} MB")
    finally:
        simulator.stop()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"warehouse kept in {home}")


if __name__ == "__main__":
    main()
