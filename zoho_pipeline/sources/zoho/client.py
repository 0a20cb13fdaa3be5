"""HTTP to Zoho CRM through dlt's RESTClient: retries, error meaning, metadata calls and record walks.

One `ZohoClient` per import. It is shared by the source's resources, which may run in parallel
threads: every thread gets its own retrying `requests` session from dlt's `Client`; the auth object
(and its token) is shared.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import orjson
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from requests import Response

from zoho_pipeline.sources.zoho import settings
from zoho_pipeline.sources.zoho.auth import ZohoOAuth2
from zoho_pipeline.sources.zoho.errors import (  # noqa: F401 - ZohoFatalError is re-exported
    RECONNECT_HINT,
    RESUME_HINT,
    ZohoApiError,
    ZohoAuthError,
    ZohoCreditsExhausted,
    ZohoFatalError,
    ZohoScopeError,
)
from zoho_pipeline.sources.zoho.http import read_body, retrying_client
from zoho_pipeline.sources.zoho.paginator import ZohoPaginator, response_json
from zoho_pipeline.sources.zoho.raw_pages import NotARecordPage, as_dict, decode_record_page, record_keys

MALFORMED = object()  # marker: a 2xx body that is not JSON


class PageWalkInterrupted(Exception):
    """Zoho will not page further (page_token cap, expiry or binding): restart the walk from the cursor."""


class BulkUnavailable(Exception):
    """Zoho will not run a bulk read of this module for this connection (read it by REST instead)."""


class MalformedPage(Exception):
    """A page that is not JSON even after re-requesting it."""

    def __init__(self, url: str, payload: bytes) -> None:
        super().__init__(f"page is not JSON: {url}")
        self.url = url
        self.payload = payload


@dataclass
class ZohoCredentials:
    """What an import needs to talk to one Zoho account."""

    client_id: str
    client_secret: str
    refresh_token: str
    accounts_url: str
    api_domain: str


@dataclass
class ApiStats:
    """API calls made and the credits Zoho reports (header X-API-CREDITS-REMAINING, when present)."""

    calls: int = 0
    credits_remaining: int | None = None
    credits_remaining_first: int | None = None
    malformed_pages: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, response: Response) -> None:
        remaining = response.headers.get("X-API-CREDITS-REMAINING")
        with self._lock:
            self.calls += 1
            if remaining is not None and remaining.strip().lstrip("-").isdigit():
                self.credits_remaining = int(remaining)
                if self.credits_remaining_first is None:
                    self.credits_remaining_first = int(remaining)

    @property
    def credits_used(self) -> int | None:
        """Credits Zoho says this import used, when it reported them at the start and at the end."""
        if self.credits_remaining_first is None or self.credits_remaining is None:
            return None
        return self.credits_remaining_first - self.credits_remaining + 1


def module_of(url: str) -> str:
    """`https://…/crm/v8/Contacts/deleted?…` -> `Contacts`."""
    path = urlparse(url).path
    rest = path.split(settings.API_PATH, 1)[-1].strip("/")
    return rest.split("/", 1)[0] if rest else ""


def parse_zoho_datetime(value: Any) -> dt.datetime | None:
    """Zoho `2024-06-05T02:04:09-07:00` -> aware UTC datetime; None when it is not a datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def format_zoho_datetime(value: dt.datetime) -> str:
    """UTC ISO 8601 with `+00:00`, second precision (the form Zoho documents for If-Modified-Since)."""
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


class ZohoRESTClient(RESTClient):
    """dlt's RESTClient reading Zoho bodies with orjson (parsed once, in the response hook)."""

    def extract_response(self, response: Response, data_selector: Any) -> list[Any]:
        body = check_response(response)
        if body is None:
            return []
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, list) else []


def check_response(response: Response) -> Any:
    """The JSON body of a successful response (None for 204/304), or the fatal error it means."""
    status = response.status_code
    if status in (204, 304):
        return None
    body = response_json(response)
    if status < 400:
        if body is MALFORMED:
            raise MalformedPage(response.url, response.content)
        return body
    raise error_for(response, body if isinstance(body, dict) else {})


