"""Record reads: list (page / page_token / If-Modified-Since), one record, notes, deleted records, count."""

from __future__ import annotations

import secrets
from datetime import datetime
from email.utils import parsedate_to_datetime

import numpy as np

from zoho_pipeline.simulator.errors import ZohoError, invalid_param, required_param
from zoho_pipeline.simulator.generator import format_datetime
from zoho_pipeline.simulator.org import Org, PageCursor
from zoho_pipeline.simulator.preload import preloaded_page
from zoho_pipeline.simulator.store import SORT_FIELDS, View

MAX_FIELDS = 50
MAX_PER_PAGE = 200
MAX_IDS = 100  # guessed: the limit on the ids parameter
DISCRETE_LIMIT = 2000  # records reachable with `page`
PAGE_TOKEN_TTL = 86400


class Page:
    """A handler's answer: status, JSON payload (None for 204/304) and how many records it carried."""

    def __init__(self, status: int, payload=None, records: int = 0, credits: int = 1) -> None:
        self.status = status
        self.payload = payload
        self.records = records
        self.credits = credits


def parse_fields(query: dict[str, str], required: bool = True) -> list[str] | None:
    text = query.get("fields")
    if not text:
        if required:
            raise required_param("fields")
        return None
    fields = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if len(fields) > MAX_FIELDS:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "fields limit exceeded", {"limit": MAX_FIELDS, "param_name": "fields"}
        )
    return fields


