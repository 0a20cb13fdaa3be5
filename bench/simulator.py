"""Benchmark the Zoho simulator: org generation time and memory, and records/s served through paging.

Starts `python -m zoho_pipeline simulator` as a separate process (as the demo and other benchmarks
do), reads its start-up figures and memory from /proc, then pages through one module with a plain
`requests` loop following `info.next_page_token`, all of the module's fields, 200 per page.

    .venv/bin/python bench/simulator.py [--size 1000000] [--module Contacts] [--max-records N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoho_pipeline.simulator.process import SimulatorProcess  # noqa: E402 (after the path)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of a process (Linux /proc)."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    return figures


def access_token(details: dict) -> str:
    response = requests.post(
        f"{details['accounts_url']}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": details["client_id"],
            "client_secret": details["client_secret"],
            "refresh_token": details["refresh_token"],
        },
        timeout=30,
    )
    return response.json()["access_token"]


def page_through(details: dict, module: str, max_records: int) -> tuple[int, int, float, int]:
    """(records, pages, seconds, bytes) for one walk over a module with page tokens (orjson parses)."""
    http = requests.Session()
    http.headers["Authorization"] = f"Zoho-oauthtoken {access_token(details)}"
    base = details["api_domain"]
    fields = [
        f["api_name"]
        for f in http.get(f"{base}/crm/v8/settings/fields", params={"module": module}, timeout=30).json()[
            "fields"
        ]
    ][:50]
    params = {"fields": ",".join(fields), "per_page": 200}
    records = pages = size = 0
    started = time.perf_counter()
    while records < max_records:
        response = http.get(f"{base}/crm/v8/{module}", params=params, timeout=60)
        if response.status_code != 200:
            raise SystemExit(f"page {pages + 1}: HTTP {response.status_code} {response.text[:300]}")
        body = orjson.loads(response.content)
        size += len(response.content)
        records += len(body["data"])
        pages += 1
        if not body["info"]["more_records"]:
            break
        params = {"fields": params["fields"], "per_page": 200, "page_token": body["info"]["next_page_token"]}
    return records, pages, time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="records in the org")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--module", default="Contacts")
    parser.add_argument(
        "--max-records", type=int, default=None, help="stop paging after this many (default: all)"
    )
    args = parser.parse_args()
    simulator = SimulatorProcess.start("--size", str(args.size), "--seed", str(args.seed),
                                       "--page-token-cap", str(args.size), "--daily-credits", str(10**9))
    process, details, startup = simulator.process, simulator.details, simulator.startup_seconds
    try:
        counts = details["counts"]
        after_start = memory_mb(process.pid)
        print(
            f"org: {args.size:,} records (seed {args.seed}): "
            + ", ".join(f"{m} {n:,}" for m, n in counts.items())
        )
        print(
            f"generation + start-up: {startup:.1f} s wall (process start, imports, value pools, arrays, "
            f"servers); memory after start: RSS {after_start['VmRSS']:.0f} MB, "
            f"peak {after_start['VmHWM']:.0f} MB"
        )
        max_records = args.max_records or counts[args.module]
        records, pages, seconds, size = page_through(details, args.module, max_records)
        after = memory_mb(process.pid)
        log = requests.get(
            f"{details['api_domain']}/_simulator/requests",
            params={"path": f"/crm/v8/{args.module}"},
            timeout=60,
        ).json()["requests"]
        busy = sum(entry["duration"] for entry in log if entry["records"])
        print(
            f"served {records:,} {args.module} records in {pages:,} pages (all fields, 200 per page) "
            f"in {seconds:.1f} s: {records / seconds:,.0f} records/s, {pages / seconds:.1f} pages/s, "
            f"{size / seconds / 2**20:.1f} MB/s"
        )
        print(
            f"server-side: {records / busy:,.0f} records/s while answering ({busy:.1f} s busy of "
            f"{seconds:.1f} s; the rest is the client parsing and HTTP round trips)"
        )
        print(f"memory after paging: RSS {after['VmRSS']:.0f} MB, peak {after['VmHWM']:.0f} MB")
        target_ok = startup < 60 and after["VmHWM"] < 2048 and records / seconds >= 20_000
        print(f"targets (1M org < 60 s and < 2 GB, >= 20,000 records/s): {'met' if target_ok else 'NOT met'}")
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
