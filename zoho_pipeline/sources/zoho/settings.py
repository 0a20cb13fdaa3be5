"""Zoho CRM constants the source is built on: modules, API version, paging and cursor overlap."""
from __future__ import annotations

API_PATH = "/crm/v8"

# Zoho module API names the source extracts, with the raw table each one lands in.
RECORD_MODULES: dict[str, str] = {
    "Contacts": "contacts",
    "Accounts": "accounts",
    "Deals": "deals",
    "Cases": "cases",
    "Notes": "notes",
    "Calls": "calls",
    "Tasks": "tasks",
    "Events": "events",
}

# `--modules` names on the command line (docs/architecture.md) and the Zoho modules behind each.
MODULE_GROUPS: dict[str, tuple[str, ...]] = {
    "contacts": ("Contacts", "Accounts"),
    "deals": ("Deals",),
    "tickets": ("Cases",),
    "notes": ("Notes",),
    "activities": ("Calls", "Tasks", "Events"),
}

PAGE_SIZE = 200  # Zoho's maximum per_page
# Pages go to dlt as one Arrow table per this many records: dlt's extract costs ~2 ms per table.
RECORDS_PER_TABLE = 2_000
MAX_FIELDS_PER_CALL = 50  # Zoho answers LIMIT_EXCEEDED past 50 fields
MAX_DISCRETE_PAGE = 10  # `page` reaches only the first 2,000 records; page_token after that

# Zoho datetimes have second precision and If-Modified-Since may be exclusive: re-read this many
# seconds before the cursor so edits in the cursor's own second are never lost (merge dedups them).
CURSOR_OVERLAP_SECONDS = 1

# HTTP retries (dlt's retrying session): 429, 5xx, timeouts and dropped connections.
REQUEST_MAX_ATTEMPTS = 6
REQUEST_BACKOFF_FACTOR = 0.5
REQUEST_MAX_RETRY_DELAY = 20.0
REQUEST_TIMEOUT = 60.0

# Zoho mints at most 10 access tokens per refresh token per 10 minutes.
TOKEN_REFRESH_LIMIT = 10
TOKEN_REFRESH_WINDOW_SECONDS = 600
TOKEN_EXPIRY_MARGIN_SECONDS = 60

# Bulk Read for a module's first full read (sources/zoho/bulk.py). A job costs 50 credits, as much as
# 10,000 records by REST, so smaller modules stay on REST. Notes are not readable in bulk; the
# activities' What_Id names its module in `$se_module`, which the bulk CSV does not carry.
BULK_PATH = "/crm/bulk/v8/read"
BULK_MODULES = ("Contacts", "Accounts", "Deals", "Cases")
BULK_MIN_RECORDS = 10_000
BULK_POLL_FIRST_SECONDS = 0.1
BULK_POLL_MAX_SECONDS = 5.0
BULK_JOB_TIMEOUT_SECONDS = 3600
BULK_BATCH_ROWS = 10000  # rows per Arrow table handed to dlt
BULK_DUCKDB_MEMORY = "256MB"  # the CSV-reading DuckDB in the importing process (peak RSS)