def parse_instant(text: str | None, param: str) -> int | None:
    """If-Modified-Since: ISO 8601 with offset (Z accepted); RFC 1123 too.

    guessed: Zoho documents only ISO 8601; accepting RFC 1123 is lenient.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise invalid_param(param, "invalid data") from None  # guessed: 400 rather than ignoring it
    if parsed.tzinfo is None:
        raise invalid_param(param, "invalid data")  # guessed: an offset is required
    return int(parsed.timestamp())


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid_param(name) from None
    if value < low or (high is not None and value > high):
        # guessed: Zoho answers INVALID_DATA for per_page > 200 (it may also clamp silently)
        raise invalid_param(name, "invalid data", **({"maximum": high} if high else {}))
    return value


def project(record: dict, fields: list[str] | None) -> dict:
    """Only the requested fields (null ones as null) plus id; $se_module rides along with What_Id.

    `fields` must already be filtered by known_fields (guessed: unknown names are ignored, not rejected).
    """
    if fields is None:
        return record
    out = {name: record.get(name) for name in fields}
    if "What_Id" in out and "$se_module" in record:
        out["$se_module"] = record["$se_module"]
    out["id"] = record["id"]
    return out


def known_fields(org: Org, module: str, fields: list[str]) -> list[str]:
    """The requested fields the module has, in the module's own order (guessed: Zoho's answers do
    not follow the order of `fields`), then any `$` names; `id` is left to project(), which puts it last."""
    requested = set(fields)
    defined = [
        f.api_name for f in org.store.modules[module].fields if f.api_name in requested and f.api_name != "id"
    ]
    return defined + [name for name in fields if name.startswith("$")]  # no defined field starts with $


def list_records(
    org: Org,
    module: str,
    query: dict[str, str],
    if_modified_since: str | None,
    now: float,
    page_token_cap: int,
) -> Page:
    """GET /crm/v8/{Module} and GET /crm/v8/Notes."""
    fields = parse_fields(query)
    per_page = _int_param(query, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    sort_by = query.get("sort_by") or "id"
    if sort_by not in SORT_FIELDS:
        raise invalid_param("sort_by", "invalid data", supported_values=list(SORT_FIELDS))
    # guessed: Notes list oldest first by default (the v7 notes sample shows sort_order asc)
    sort_order = query.get("sort_order") or ("asc" if module == "Notes" else "desc")
    if sort_order not in ("asc", "desc"):
        raise invalid_param("sort_order", "invalid data", supported_values=["asc", "desc"])
    if "page" in query and "page_token" in query:
        raise ZohoError(
            400,
            "AMBIGUITY_DURING_PROCESSING",
            "ambiguity while processing the request",
            {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
        )
    if "cvid" in query and "sort_by" in query:
        raise ZohoError(
            400,
            "AMBIGUITY_DURING_PROCESSING",
            "ambiguity while processing the request",
            {"ambiguity_due_to": [{"param_name": "cvid"}, {"param_name": "sort_by"}]},
        )
    if "cvid" in query:
        # guessed: the simulated org has no custom views, so every cvid is unknown
        raise invalid_param("cvid", "invalid cvid")
    modified_since = parse_instant(if_modified_since, "If-Modified-Since")
    # The token is bound to everything that shapes the walk, the If-Modified-Since header included
    # (guessed: the reference marks the header binding unconfirmed).
    binding = (
        module,
        tuple(fields),
        per_page,
        sort_by,
        sort_order,
        modified_since,
        query.get("cvid"),
        query.get("ids"),
    )
    store = org.store.stores[module]
    view = store.view(sort_by, sort_order == "desc", modified_since)
    if query.get("ids"):
        view = _only_ids(org, module, view, query["ids"])
    previous_token = query.get("page_token")
    if previous_token is not None:
        cursor = org.page_tokens.get(previous_token)
        if cursor is None or cursor.org_id != org.org_id:
            raise invalid_param("page_token", "invalid data")  # another user's (org's) or unknown token
        if cursor.expires_at <= now:
            raise expired_page_token()
        if cursor.binding != binding:
            raise ZohoError(
                400,
                "TOKEN_BOUND_DATA_MISMATCH",
                "the given page token is bound to other parameters",
                {"param_name": "page_token"},
            )
        if cursor.served >= page_token_cap:
            raise ZohoError(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                f"you can only get up to first {page_token_cap} records using page_token",
                {"param_name": "page_token"},
            )
        start = int(np.searchsorted(view.keys, cursor.last_key, side="right"))
        limit = min(per_page, page_token_cap - cursor.served)
        served_before = cursor.served
        page_number = 1  # guessed: the doc samples keep info.page at 1 on page_token responses
    else:
        page_number = _int_param(query, "page", 1, 1, None)
        start = (page_number - 1) * per_page
        if start >= DISCRETE_LIMIT:
            raise ZohoError(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                "You can only get the first 2000 records without using page_token param",
                {"limit": DISCRETE_LIMIT},
            )
        limit = min(per_page, DISCRETE_LIMIT - start)  # guessed: a page straddling record 2000 is cut there
        served_before = start
    indices = view.indices[start : start + limit]
    if len(indices) == 0:
        # Nothing (more) to show: 304 when the client asked "modified since", else 204. No body either way.
        return Page(304 if modified_since is not None else 204)
    wanted = known_fields(org, module, fields)
    data = preloaded_page(org.store, module, wanted, indices)
    if data is None:
        data = [project(org.store.record(module, int(index)), wanted) for index in indices]
    end = start + len(indices)
    more = end < len(view.indices)
    next_token, expiry = None, None
    if more:
        expires_at = now + PAGE_TOKEN_TTL
        next_token = _new_page_token(
            org,
            PageCursor(
                org.org_id, binding, int(view.keys[end - 1]), served_before + len(indices), expires_at
            ),
            now,
        )
        expiry = format_datetime(int(expires_at), 330)  # guessed: shown in the org's zone (IST here)
    info = {
        "call": False,
        "per_page": per_page,
        "next_page_token": next_token,
        "count": len(data),
        "sort_by": sort_by,
        "page": page_number,
        "previous_page_token": previous_token,
        "page_token_expiry": expiry,
        "sort_order": sort_order,
        "email": False,
        "more_records": more,
    }
    return Page(200, {"data": data, "info": info}, records=len(data))


def _only_ids(org: Org, module: str, view: View, ids_text: str) -> View:
    """The `ids` parameter: only these records, in the requested order."""
    ids = [part.strip() for part in ids_text.split(",") if part.strip()]
    if len(ids) > MAX_IDS:
        raise ZohoError(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"limit": MAX_IDS, "param_name": "ids"})
    wanted = [org.store.index_of(module, record_id) for record_id in ids]
    keep = np.isin(view.indices, np.array([i for i in wanted if i is not None], dtype=np.int64))
    return View(view.keys[keep], view.indices[keep])


def expired_page_token() -> ZohoError:
    return ZohoError(
        400,
        "EXPIRED_VALUE",
        "Page token expired",
        {"api_name": "page_token", "json_path": "$.query.page_token"},
    )


def _new_page_token(org: Org, cursor: PageCursor, now: float) -> str:
    token = secrets.token_hex(32)
    with org.lock:
        if len(org.page_tokens) > 50_000:
            for key in [k for k, c in org.page_tokens.items() if c.expires_at <= now]:
                del org.page_tokens[key]
        org.page_tokens[token] = cursor
    return token


def expire_page_tokens(org: Org) -> None:
    """Used by the expired-page-token fault and tests: every outstanding token of the org expires."""
    with org.lock:
        for cursor in org.page_tokens.values():
            cursor.expires_at = 0


def one_record(org: Org, module: str, record_id: str, query: dict[str, str]) -> Page:
    """GET /crm/v8/{Module}/{id}: {"data":[record]} without info; all fields unless `fields` is given."""
    index = org.store.index_of(module, record_id)
    if index is None or not org.store.is_alive(module, index):
        return Page(204)  # guessed: an unknown or deleted id answers 204 No Content
    fields = parse_fields(query, required=False)
    record = org.store.record(module, index)
    return Page(
        200, {"data": [project(record, known_fields(org, module, fields) if fields else None)]}, records=1
    )


def notes_of_record(org: Org, module: str, record_id: str, query: dict[str, str]) -> Page:
    """GET /crm/v8/{Module}/{id}/Notes (page paging; guessed: oldest first)."""
    fields = parse_fields(query)
    index = org.store.index_of(module, record_id)
    if index is None:
        raise ZohoError(400, "INVALID_DATA", "the related id given seems to be invalid", {"id": record_id})
    per_page = _int_param(query, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(query, "page", 1, 1, None)
    notes = org.store.notes_of(module, index)
    chunk = notes[(page - 1) * per_page : page * per_page]
    if len(chunk) == 0:
        return Page(204)
    wanted = known_fields(org, "Notes", fields)
    data = [project(org.store.record("Notes", int(i)), wanted) for i in chunk]
    info = {
        "per_page": per_page,
        "count": len(data),
        "page": page,
        "more_records": page * per_page < len(notes),
    }
    return Page(200, {"data": data, "info": info}, records=len(data))


def deleted_records(org: Org, module: str, query: dict[str, str], if_modified_since: str | None) -> Page:
    """GET /crm/v8/{Module}/deleted?type=all|recycle|permanent, newest deletion first (guessed order)."""
    kind = query.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise ZohoError(
            400,
            "PATTERN_NOT_MATCHED",
            "Please check whether the input values are correct",
            {"param_name": "type"},
        )
    per_page = _int_param(query, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(query, "page", 1, 1, None)
    since = parse_instant(if_modified_since, "If-Modified-Since")
    arrays = org.store.stores[module].arrays
    mask = arrays.deleted_type > 0
    if kind == "recycle":
        mask &= arrays.deleted_type == 1
    elif kind == "permanent":
        mask &= arrays.deleted_type == 2
    if since is not None:
        mask &= arrays.deleted_time >= since
    indices = np.nonzero(mask)[0]
    order = np.lexsort((-indices, -arrays.deleted_time[indices]))
    indices = indices[order]
    chunk = indices[(page - 1) * per_page : page * per_page]
    if len(chunk) == 0:
        return Page(304 if since is not None else 204)  # guessed: 304 with the header, as for records
    data = []
    store = org.store
    for index in chunk:
        index = int(index)
        offset = store.offset_of(module, index)
        deleted_time = format_datetime(int(arrays.deleted_time[index]), offset)
        if arrays.deleted_type[index] == 2:
            data.append(
                {
                    "deleted_by": None,
                    "id": store.record_id(module, index),
                    "display_name": None,
                    "type": "permanent",
                    "created_by": None,
                    "deleted_time": deleted_time,
                }
            )
        else:
            user = org.users[store.stores[module].deleted_by.get(index, index % len(org.users))]
            creator = org.users[(index * 3) % len(org.users)]
            data.append(
                {
                    "deleted_by": {"name": user["name"], "id": user["id"]},
                    "id": store.record_id(module, index),
                    "display_name": store.lookup(module, index)["name"],
                    "type": "recycle",
                    "created_by": {"name": creator["name"], "id": creator["id"]},
                    "deleted_time": deleted_time,
                }
            )
    info = {
        "per_page": per_page,
        "count": len(data),
        "page": page,
        "more_records": page * per_page < len(indices),
    }
    return Page(200, {"data": data, "info": info}, records=len(data))


def record_count(org: Org, module: str) -> Page:
    """GET /crm/v8/{Module}/actions/count (no statistics lag in the simulator)."""
    return Page(200, {"count": org.store.alive_count(module)})
