"""The `zoho-pipeline` command: a thin command line over the library.

Each command imports what it needs when it runs, so `--help` stays fast.
Errors the user can fix (`UserError`) are printed as one line with what to do, never a traceback.
"""
from __future__ import annotations

import sys

import click

from zoho_pipeline.errors import UserError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Move Zoho CRM data into G-Tateth CRM (extract with dlt, transform with dbt, run with Dagster)."""


# --- simulator -------------------------------------------------------------------------------------


def _parse_counts(text: str) -> dict[str, int]:
    counts = {}
    for item in text.split(","):
        module, _, number = item.partition("=")
        if not number.strip().isdigit():
            raise UserError(f"--counts wants Module=N pairs like Contacts=100,Deals=50, not {item!r}")
        counts[module.strip()] = int(number)
    return counts


@main.command("simulator")
@click.option("--port", type=int, default=0, show_default=True,
              help="API port (the accounts server listens on PORT+1); 0 picks free ports.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same org.")
@click.option("--size", type=int, default=None, help="Total records, spread over the modules realistically.")
@click.option("--counts", default=None, help="Records per module, e.g. Contacts=100,Deals=50.")
@click.option("--faults", default="", help='Faults, e.g. "429:rate=0.02:seed=1,slow:seconds=0.5:rate=0.1".')
@click.option("--token-ttl", type=int, default=3600, show_default=True, help="Access-token lifetime (s).")
@click.option("--edition", default="enterprise", show_default=True)
@click.option("--page-token-cap", type=int, default=100_000, show_default=True)
@click.option("--bulk-page-size", type=int, default=200_000, show_default=True)
@click.option("--daily-credits", type=int, default=None, help="Override the edition's daily API credits.")
@click.option("--preload", is_flag=True,
              help="Build every record before serving, as a real CRM has them stored (benchmarks: "
                   "the simulator then hardly competes with the importer for CPU).")
def simulator(port, host, seed, size, counts, faults, token_ttl, edition, page_token_cap, bulk_page_size,
              daily_credits, preload) -> None:
    """Serve a synthetic Zoho CRM org (accounts server + CRM API) until Ctrl-C."""
    import json
    import signal
    import threading
    import time

    from zoho_pipeline.simulator import Simulator
    from zoho_pipeline.simulator.faults import parse_faults

    if size is not None and counts:
        raise UserError("give either --size or --counts, not both")
    try:
        fault_specs = parse_faults(faults)
        started = time.perf_counter()
        sim = Simulator(seed=seed, size=size, counts=_parse_counts(counts) if counts else None,
                        token_ttl=token_ttl, edition=edition, page_token_cap=page_token_cap,
                        bulk_page_size=bulk_page_size, daily_credits=daily_credits, faults=fault_specs)
    except ValueError as error:
        raise UserError(str(error)) from None
    if preload:
        sim.preload()
    try:
        sim.start(host=host, api_port=port, accounts_port=port + 1 if port else 0)
    except OSError as error:
        raise UserError(f"cannot listen on {host}:{port} ({error}); choose another --port") from None
    org = sim.org
    details = {"accounts_url": sim.accounts_url, "api_domain": sim.api_domain, "client_id": org.client_id,
               "client_secret": org.client_secret, "refresh_token": org.refresh_token, "org_id": org.org_id,
               "counts": org.counts, "seed": seed}
    click.echo(f"Zoho CRM simulator ({sum(org.counts.values()):,} records, seed {seed}, "
               f"generated in {time.perf_counter() - started:.1f} s)")
    click.echo(f"  accounts URL:  {sim.accounts_url}")
    click.echo(f"  API URL:       {sim.api_domain}")
    click.echo(f"  client id:     {org.client_id}")
    click.echo(f"  client secret: {org.client_secret}")
    click.echo(f"  refresh token: {org.refresh_token}")
    click.echo("SIMULATOR " + json.dumps(details), nl=True)
    click.echo("Serving until Ctrl-C.")
    sys.stdout.flush()
    stop = threading.Event()
    # Both signals stop cleanly (a shell starts background jobs with SIGINT ignored, so set it here).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    sim.stop()
    click.echo("simulator stopped")


# --- integrations (connect, integrations add/list/show/remove) -------------------------------------

_DC_HELP = "Zoho data centre: us, eu, in, au, jp, cn, ca or sa (default us)."


def _print_json(value: object) -> None:
    import json

    click.echo(json.dumps(value, indent=2, default=str))


def _print_rich(renderable: object) -> None:
    from rich.console import Console

    Console().print(renderable)


def _client(client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    if not client_id:
        raise UserError("the Zoho client id is missing: pass --client-id or set ZOHO_CLIENT_ID")
    if not client_secret:
        raise UserError("the Zoho client secret is missing: pass --client-secret or set ZOHO_CLIENT_SECRET")
    return client_id.strip(), client_secret.strip()


def _client_options(command):
    secret = click.option("--client-secret", envvar="ZOHO_CLIENT_SECRET", help="Or ZOHO_CLIENT_SECRET.")
    command = secret(command)
    command = click.option("--client-id", envvar="ZOHO_CLIENT_ID", help="Or ZOHO_CLIENT_ID.")(command)
    command = click.option("--dc", help=_DC_HELP)(command)
    command = click.option("--accounts-url", help="Zoho accounts server, e.g. https://accounts.zoho.eu.")(command)
    return command


@main.command()
@click.option("--name", help="A name for this account (default: the Zoho org's name).")
@_client_options
@click.option("--no-browser", is_flag=True, help="Only print the authorization link.")
@click.option("--port", type=int, default=8765, show_default=True, help="Callback port (0: any free one).")
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds to wait for Zoho.")
@click.option("--json", "as_json", is_flag=True, help="Print the new integration as JSON.")
def connect(name, accounts_url, dc, client_id, client_secret, no_browser, port, timeout, as_json) -> None:
    """Connect a Zoho CRM account in the browser (OAuth) and print its integration id."""
    from zoho_pipeline.integrations import IntegrationStore, oauth
    from zoho_pipeline.integrations.connect import connect as run_connect

    client_id, client_secret = _client(client_id, client_secret)
    with IntegrationStore.open() as store:
        integration = run_connect(
            store,
            client_id=client_id,
            client_secret=client_secret,
            accounts_url=oauth.accounts_url_for(dc, accounts_url),
            name=name,
            port=port,
            open_browser=not no_browser,
            timeout=timeout,
            echo=lambda line: click.echo(line, err=as_json),
        )
    if as_json:
        _print_json(integration.to_dict())
    else:
        click.echo(f"connected {integration.name!r} (Zoho org {integration.org_id}): {integration.id}")


@main.group()
def integrations() -> None:
    """Connected Zoho accounts: add, list, show, remove."""


@integrations.command("add")
@click.option("--name", required=True, help="A unique name for this account.")
@_client_options
@click.option("--refresh-token", required=True, help="A Zoho refresh token (offline access).")
@click.option("--json", "as_json", is_flag=True, help="Print the new integration as JSON.")
def integrations_add(name, accounts_url, dc, client_id, client_secret, refresh_token, as_json) -> None:
    """Add a Zoho account from a refresh token (no browser); validates it with Zoho first."""
    from zoho_pipeline.integrations import IntegrationStore, oauth
    from zoho_pipeline.integrations.lifecycle import add_integration

    client_id, client_secret = _client(client_id, client_secret)
    with IntegrationStore.open() as store:
        integration = add_integration(
            store,
            name=name,
            accounts_url=oauth.accounts_url_for(dc, accounts_url),
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token.strip(),
        )
    if as_json:
        _print_json(integration.to_dict())
    else:
        click.echo(f"added {integration.name!r} (Zoho org {integration.org_id}): {integration.id}")


@integrations.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def integrations_list(as_json) -> None:
    """List connected Zoho accounts."""
    from zoho_pipeline.integrations import IntegrationStore
    from zoho_pipeline.integrations.render import integrations_table

    with IntegrationStore.open() as store:
        found = store.list()
    if as_json:
        _print_json([integration.to_dict() for integration in found])
    elif not found:
        click.echo("no integrations yet: run `zoho-pipeline connect` or `zoho-pipeline integrations add`")
    else:
        _print_rich(integrations_table(found))


@integrations.command("show")
@click.argument("integration_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def integrations_show(integration_id, as_json) -> None:
    """Show one connected Zoho account (never its secrets)."""
    from zoho_pipeline.integrations import IntegrationStore
    from zoho_pipeline.integrations.render import integration_details

    with IntegrationStore.open() as store:
        integration = store.get(integration_id)
    if as_json:
        _print_json(integration.to_dict())
    else:
        _print_rich(integration_details(integration))


@integrations.command("remove")
@click.argument("integration_id")
@click.option("--purge", is_flag=True, help="Also delete its imported data (raw tables, marts, history).")
@click.option("--no-revoke", is_flag=True, help="Do not revoke the refresh token at Zoho.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def integrations_remove(integration_id, purge, no_revoke, as_json) -> None:
    """Revoke the account's refresh token at Zoho and forget it (imported data stays unless --purge)."""
    from zoho_pipeline.integrations import IntegrationStore
    from zoho_pipeline.integrations.lifecycle import remove_integration

    with IntegrationStore.open() as store:
        removal = remove_integration(store, integration_id, purge=purge, revoke=not no_revoke)
    if as_json:
        _print_json(
            {
                "removed": removal.integration.to_dict(),
                "revoked": removal.revoked,
                "purgedRows": removal.purged_rows,
            }
        )
        return
    click.echo(f"removed {removal.integration.name!r} ({integration_id})")
    click.echo("refresh token revoked at Zoho" if removal.revoked else "refresh token NOT revoked")
    if removal.purged_rows is None:
        click.echo("imported data kept (remove it with --purge)")
    else:
        click.echo(f"deleted {sum(removal.purged_rows.values())} rows from {len(removal.purged_rows)} tables")