def error_for(response: Response, body: dict[str, Any]) -> Exception:
    """What an error response means for the import (Zoho §9 error catalogue)."""
    status = response.status_code
    code = str(body.get("code") or "")
    where = f"{response.request.method} {urlparse(response.url).path}" if response.request else ""
    if code in ("PAGINATION_LIMIT_EXCEEDED", "EXPIRED_VALUE", "TOKEN_BOUND_DATA_MISMATCH",
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED"):
        return PageWalkInterrupted(code)
    if status == 401 and code == "OAUTH_SCOPE_MISMATCH":
        return ZohoScopeError(
            f"The Zoho connection lacks a permission needed for {where} (OAUTH_SCOPE_MISMATCH): "
            f"{RECONNECT_HINT} and grant every requested scope."
        )
    if status == 401:
        return ZohoAuthError(f"Zoho rejected the access token ({code or 'HTTP 401'}): {RECONNECT_HINT}.")
    if status == 429:
        return ZohoCreditsExhausted(
            "Zoho's API limit is used up (429 TOO_MANY_REQUESTS kept coming back): wait for credits to free "
            f"up (Zoho's window is a rolling 24 h) and {RESUME_HINT}."
        )
    if status == 403:
        return ZohoApiError(
            f"Zoho denied {where} ({code or 'HTTP 403'}): give the connected user permission to read it, "
            f"or {RECONNECT_HINT} as an administrator."
        )
    return ZohoApiError(f"Zoho answered HTTP {status} {code} for {where} after retries: {RESUME_HINT}.")


class ZohoClient:
    """Zoho CRM calls an import makes; counts calls, caches metadata per import."""

    def __init__(self, credentials: ZohoCredentials, token_cache: Any = None) -> None:
        self.credentials = credentials
        self.auth = ZohoOAuth2(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            refresh_token=credentials.refresh_token,
            accounts_url=credentials.accounts_url,
            token_cache=token_cache,
        )
        self.stats = ApiStats()
        self._http = retrying_client(self._retry_malformed, jitter=True)
        self._local = threading.local()
        self._cache: dict[tuple[str, str], Any] = {}
        self._cache_lock = threading.Lock()

    # --- transport ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        domain = self.credentials.api_domain
        if self.auth.api_domain is None and self.auth.token_cache is None:
            self.auth.current_token()  # api_domain always comes from Zoho's token response
        domain = self.auth.api_domain or domain
        return domain.rstrip("/") + settings.API_PATH

    def rest(self) -> ZohoRESTClient:
        """This thread's RESTClient (its own retrying session, the shared auth)."""
        rest = getattr(self._local, "rest", None)
        if rest is None:
            rest = self._local.rest = ZohoRESTClient(
                base_url=self.base_url, auth=self.auth, session=self._http.session
            )
        return rest

    @property
    def hooks(self) -> dict[str, list[Any]]:
        return {"response": [self._on_response]}

    @property
    def record_page_hooks(self) -> dict[str, list[Any]]:
        """`hooks` for record pages: their records stay raw JSON (raw_pages.py)."""
        return {"response": [functools.partial(self._on_response, raw_records=True)]}

    def _on_response(
        self, response: Response, *args: Any, raw_records: bool = False, **kwargs: Any
    ) -> Response:
        """Count the call, parse the body once (orjson), turn 204/304 into 'no data'."""
        self.stats.count(response)
        content = read_body(response)
        if response.status_code in (204, 304) or not content:
            response.zoho_json = None  # type: ignore[attr-defined]
            if response.status_code in (204, 304):
                raise IgnoreResponseException
            return response
        if raw_records and response.status_code < 300:
            with contextlib.suppress(NotARecordPage):  # else parsed below: malformed, or an odd shape
                response.zoho_json = decode_record_page(content)  # type: ignore[attr-defined]
                return response
        try:
            response.zoho_json = orjson.loads(content)  # type: ignore[attr-defined]
        except orjson.JSONDecodeError:
            response.zoho_json = MALFORMED  # type: ignore[attr-defined]
        return response

    def _retry_malformed(self, response: Response | None, exception: BaseException | None) -> bool:
        """dlt retry predicate: re-request a 2xx page that is not JSON; remember it as a reject."""
        if response is None or response.status_code >= 300 or response_json(response) is not MALFORMED:
            return False
        if all(page["url"] != response.url for page in self.stats.malformed_pages):  # one row per page
            self.stats.malformed_pages.append(
                {"module": module_of(response.url), "url": response.url, "payload": response.content}
            )
        return True

    def get_json(self, path: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        """One GET; the JSON body, or None when Zoho has no data (204/304)."""
        try:
            response = self.rest().get(path, params=params, headers=headers, hooks=self.hooks)
        except IgnoreResponseException:
            return None
        return check_response(response)

    # --- metadata ----------------------------------------------------------------------------------
    def _cached(self, key: tuple[str, str], load: Any) -> Any:
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def module_fields(self, module: str) -> list[dict[str, Any]]:
        """Field metadata of a module (`/settings/fields`), fetched once per import."""
        def load() -> list[dict[str, Any]]:
            body = self.get_json("/settings/fields", params={"module": module})
            return list((body or {}).get("fields") or [])

        return self._cached(("fields", module), load)

    def record_count(self, module: str) -> int | None:
        """Zoho's own record count (`/actions/count`), fetched once per import."""
        def load() -> int | None:
            body = self.get_json(f"/{module}/actions/count")
            return int(body["count"]) if isinstance(body, dict) and "count" in body else None

        return self._cached(("count", module), load)

    def deal_pipelines(self) -> list[dict[str, Any]]:
        """Deal pipelines with their stages, over every Deals layout."""
        body = self.get_json("/settings/layouts", params={"module": "Deals"})
        pipelines: list[dict[str, Any]] = []
        for layout in (body or {}).get("layouts") or []:
            found = self.get_json("/settings/pipeline", params={"layout_id": layout["id"]})
            pipelines.extend((found or {}).get("pipeline") or [])
        return pipelines

    def walk_deleted(self, module: str, since: dt.datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of deleted-record entries (`/{module}/deleted?type=all`) after `since`."""
        headers = {"If-Modified-Since": format_zoho_datetime(since)} if since else None
        for page in self.rest().paginate(
            f"/{module}/deleted", params={"type": "all", "per_page": settings.PAGE_SIZE},
            headers=headers, paginator=ZohoPaginator(), hooks=self.hooks,
        ):
            yield list(page)

    # --- bulk read (sources/zoho/bulk.py) -----------------------------------------------------------
    def _bulk_url(self, path: str) -> str:
        return self.base_url[: -len(settings.API_PATH)] + path

    def bulk_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a Bulk Read job; its details (`id`, `state`, `created_time`)."""
        response = self.rest().post(self._bulk_url(settings.BULK_PATH), json=body, hooks=self.hooks)
        try:
            answer = check_response(response)
        except ZohoScopeError as error:  # connected before bulk reads were asked for
            raise BulkUnavailable(str(error)) from error
        except ZohoApiError as error:
            if response.status_code == 400:  # e.g. MODULE_NOT_SUPPORTED: Zoho runs no job for it
                raise BulkUnavailable(str(error)) from error
            raise
        details = ((answer or {}).get("data") or [{}])[0].get("details") or {}
        if "id" not in details:
            raise ZohoApiError(f"Zoho created no bulk read job (it answered {answer!r:.200}).")
        return details

    def bulk_status(self, job_id: str) -> dict[str, Any]:
        """A Bulk Read job's details: `state`, and `result` (download_url, more_records, next_page_token)."""
        answer = self.get_json(self._bulk_url(f"{settings.BULK_PATH}/{job_id}"))
        return ((answer or {}).get("data") or [{}])[0]

    def bulk_download(self, download_url: str, target: Any) -> None:
        """Save a finished job's zip (`download_url` is a path on the API domain) to `target`."""
        response = self.rest().get(self._bulk_url(download_url), hooks={"response": [self._on_download]},
                                   stream=True)
        with response:
            if response.status_code >= 400:
                raise error_for(response, response_json(response) or {})
            with target.open("wb") as sink:
                for chunk in response.iter_content(1 << 20):
                    sink.write(chunk)

    def _on_download(self, response: Response, *args: Any, **kwargs: Any) -> Response:
        """Count the call; parse only error bodies (the result itself is a zip)."""
        self.stats.count(response)
        response.zoho_json = None  # type: ignore[attr-defined]
        if response.status_code >= 400:
            try:
                response.zoho_json = orjson.loads(response.content)  # type: ignore[attr-defined]
            except orjson.JSONDecodeError:
                pass
        return response

    # --- records -----------------------------------------------------------------------------------
    def walk_records(
        self,
        module: str,
        field_names: Sequence[str],
        since: dt.datetime | None,
        until: dt.datetime | None = None,
    ) -> Iterator[list[Any]]:
        """Pages of whole records modified after `since` (and before `until`), oldest first.

        A page's records are raw JSON (msgspec `Raw`, see raw_pages.py) when all fields come in one
        call, dicts when field batches were merged.

        All fields, asked for in batches of ≤ 50 and merged by id. When Zoho stops paging (100,000
        records per page-token walk, or an expired/mismatched token) the walk restarts from the last
        Modified_Time seen, so a module has no size limit; records of that second come twice and the
        merge on id keeps one.
        """
        batches = field_batches(field_names)
        walk_since = since
        last_seen: dt.datetime | None = None
        restarted_at: dt.datetime | None = None
        while True:
            try:
                for page in self._walk_once(module, batches, walk_since):
                    page_last = last_modified(page)
                    if page_last is not None:
                        last_seen = page_last
                    yield page
                    if until is not None and last_seen is not None and last_seen >= until:
                        return
                return
            except PageWalkInterrupted as interrupted:
                if last_seen is None or (restarted_at is not None and last_seen <= restarted_at):
                    raise ZohoApiError(
                        f"Zoho stopped paging {module} ({interrupted}) and the walk cannot move past "
                        f"{last_seen}: more records share one Modified_Time than one walk can reach."
                    ) from interrupted
                restarted_at = last_seen
                walk_since = last_seen - dt.timedelta(seconds=settings.CURSOR_OVERLAP_SECONDS)

    def _walk_once(
        self, module: str, batches: list[list[str]], since: dt.datetime | None
    ) -> Iterator[list[Any]]:
        headers = {"If-Modified-Since": format_zoho_datetime(since)} if since else None
        base = {"per_page": settings.PAGE_SIZE, "sort_by": "Modified_Time", "sort_order": "asc"}
        paginators = [ZohoPaginator() for _ in batches]
        walks = [
            self.rest().paginate(
                f"/{module}", params={**base, "fields": ",".join(batch)}, headers=headers,
                paginator=paginator, hooks=self.record_page_hooks,
            )
            for batch, paginator in zip(batches, paginators, strict=True)
        ]
        if len(walks) == 1:
            for page in walks[0]:
                yield list(page)
        else:
            parsed = [([as_dict(record) for record in page] for page in walk) for walk in walks]
            yield from merge_batches(parsed)
        if any(getattr(p, "stopped_without_token", False) for p in paginators):
            raise PageWalkInterrupted("NO_PAGE_TOKEN")


def field_batches(field_names: Sequence[str]) -> list[list[str]]:
    """Field names in batches of ≤ 50; the first batch carries the cursor fields."""
    first = ["Modified_Time", "Created_Time"]
    rest = [name for name in dict.fromkeys(field_names) if name not in first and name != "id"]
    names = first + rest
    size = settings.MAX_FIELDS_PER_CALL
    return [names[i : i + size] for i in range(0, len(names), size)]


def merge_batches(walks: list[Iterator[list[dict[str, Any]]]]) -> Iterator[list[dict[str, Any]]]:
    """Walk the field batches in lockstep and merge records by id (in the first batch's order).

    A record edited during the walk can sit on different pages in different batches; it is held
    until every batch has delivered it, and whatever is still incomplete at the end is emitted with
    the fields that arrived.
    """
    pending: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    order: list[str] = []
    for pages in itertools.zip_longest(*walks, fillvalue=()):
        for page in pages:
            for record in page:
                record_id = record.get("id")
                if record_id is None:
                    continue
                if record_id not in pending:
                    pending[record_id] = {}
                    seen[record_id] = 0
                    order.append(record_id)
                pending[record_id].update(record)
                seen[record_id] += 1
        complete = [rid for rid in order if seen[rid] >= len(walks)]
        if complete:
            done = set(complete)
            order = [rid for rid in order if rid not in done]
            yield [pending.pop(rid) for rid in complete]
            for rid in complete:
                seen.pop(rid)
        # records without id exist only in one batch: pass the first batch's through as rejects
        orphans = [r for r in (pages[0] if pages else ()) if r.get("id") is None]
        if orphans:
            yield orphans
    if order:
        yield [pending[rid] for rid in order]


def last_modified(page: list[Any]) -> dt.datetime | None:
    """The latest Modified_Time on a page sorted ascending (skipping unparseable values)."""
    for record in reversed(page):
        parsed = parse_zoho_datetime(record_keys(record).Modified_Time)
        if parsed is not None:
            return parsed
    return None

