"""Import history in the warehouse: `zoho_raw.import_history`, one row per import run, for analysts.

The control store is the live record (`zoho-pipeline status/history` read it while an import runs);
after each run ends this copies the integration's runs into the warehouse with dlt (merge on
`import_id`), so the history can be joined with the data it loaded.
"""
from __future__ import annotations

import logging

import dlt

from zoho_pipeline import pipelines, settings

HISTORY_TABLE = "import_history"

# Types of the columns that may be null in every row of a load (dlt would otherwise leave them out).
HISTORY_COLUMNS = {
    "started_at": {"data_type": "timestamp"},
    "finished_at": {"data_type": "timestamp"},
    "options": {"data_type": "json"},
    "results": {"data_type": "json"},
    "error": {"data_type": "text"},
}

log = logging.getLogger(__name__)


def publish_history(integration_id: str) -> None:
    """Merge the integration's import runs into `zoho_raw.import_history`. Best effort: the import's own
    outcome is what the user must see, so a failure here is logged, never raised."""
    from zoho_pipeline.import_runs import history_rows

    try:
        rows = history_rows(integration_id)
        if not rows:
            return
        pipeline = dlt.pipeline(
            pipeline_name="zoho_import_history",
            destination=pipelines.destination(),
            dataset_name=settings.RAW_DATASET,
            pipelines_dir=str(settings.pipelines_dir()),
        )
        with pipelines.warehouse_write_lock():
            pipeline.run(
                rows,
                table_name=HISTORY_TABLE,
                write_disposition="merge",
                primary_key="import_id",
                columns=HISTORY_COLUMNS,
            )
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("could not copy the import history into the warehouse: %s", error)