# --- import ----------------------------------------------------------------------------------------


class _ImportProgress:
    """A rich progress bar per Zoho module, against Zoho's own record count."""

    def __init__(self, progress) -> None:
        self.bars = progress
        self.tasks: dict[str, object] = {}

    def set_totals(self, totals: dict[str, int]) -> None:
        for module, total in totals.items():
            self.tasks[module] = self.bars.add_task(module, total=max(total, 1) if total else None)

    def step(self, name: str | None) -> None:
        """Finish the previous step's line and show this one (elapsed time, no total); None: just finish."""
        previous = self.tasks.pop("_step", None)
        if previous is not None:
            self.bars.update(previous, total=1, completed=1)
        if name is not None:
            self.tasks["_step"] = self.bars.add_task(name, total=None)

    def progress(self, module: str, processed: int, successful: int, failed: int = 0) -> None:
        task = self.tasks.get(module)
        if task is None:
            task = self.tasks[module] = self.bars.add_task(module, total=None)
        label = f"{module} ({failed} failed)" if failed else module
        self.bars.update(task, completed=processed, description=label)


def _print_import_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"import {summary.import_id or ''} of {summary.integration_id}".replace("  ", " "))
    for column in ("module", "Zoho count", "fetched", "loaded", "failed", "complete"):
        table.add_column(column, justify="left" if column == "module" else "right")
    for module in summary.modules:
        count = "-" if module.zoho_count is None else str(module.zoho_count)
        table.add_row(module.module, count, str(module.fetched), str(module.loaded), str(module.failed),
                      "yes" if module.complete else "no")
    console = Console()
    console.print(table)
    if summary.transform is not None:
        changes = Table(title="G-Tateth marts (dbt build)")
        for column in ("table", "created", "updated"):
            changes.add_column(column, justify="left" if column == "table" else "right")
        for table, change in summary.transform.changes.items():
            changes.add_row(table, str(change.created), str(change.updated))
        console.print(changes)
        for warning in summary.transform.warnings:
            console.print(f"[yellow]warning[/yellow] {warning}")
    credits = "" if summary.credits_used is None else f", {summary.credits_used} credits"
    console.print(f"{summary.api_calls} API calls{credits}, {summary.failed} records failed "
                  f"({summary.rejects} rejects kept in zoho_raw.rejects), {summary.duration_seconds:.1f} s")


