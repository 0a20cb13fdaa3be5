"""Bulk Read (/crm/bulk/v8/read): create a job (201), poll its state, download a zip holding one CSV.

A job moves ADDED -> IN PROGRESS -> COMPLETED on successive status polls (guessed: Zoho's timing is its
own; tests want it quick and deterministic). Each job covers at most `bulk_page_size` records in id
order; `result.next_page_token` starts the next job (`{"query": {"page_token": ...}}`).
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import secrets
import zipfile
from collections import deque

import numpy as np
import orjson

from zoho_pipeline.simulator import coql, schema
from zoho_pipeline.simulator.accounts import AccessToken, scope_allows
from zoho_pipeline.simulator.errors import ZohoError, scope_mismatch
from zoho_pipeline.simulator.generator import format_datetime
from zoho_pipeline.simulator.org import Org
from zoho_pipeline.simulator.records import Page
from zoho_pipeline.simulator.server import Request

CREATE_CREDITS = 50
DOWNLOADS_PER_MINUTE = 10
TOKEN_TTL = 86400
COMPARATORS = {
    "equal": "=",
    "not_equal": "!=",
    "less_than": "<",
    "less_equal": "<=",
    "greater_than": ">",
    "greater_equal": ">=",
    "in": "in",
    "not_in": "not in",
    "between": "between",
    "not_between": "not between",
    "contains": "like",
    "not_contains": "not like",
    "starts_with": "like",
    "ends_with": "like",
}


class FilePage(Page):
    """A binary answer (the result zip)."""

    def __init__(self, status: int, body: bytes, headers: dict, records: int, credits: int = 1) -> None:
        super().__init__(status, None, records, credits)
        self.body = body
        self.headers = headers


def route(sim, request: Request, access: AccessToken, org: Org) -> Page:
    if not scope_allows(access.scopes, "ZohoCRM.bulk.READ"):
        raise scope_mismatch()
    parts = [p for p in request.path[len("/crm/bulk/v8/read") :].split("/") if p]
    if not parts and request.method == "POST":
        return create(sim, request, access, org)
    if len(parts) == 1 and request.method == "GET":
        return status(sim, org, parts[0])
    if len(parts) == 2 and parts[1] == "result" and request.method == "GET":
        return download(sim, org, parts[0])
    raise ZohoError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")


def _criteria_node(criteria: dict):
    """Zoho's criteria JSON -> the COQL evaluator's nodes."""
    if "group" in criteria:
        operator = (criteria.get("group_operator") or "and").lower()
        if operator not in ("and", "or"):
            raise ZohoError(
                400,
                "GROUP_OPERATOR_NOT_SUPPORTED",
                "group operator not supported",
                {"group_operator": operator},
            )
        nodes = [_criteria_node(part) for part in criteria["group"]]
        if not nodes:
            raise ZohoError(400, "INVALID_CRITERIA", "invalid criteria", {})
        node = nodes[0]
        for other in nodes[1:]:
            node = coql.Junction(operator, node, other)
        return node
    try:
        api_name = criteria["field"]["api_name"]
        comparator = criteria["comparator"]
        value = criteria.get("value")
    except (KeyError, TypeError):
        raise ZohoError(400, "INVALID_CRITERIA", "invalid criteria", {}) from None
    if comparator not in COMPARATORS:
        raise ZohoError(400, "INVALID_CRITERIA", "invalid comparator", {"comparator": comparator})
    if value == "${EMPTY}":
        return coql.Comparison(api_name, "is null" if comparator == "equal" else "is not null", [])
    operator = COMPARATORS[comparator]
    if comparator in ("contains", "not_contains"):
        values = [f"%{value}%"]
    elif comparator == "starts_with":
        values = [f"{value}%"]
    elif comparator == "ends_with":
        values = [f"%{value}"]
    elif comparator in ("in", "not_in", "between", "not_between"):
        values = list(value) if isinstance(value, list) else [value]
    else:
        values = [value]
    return coql.Comparison(api_name, operator, values)


def create(sim, request: Request, access: AccessToken, org: Org) -> Page:
    if "application/json" not in (request.header("content-type") or ""):
        raise ZohoError(415, "MEDIA_TYPE_NOT_SUPPORTED", "The Content-Type is not supported", {})
    try:
        body = request.json()
    except orjson.JSONDecodeError:
        raise ZohoError(400, "INVALID_DATA", "body is not valid JSON", {}) from None
    if not body:
        raise ZohoError(400, "REQUEST_BODY_IS_EMPTY", "request body is empty", {})
    query = body.get("query") or {}
    now = sim.clock.now()
    if "page_token" in query:
        continuation = org.bulk_tokens.get(query["page_token"])
        if continuation is None:
            raise ZohoError(400, "INVALID_DATA", "invalid page_token", {"param_name": "page_token"})
        if continuation["expires_at"] <= now:
            raise ZohoError(400, "EXPIRED_VALUE", "Page token expired", {"param_name": "page_token"})
        module, fields, criteria = continuation["module"], continuation["fields"], continuation["criteria"]
        after, page = continuation["after"], continuation["page"]
    else:
        module = (query.get("module") or {}).get("api_name")
        if module not in org.store.modules:
            raise ZohoError(400, "MODULE_NOT_AVAILABLE", "the module is not available", {"api_name": module})
        if not org.store.modules[module].bulk_supported:
            raise ZohoError(
                400,
                "MODULE_NOT_SUPPORTED",
                "bulk read is not supported for this module",
                {"api_name": module},
            )
        fields = list(query.get("fields") or [])
        criteria = query.get("criteria")
        page = int(query.get("page") or 1)
        if not 1 <= page <= 50:
            raise ZohoError(400, "PAGE_RANGE_EXCEEDED", "page range exceeded", {"max_limit": 50})
        after = None
    if not scope_allows(access.scopes, f"ZohoCRM.modules.{module.lower()}.READ"):
        raise scope_mismatch()
    evaluator = coql._Evaluator(org, module)
    for name in fields:
        if name != "id":
            evaluator.check_field(name)
    node = _criteria_node(criteria) if criteria else None
    admin = org.users[0]
    job_id = org.store.record_id("Jobs", len(org.bulk_jobs) + 1)
    job = {
        "id": job_id,
        "module": module,
        "fields": fields,
        "criteria": criteria,
        "node": node,
        "page": page,
        "after": after,
        "state": "ADDED",
        "polls": 0,
        "downloads": deque(),
        "created_by": {"id": admin["id"], "name": admin["name"]},
        "created_time": format_datetime(int(now), 330),
        "result": None,
    }
    with org.lock:
        org.bulk_jobs[job_id] = job
    details = {
        "id": job_id,
        "operation": "read",
        "state": "ADDED",
        "created_by": job["created_by"],
        "created_time": job["created_time"],
    }
    return Page(
        201,
        {
            "data": [
                {
                    "status": "success",
                    "code": "ADDED_SUCCESSFULLY",
                    "message": "Added successfully.",
                    "details": details,
                }
            ],
            "info": {},
        },
        credits=CREATE_CREDITS,
    )


def _job(org: Org, job_id: str) -> dict:
    job = org.bulk_jobs.get(job_id)
    if job is None:
        raise ZohoError(
            404, "RESOURCE_NOT_FOUND", "the requested resource is not found", {"resource": job_id}
        )
    return job


def _run(sim, org: Org, job: dict) -> None:
    """Work out which records the job holds (at completion, so later changes are not in it)."""
    module = job["module"]
    store = org.store.stores[module]
    alive = np.nonzero(store.alive_mask())[0].astype(np.int64)
    evaluator = coql._Evaluator(org, module)
    matched = alive[evaluator.mask(job["node"], alive)] if job["node"] is not None else alive
    size = sim.bulk_page_size
    if job["after"] is not None:
        matched = matched[matched > job["after"]]
        chunk = matched[:size]
    else:
        chunk = matched[(job["page"] - 1) * size : job["page"] * size]
        matched = matched[(job["page"] - 1) * size :]
    more = len(matched) > len(chunk)
    next_token = None
    if more:
        next_token = secrets.token_hex(24)
        org.bulk_tokens[next_token] = {
            "module": module,
            "fields": job["fields"],
            "criteria": job["criteria"],
            "after": int(chunk[-1]),
            "page": job["page"] + 1,
            "expires_at": sim.clock.now() + TOKEN_TTL,
        }
    job["indices"] = chunk
    job["result"] = {
        "page": job["page"],
        "per_page": size,
        "count": int(len(chunk)),
        "download_url": f"/crm/bulk/v8/read/{job['id']}/result",
        "more_records": more,
        "next_page_token": next_token,
    }


def _details(org: Org, job: dict) -> dict:
    module = job["module"]
    query = {
        "module": {"id": org.store.record_id("Modules", schema.ID_KINDS[module]), "api_name": module},
        "page": job["page"],
    }
    if job["fields"]:
        query["fields"] = job["fields"]
    if job["criteria"]:
        query["criteria"] = job["criteria"]
    details = {
        "id": job["id"],
        "operation": "read",
        "state": job["state"],
        "query": query,
        "created_by": job["created_by"],
        "created_time": job["created_time"],
        "file_type": "csv",
    }
    if job["result"] is not None:
        details["result"] = job["result"]
    return details


def status(sim, org: Org, job_id: str) -> Page:
    job = _job(org, job_id)
    with org.lock:
        job["polls"] += 1
        if job["state"] == "ADDED":
            job["state"] = "IN PROGRESS"
        elif job["state"] == "IN PROGRESS":
            _run(sim, org, job)
            job["state"] = "COMPLETED"
    return Page(200, {"data": [_details(org, job)]})  # guessed: a status poll costs 1 credit


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _lookup_cell(value)
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ",".join(str(v.get("name") or v.get("id") or "") for v in value)
        return ";".join(str(v) for v in value)  # guessed: multi-select separator in the CSV
    return str(value)


def _lookup_cell(value: dict) -> str:
    return str(value["id"]) if "id" in value else orjson.dumps(value).decode()


# _csv_value for the classes generated records hold, by exact class (so 1 never reads as True).
_CELL = {bool: {True: "true", False: "false"}.__getitem__, int: str, float: str, dict: _lookup_cell}


def _columns(org: Org, job: dict) -> list[str]:
    definition = org.store.modules[job["module"]]
    columns = list(job["fields"]) or [
        f.api_name for f in definition.fields if f.data_type != "multiselectlookup"
    ]
    if "id" not in columns:
        columns.append("id")
    return columns


def download(sim, org: Org, job_id: str) -> FilePage:
    job = _job(org, job_id)
    if job["state"] != "COMPLETED":
        # guessed: the result is not there yet
        raise ZohoError(400, "INVALID_REQUEST", "the job is not completed yet", {"state": job["state"]})
    now = sim.clock.now()
    with org.lock:
        recent = org.bulk_downloads
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= DOWNLOADS_PER_MINUTE:
            raise ZohoError(429, "TOO_MANY_REQUESTS", "download limit of 10 per minute exceeded", {})
        recent.append(now)
    columns = _columns(org, job)
    archive = io.BytesIO()
    # Level 1: about half the deflate time of the default level 6, for a zip ~25% larger.
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        with zipped.open(f"{job['id']}.csv", "w") as member:
            for text in csv_text(rows(org, job["module"], columns, job["indices"]), columns):
                member.write(text.encode())
    headers = {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{job["id"]}.zip"',
    }
    return FilePage(200, archive.getvalue(), headers, records=len(job["indices"]))


# -- the CSV ----------------------------------------------------------------------------------------------
# A cell is what the COQL evaluator gives for the column (record.get, or evaluator.value for dot columns),
# written by _csv_value, and the CSV is what csv.writer writes. Going through both per cell cost more
# than generating the record, so rows() picks a record's cells with one itemgetter call and converts
# by class, and csv_text() joins a row itself unless a cell needs more than plain quotes.


def _dot_key(sub: str) -> str:
    """The key evaluator.value reads from a lookup for 'Lookup.sub'."""
    return "id" if sub in ("", "id") else "email" if sub == "email" else "name"


def rows(org: Org, module: str, columns: list[str], indices: np.ndarray):
    """Each record's cells as strings, as _csv_value writes the evaluator's values."""
    bases = [column.partition(".")[0] for column in columns]
    dots = [(i, _dot_key(c.partition(".")[2])) for i, c in enumerate(columns) if "." in c]
    pick = operator.itemgetter(*bases)
    single = len(bases) == 1
    record_of = org.store.record
    for index in indices.tolist():
        record = record_of(module, index)
        try:
            values = [pick(record)] if single else list(pick(record))
        except KeyError:  # a field the record lacks reads as None, as record.get gives it
            values = [record.get(base) for base in bases]
        for position, key in dots:
            value = values[position]
            if isinstance(value, dict):
                values[position] = value.get(key)
        yield [
            "" if v is None else v if v.__class__ is str else _CELL.get(v.__class__, _csv_value)(v)
            for v in values
        ]


def csv_text(cell_rows, header: list[str], rows_per_chunk: int = 2000):
    """The CSV in chunks of text, byte for byte what csv.writer(lineterminator="\\n") writes."""
    quoted = io.StringIO()
    writer = csv.writer(quoted, lineterminator="\n")
    separators = len(header) - 1
    lines = []
    for cells in itertools.chain([header], cell_rows):
        line = ",".join(cells)
        if not line or '"' in line or "\n" in line or "\r" in line:
            writer.writerow(cells)  # rare: let csv.writer double quotes and quote line breaks
            line = quoted.getvalue()[:-1]
            quoted.seek(0)
            quoted.truncate()
        elif line.count(",") != separators:
            # Some cells hold commas: csv.writer quotes just those, as is (no quote inside to double).
            line = ",".join([f'"{cell}"' if "," in cell else cell for cell in cells])
        lines.append(line)
        if len(lines) >= rows_per_chunk:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"
