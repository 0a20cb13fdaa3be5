"""The CRM API server (/crm/v8/..., /crm/bulk/v8/...): authentication, limits, faults, routing, request log.

The control API (/_simulator/...) shares this server but none of Zoho's rules.
"""

from __future__ import annotations

import time

from zoho_pipeline.simulator import bulk, coql, metadata, records
from zoho_pipeline.simulator.accounts import AccessToken, scope_allows
from zoho_pipeline.simulator.errors import (
    ZohoError,
    internal_error,
    invalid_module,
    invalid_url,
    scope_mismatch,
    too_many_requests,
)
from zoho_pipeline.simulator.faults import Fault
from zoho_pipeline.simulator.limits import CONCURRENCY
from zoho_pipeline.simulator.org import Org
from zoho_pipeline.simulator.records import Page
from zoho_pipeline.simulator.server import Drop, Hang, Request, Response

API_PREFIX = "/crm/v8/"
BULK_PREFIX = "/crm/bulk/v8/read"


class CrmApi:
    """Answers CRM calls for every org of a simulator (the access token says which org)."""

    def __init__(self, simulation) -> None:
        self.sim = simulation

    def handle(self, request: Request):
        if request.path.startswith("/_simulator/"):
            return self.sim.control_api.handle(request)
        started = time.perf_counter()
        entry = {
            "time": self.sim.clock.now(),
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "org_id": None,
            "status": None,
            "records": 0,
            "credits": 0,
        }
        try:
            answer = self._answer(request, entry)
        except ZohoError as error:
            answer = Response.json(error.status, error.body())
        except Exception:  # a simulator bug must still look like Zoho's 500, and be visible in the log
            import traceback

            entry["error"] = traceback.format_exc()
            answer = Response.json(500, internal_error().body())
        entry["status"] = answer.status if isinstance(answer, Response) else type(answer).__name__.lower()
        entry["duration"] = round(time.perf_counter() - started, 6)
        self.sim.log(entry)
        return answer

    def _answer(self, request: Request, entry: dict):
        if not (request.path.startswith(API_PREFIX) or request.path.startswith(BULK_PREFIX)):
            raise invalid_url()
        fault = self.sim.faults.pick(request.method, request.path, request.query)
        if fault and fault.kind in ("drop", "timeout"):
            return Drop() if fault.kind == "drop" else Hang(fault.seconds)
        access = self.sim.accounts.authenticate(request.header("authorization"))
        org = self.sim.orgs[access.org_id]
        entry["org_id"] = org.org_id
        if fault:
            self._pre_fault(fault, access, org)
        org.credits.check()
        complex_call = "sort_by" in request.query or "cvid" in request.query or request.path.endswith("/coql")
        gate_key = (org.org_id, access.client_id)
        self.sim.gate.enter(gate_key, CONCURRENCY.get(org.edition, 20), complex_call)
        try:
            if fault and fault.kind == "slow":
                self.sim.stopping.wait(fault.seconds)
            page = self._route(request, access, org)
        finally:
            self.sim.gate.leave(gate_key, complex_call)
        if page.status < 400:
            org.credits.charge(page.credits)  # guessed: only answered calls (2xx/304) cost credits
            entry["credits"] = page.credits
        entry["records"] = page.records
        headers = {}
        remaining = org.credits.remaining_header()
        if remaining is not None:
            headers["X-API-CREDITS-REMAINING"] = remaining
        if isinstance(page, bulk.FilePage):
            return Response(page.status, page.body, {**page.headers, **headers})
        if page.payload is None:
            return Response.empty(page.status, headers)
        response = Response.json(page.status, page.payload, headers)
        if fault and fault.kind == "malformed_json":
            response.body = response.body[: max(len(response.body) // 2, 1)] + b"<html>"
        if fault and fault.kind == "cut_off":
            response.cut_after = len(response.body) // 2
        return response

    def _pre_fault(self, fault: Fault, access: AccessToken, org: Org) -> None:
        kind = fault.kind
        if kind == "too_many_requests":
            raise too_many_requests("Number of API requests for the 24 hour period is exceeded")
        if kind == "internal_error":
            raise internal_error()
        if kind == "invalid_token":
            self.sim.accounts.invalidate(access)  # this token stops working from now on
            raise ZohoError(401, "INVALID_TOKEN", "invalid oauth token")
        if kind == "revoke_refresh_token":
            if access.refresh is not None:
                self.sim.accounts.revoke(access.refresh.token)
            raise ZohoError(401, "INVALID_TOKEN", "invalid oauth token")
        if kind == "scope_mismatch":
            raise scope_mismatch()
        if kind == "expired_page_token":
            records.expire_page_tokens(org)
            raise records.expired_page_token()

    # -- routing ----------------------------------------------------------------------------------------

    def _route(self, request: Request, access: AccessToken, org: Org) -> Page:
        if request.path.startswith(BULK_PREFIX):
            return bulk.route(self.sim, request, access, org)
        parts = [part for part in request.path[len(API_PREFIX) :].split("/") if part]
        method = request.method
        query = request.query
        if not parts:
            raise invalid_url()
        head = parts[0]
        if head == "settings" and method == "GET":
            return self._settings(parts[1:], query, access, org)
        if head == "org" and len(parts) == 1 and method == "GET":
            need(access, "ZohoCRM.org.READ")
            return metadata.org_info(org)
        if head == "users" and len(parts) == 1 and method == "GET":
            need(access, "ZohoCRM.users.READ")
            return metadata.users(org)
        if head == "coql" and len(parts) == 1:
            if method != "POST":
                raise ZohoError(
                    400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
                )
            need(access, "ZohoCRM.coql.READ")
            return coql.run(org, request.json() if request.body else None, access)
        module = head
        if module not in org.store.modules:
            raise invalid_module()
        if method != "GET":
            raise ZohoError(400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one")
        need_module(access, module)
        ims = request.header("if-modified-since")
        if len(parts) == 1:
            return records.list_records(
                org, module, query, ims, self.sim.clock.now(), self.sim.page_token_cap
            )
        if len(parts) == 2 and parts[1] == "deleted":
            return records.deleted_records(org, module, query, ims)
        if len(parts) == 3 and parts[1:] == ["actions", "count"]:
            return records.record_count(org, module)
        if len(parts) == 2:
            return records.one_record(org, module, parts[1], query)
        if len(parts) == 3 and parts[2] == "Notes":
            need_module(access, "Notes")
            return records.notes_of_record(org, module, parts[1], query)
        raise invalid_url()

    def _settings(self, parts: list[str], query: dict[str, str], access: AccessToken, org: Org) -> Page:
        if parts == ["modules"]:
            need(access, "ZohoCRM.settings.modules.READ")
            return metadata.modules(org)
        if len(parts) == 2 and parts[0] == "modules":
            need(access, "ZohoCRM.settings.modules.READ")
            return metadata.one_module(org, parts[1])
        if parts == ["fields"]:
            need(access, "ZohoCRM.settings.fields.READ")
            return metadata.fields(org, query)
        if parts == ["layouts"]:
            need(access, "ZohoCRM.settings.layouts.READ")
            return metadata.layouts(org, query)
        if parts == ["pipeline"]:
            need(access, "ZohoCRM.settings.pipeline.READ")
            return metadata.pipeline(org, query)
        raise invalid_url()


def need(access: AccessToken, scope: str) -> None:
    if not scope_allows(access.scopes, scope):
        raise scope_mismatch()


def need_module(access: AccessToken, module: str) -> None:
    need(access, f"ZohoCRM.modules.{module.lower()}.READ")