@main.command("import")
@click.argument("integration_id")
@click.option("--modules", help="Comma-separated: contacts, deals, tickets, notes, activities (default all).")
@click.option("--from", "date_from", help="Only records modified on or after this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Only records modified on or before this date (YYYY-MM-DD).")
@click.option("--full", is_flag=True, help="Re-read everything (nothing is duplicated).")
@click.option("--no-transform", is_flag=True, help="Only extract and load the raw tables (skip dbt build).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
def import_(integration_id, modules, date_from, date_to, full, no_transform, as_json) -> None:
    """Import a connected Zoho account: extract, load zoho_raw, then dbt build the G-Tateth marts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zoho_pipeline.importer import run_import

    if full and (date_from or date_to):
        raise UserError("--full reads everything: leave out --from/--to, or drop --full")
    names = [name for name in (modules or "").split(",") if name.strip()] or None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False, disable=as_json) as bars:
        display = _ImportProgress(bars)
        summary = run_import(integration_id, modules=names, date_from=date_from, date_to=date_to, full=full,
                             progress=display, transform=not no_transform)
        display.step(None)
    if as_json:
        _print_json(summary.to_dict())
    else:
        _print_import_summary(summary)


# --- status and history ----------------------------------------------------------------------------


@main.command()
@click.argument("integration_id")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--watch", is_flag=True, help="Keep the view updated until the import ends.")
def status(integration_id, as_json, watch) -> None:
    """The current or last import of a Zoho account: status, progress, results, errors."""
    from zoho_pipeline.import_runs import import_status
    from zoho_pipeline.integrations.render import status_view

    current = import_status(integration_id)
    if as_json:
        _print_json(current)
    elif watch and current["status"] == "in_progress":
        import time

        from rich.live import Live

        with Live(status_view(current), refresh_per_second=4) as live:
            while current["status"] == "in_progress":
                time.sleep(1)
                current = import_status(integration_id)
                live.update(status_view(current))
    else:
        _print_rich(status_view(current))


@main.command()
@click.argument("integration_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many imports.")
def history(integration_id, as_json, limit) -> None:
    """Past imports of a Zoho account, newest first."""
    from zoho_pipeline.import_runs import import_history
    from zoho_pipeline.integrations.render import history_table

    runs = import_history(integration_id, limit=limit)
    if as_json:
        _print_json(runs)
    elif not runs:
        click.echo(f"no imports yet: run `zoho-pipeline import {integration_id}`")
    else:
        _print_rich(history_table(runs))


# --- demo ------------------------------------------------------------------------------------------


@main.command()
@click.option("--size", type=click.IntRange(min=100), default=5_000, show_default=True,
              help="Records in the sample org.")
@click.option("--seed", type=int, default=7, show_default=True)
def demo(size, seed) -> None:
    """The whole product once: simulator, OAuth connect, import through Dagster into DuckDB, a report."""
    from zoho_pipeline.demo import run

    run(size=size, seed=seed, echo=click.echo)
