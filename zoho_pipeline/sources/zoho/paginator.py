"""Zoho's paging as one dlt paginator: `info.next_page_token` whenever Zoho gives one, else `page`.

Record lists give a token from the first page on; the walk follows it rather than `page=2, 3, …`.
A page number is an offset: a record edited during the walk moves from the pages already read to the
end, every later record moves up one place, and the page after would skip one (lost for good once
the cursor has passed it). A token continues after the last record served. Endpoints without tokens
(`/deleted`) page by number, 1-10 (2,000 records). A token reaches 100,000 records (the walk restarts
from the cursor then: see `client.ZohoClient.walk_records`). `more_records: false` ends the walk;
204/304 mean no data.
"""
from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response

from zoho_pipeline.sources.zoho import settings


def response_json(response: Response) -> Any:
    """The parsed body, parsed once per response (the client parses with orjson and keeps it)."""
    return getattr(response, "zoho_json", None)


class ZohoPaginator(BasePaginator):
    """`page_token` from `info.next_page_token` when there is one, else `page=1..max_page`; stops on
    `more_records: false`."""

    def __init__(self, max_page: int = settings.MAX_DISCRETE_PAGE) -> None:
        super().__init__()
        self.max_page = max_page
        self.page = 1
        self.page_token: str | None = None
        self.records_seen = 0

    def init_request(self, request: Request) -> None:
        request.params = dict(request.params or {})
        request.params.pop("page_token", None)
        request.params["page"] = self.page

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = response_json(response) or {}
        info = body.get("info") or {}
        self.records_seen += len(data or ())
        if not info.get("more_records"):
            self._has_next_page = False
            return
        token = info.get("next_page_token")
        if token:
            self.page_token = token
        elif self.page_token is None and self.page < self.max_page:
            self.page += 1
        else:
            # past page `max_page` Zoho only pages by token: without one the walk cannot go on
            self._has_next_page = False
            self.stopped_without_token = True

    def update_request(self, request: Request) -> None:
        request.params = dict(request.params or {})
        if self.page_token is not None:
            request.params.pop("page", None)
            request.params["page_token"] = self.page_token
        else:
            request.params["page"] = self.page

    def __str__(self) -> str:
        return f"ZohoPaginator(page={self.page}, page_token={'set' if self.page_token else None})"
