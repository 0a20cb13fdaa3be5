"""`make demo` / `zoho-pipeline demo`: the whole product once, on the embedded default.

Starts the Zoho CRM simulator (its own process) with a sample org, connects it through the real OAuth
authorization-code flow (this process plays the browser), imports it through Dagster's import job into
DuckDB (extract, load, dbt build), prints what arrived and where to go next, and stops the simulator.
Runs recorded in `<home>/dagster` show up in `make dagster` afterwards.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import redirect_stdout

import requests

from zoho_pipeline import settings
from zoho_pipeline.errors import UserError
from zoho_pipeline.simulator.process import SimulatorProcess

DEMO_NAME = "Demo org (simulator)"
DEMO_SEED = 7
DEMO_SIZE = 5_000
MART_TABLES = ("customers", "customer_sources", "conversations", "messages", "customer_notes", "call_logs",
               "tasks")


def _browser(echo: Callable[[str], None], accounts_url: str) -> Callable[[str], None]:
    """An `echo` for `connect` that also plays the user's browser: it opens the authorization link
    (the simulator consents at once and redirects to our callback listener)."""

    def on_line(line: str) -> None:
        echo(line)
        if line.startswith(accounts_url):
            threading.Thread(target=requests.get, args=(line,), kwargs={"timeout": 30}, daemon=True).start()

    return on_line


def connect_demo_org(sim: SimulatorProcess, echo: Callable[[str], None]) -> str:
    """Forget an earlier demo's account (and its data), then connect this one by OAuth; its id."""
    from zoho_pipeline.integrations import IntegrationStore
    from zoho_pipeline.integrations.connect import connect
    from zoho_pipeline.integrations.lifecycle import remove_integration

    with IntegrationStore.open() as store:
        for earlier in store.list():
            if earlier.name == DEMO_NAME:
                echo(f"removing the earlier demo account {earlier.id} and its data")
                remove_integration(store, earlier.id, purge=True, revoke=False)
        details = sim.details
        integration = connect(
            store, client_id=details["client_id"], client_secret=details["client_secret"],
            accounts_url=details["accounts_url"], name=DEMO_NAME, port=0, open_browser=False, timeout=60,
            echo=_browser(lambda line: echo(f"  {line}"), details["accounts_url"]),
        )
    return integration.id


def run(size: int = DEMO_SIZE, seed: int = DEMO_SEED, echo: Callable[[str], None] = print) -> None:
    from zoho_pipeline.defs.runner import failure_message, run_import_job
    from zoho_pipeline.import_runs import import_status

    if settings.destination() != "duckdb":
        raise UserError("the demo runs on the embedded DuckDB warehouse: unset ZOHO_PIPELINE_DESTINATION")
    started = time.monotonic()
    echo(f"1. Starting the Zoho CRM simulator with a sample org ({size:,} records, seed {seed}) ...")
    with SimulatorProcess.start("--seed", str(seed), "--size", str(size)) as sim:
        echo(f"   accounts server {sim.details['accounts_url']}; records: "
             + ", ".join(f"{module} {count}" for module, count in sim.details["counts"].items()))
        echo("2. Connecting it through Zoho's OAuth authorization-code flow ...")
        integration_id = connect_demo_org(sim, echo)
        echo(f"   connected: integration {integration_id}")
        echo("3. Importing it through Dagster (extract with dlt, load DuckDB, dbt build) ...")
        log_file = settings.home() / "demo-import.log"
        with open(log_file, "w") as log, redirect_stdout(log):  # dbt's own lines, as a Dagster run keeps them
            result = run_import_job(integration_id, log_level="WARNING")
        echo(f"   (dbt's log of the run: {log_file})")
        if not result.success:
            raise UserError(f"the demo import failed: {failure_message(result)} "
                            f"(see `zoho-pipeline history {integration_id}`)")
        echo(f"   Dagster run {result.run_id} succeeded")
    status = import_status(integration_id)
    echo(f"4. Imported in {time.monotonic() - started:.0f} s. What arrived:")
    for line in report_lines(integration_id, status):
        echo(line)
    echo("")
    echo("Next:")
    echo("  make dagster   # the Dagster UI on http://127.0.0.1:3000: this run, its assets and lineage")
    echo(f"  zoho-pipeline history {integration_id}   # import history (also zoho_raw.import_history)")
    echo(f"  warehouse: {settings.duckdb_path()}")
    echo(f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{settings.duckdb_path()}', "
         "read_only=True).sql('select source, status, count(*) from gtateth.conversations group by all'))\"")


def report_lines(integration_id: str, status: dict) -> list[str]:
    """Counts per mart, a few customers with their custom fields, one conversation with its messages."""
    import duckdb

    progress, results = status["progress"], status["results"]
    created = ", ".join(f"{results.get(f'{table}Created', 0)} {table}"
                        for table in ("customers", "conversations", "messages"))
    lines = [f"   records: {progress['total']} in Zoho, {progress['successful']} loaded, "
             f"{progress['failed']} failed; created {created}"]
    schema = settings.MARTS_SCHEMA
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as warehouse:
        counts = [f"{table} {warehouse.sql(f'select count(*) from {schema}.{table}').fetchone()[0]}"
                  for table in MART_TABLES]
        lines.append(f"   {schema} tables: " + ", ".join(counts))
        lines.append("   a few customers (custom fields as customFields.zoho_*):")
        customers = warehouse.sql(
            f"select email, first_name, last_name, company, custom_fields from {schema}.customers "
            "where email is not null and not is_deleted order by customer_id limit 3").fetchall()
        for email, first, last, company, custom in customers:
            name = " ".join(part for part in (first, last) if part)
            lines.append(f"     {name} <{email}> at {company}: {_short(custom)}")
        conversation = warehouse.sql(
            "select c.conversation_id, c.source, c.subject, c.status, count(*) "
            f"from {schema}.conversations c join {schema}.messages m using (conversation_id) "
            "where c.integration_id = ? group by all order by count(*) desc, c.conversation_id limit 1",
            params=[integration_id]).fetchone()
        if conversation:
            conversation_id, source, subject, state, _ = conversation
            lines.append(f"   a conversation ({source}, {state}): {subject}")
            messages = warehouse.sql(
                f"select kind, created_at, coalesce(title, ''), body from {schema}.messages "
                "where conversation_id = ? order by created_at, message_id",
                params=[conversation_id]).fetchall()
            for kind, created_at, title, body in messages:
                text = _short(title + " " + (body or ""), 90)
                lines.append(f"     [{created_at:%Y-%m-%d %H:%M}] {kind}: {text}")
    return lines


def _short(value: object, width: int = 110) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"
