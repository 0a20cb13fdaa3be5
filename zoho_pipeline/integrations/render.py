"""Readable terminal views (rich) of integrations and import runs; `--json` bypasses these."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from zoho_pipeline.integrations.store import Integration
from zoho_pipeline.integrations.times import from_iso, to_iso

_STATUS_STYLE = {"completed": "green", "failed": "red", "in_progress": "yellow", "idle": "dim"}
_STATE_STYLE = {"connected": "green", "revoked": "red", "failing": "yellow"}


def integrations_table(integrations: Iterable[Integration]) -> RenderableType:
    table = Table(title="Zoho integrations", title_justify="left")
    for column in ("id", "name", "state", "org", "api domain", "created (UTC)"):
        table.add_column(column, no_wrap=column in ("id", "state"))
    for integration in integrations:
        table.add_row(
            integration.id,
            integration.name,
            Text(integration.state, style=_STATE_STYLE.get(integration.state, "")),
            f"{integration.org_name or '?'} ({integration.org_id or '?'})",
            integration.api_domain,
            _short(to_iso(integration.created_at)),
        )
    return table


def integration_details(integration: Integration) -> RenderableType:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in integration.to_dict().items():
        if value is None:
            continue
        style = _STATE_STYLE.get(value, "") if key == "state" else ""
        table.add_row(key, Text(str(value), style=style))
    return table


def status_view(status: Mapping[str, Any]) -> RenderableType:
    """The current or last import: what, when, how far (a bar per module while it runs), errors."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    state = status["status"]
    table.add_row("integration", status["integrationId"])
    table.add_row("status", Text(state, style=_STATUS_STYLE.get(state, "")))
    if state == "idle":
        hint = f"never imported: run `zoho-pipeline import {status['integrationId']}`"
        return Group(table, Text(hint))
    table.add_row("import", status["importId"])
    table.add_row("started", status["startedAt"] or "")
    if status.get("finishedAt"):
        table.add_row("finished", status["finishedAt"])
    if status.get("options"):
        table.add_row("options", _options(status["options"]))
    progress = status["progress"]
    table.add_row("progress", _bar(progress["processed"], progress["total"], state))
    table.add_row("", _counts(progress))
    for module, counts in (status.get("modules") or {}).items():
        table.add_row(f"  {module}", _bar(counts["processed"], counts.get("total") or 0, state))
    if status.get("results"):
        results = status["results"].items()
        scalars = {key: value for key, value in results if not isinstance(value, list | dict)}
        table.add_row("results", ", ".join(f"{key} {value}" for key, value in scalars.items()))
    parts: list[RenderableType] = [table]
    if status.get("errors"):
        parts.append(errors_table(status["errors"], status.get("errorCount")))
    return Group(*parts)


def errors_table(errors: list[Mapping[str, Any]], error_count: int | None = None, shown: int = 10) -> Table:
    total = error_count if error_count is not None else len(errors)
    title = f"errors ({total})" if total <= shown else f"errors (first {shown} of {total}; --json has more)"
    table = Table(title=title, title_justify="left")
    for column in ("at", "module", "record", "message"):
        table.add_column(column)
    for error in errors[:shown]:
        table.add_row(error["at"], error["module"] or "", error["recordId"] or "", error["message"])
    return table


def history_table(runs: list[Mapping[str, Any]]) -> RenderableType:
    """One line per import; why the failed ones failed below the table (it must fit 80 columns)."""
    table = Table(title="Imports, newest first", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("import", "status", "started (UTC)", "took"):
        table.add_column(column, no_wrap=True)
    table.add_column("records")
    failures = []
    for run in runs:
        progress = run["progress"]
        table.add_row(
            run["importId"],
            Text(run["status"], style=_STATUS_STYLE.get(run["status"], "")),
            _short(run["startedAt"]),
            _took(run["startedAt"], run["finishedAt"]),
            f"{progress['processed']}/{progress['total']}"
            + (f", {progress['failed']} failed" if progress["failed"] else ""),
        )
        if run["status"] == "failed" and run["errors"]:
            failures.append(Text(f"{run['importId']}: {run['errors'][-1]['message']}", style="red"))
    return Group(table, *failures)


def _short(moment: str | None) -> str:
    return (moment or "")[:19].replace("T", " ")


def _took(started: str | None, finished: str | None) -> str:
    start, end = from_iso(started), from_iso(finished)
    if start is None or end is None:
        return ""
    seconds = int((end - start).total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _bar(done: int, total: int, state: str) -> RenderableType:
    if not total:
        return Text(f"{done} processed (total unknown)")
    percent = min(100.0, 100.0 * done / total)
    style = "green" if state == "completed" else "red" if state == "failed" else "yellow"
    bar = ProgressBar(total=total, completed=min(done, total), width=40, complete_style=style)
    grid = Table.grid(padding=(0, 1))
    grid.add_row(bar, Text(f"{done}/{total} ({percent:.0f}%)"))
    return grid


def _counts(progress: Mapping[str, int]) -> str:
    return f"{progress['successful']} successful, {progress['failed']} failed"


def _options(options: Mapping[str, Any]) -> str:
    parts = []
    if options.get("modules"):
        parts.append("modules " + ",".join(map(str, options["modules"])))
    date_range = options.get("dateRange") or {}
    if date_range.get("from") or date_range.get("to"):
        parts.append(f"{date_range.get('from') or '…'} to {date_range.get('to') or '…'}")
    if options.get("full"):
        parts.append("full")
    return "; ".join(parts) or "incremental"
