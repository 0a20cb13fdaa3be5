"""The import job: extract and load one Zoho account (a partition), then `dbt build`.

Run config (all optional; the default is the incremental import the schedule runs)::

    ops:
      zoho_raw_tables:
        config:
          modules: [contacts, deals]   # contacts, deals, tickets, notes, activities (default: all)
          date_from: "2024-01-01"      # records modified in [date_from, date_to]; the live cursor stays
          date_to: "2024-03-31"
          full: false                  # true: re-read everything (duplicates nothing)
"""
from __future__ import annotations

import dagster as dg

IMPORT_JOB_NAME = "zoho_import"


def build_import_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=IMPORT_JOB_NAME,
        # Partitioned by zoho_integrations through the raw assets (the dbt assets span accounts).
        selection=dg.AssetSelection.all(),
        description=(
            "Import one Zoho account (its partition): extract and load its raw tables, then dbt build. "
            "Run config takes modules, a date range (date_from/date_to) and full for backfills."
        ),
        tags={"zoho/trigger": "job"},
    )
