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

# --- integrations (connect, integrations add/list/show/remove) -------------------------------------

# --- import ----------------------------------------------------------------------------------------

# --- status and history ----------------------------------------------------------------------------
