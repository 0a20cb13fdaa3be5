"""The control API (/_simulator/..., on the API server) and `ControlClient`, its small Python client.

Tests and benchmarks use it to change the org (records, custom fields), move the clock, read the
request log and credits, and choose faults. It is deliberately apart from Zoho's paths and rules.
"""

from __future__ import annotations

import requests

from zoho_pipeline.simulator import records, schema
from zoho_pipeline.simulator.server import Request, Response


class ControlApi:
    """Server side of /_simulator/..."""

    def __init__(self, simulation) -> None:
        self.sim = simulation

    def handle(self, request: Request) -> Response:
        parts = [part for part in request.path.split("/") if part][1:]
        try:
            return self._route(request.method, parts, request)
        except KeyError as error:
            return Response.json(404, {"error": f"not found: {error}"})
        except (ValueError, TypeError) as error:
            return Response.json(400, {"error": str(error)})

    def _org(self, org_id: str):
        if org_id == "default":
            return self.sim.org
        return self.sim.orgs[org_id]

    def _route(self, method: str, parts: list[str], request: Request) -> Response:
        sim = self.sim
        body = request.json() or {}
        if parts == ["clock"]:
            if method == "POST":
                sim.clock.advance(float(body.get("advance", 0)))
            return Response.json(200, {"now": sim.clock.now()})
        if parts == ["requests"]:
            if method == "DELETE":
                sim.reset_log()
                return Response.json(200, {"ok": True})
            entries = sim.requests(org_id=request.query.get("org_id"), path=request.query.get("path"))
            return Response.json(200, {"requests": entries})
        if parts == ["faults"]:
            if method in ("PUT", "POST"):
                faults = body.get("faults", body if isinstance(body, list) else [])
                (sim.faults.set if method == "PUT" else lambda specs: [sim.faults.add(s) for s in specs])(
                    faults
                )
            elif method == "DELETE":
                sim.faults.clear()
            return Response.json(200, {"faults": sim.faults.describe()})
        if parts == ["revoke"] and method == "POST":
            return Response.json(200, sim.accounts.revoke(body["token"]))
        if parts == ["orgs"]:
            return Response.json(200, {"orgs": [org_summary(org) for org in sim.orgs.values()]})
        if len(parts) >= 2 and parts[0] == "orgs":
            return self._org_route(method, self._org(parts[1]), parts[2:], body, request)
        raise KeyError(request.path)

    def _org_route(self, method: str, org, parts: list[str], body: dict, request: Request) -> Response:
        sim = self.sim
        now = sim.clock.now_int()
        if parts == [] and method == "GET":
            return Response.json(200, org_summary(org))
        if parts == ["credits"]:
            if method == "POST":
                org.credits.charge(int(body.get("spend", 0)))
            return Response.json(
                200,
                {
                    "used": org.credits.used(),
                    "allowance": org.credits.allowance,
                    "lifetime": org.credits.lifetime,
                },
            )
        if parts == ["refresh_tokens"] and method == "POST":
            scopes = body.get("scopes") or None
            if scopes:
                refresh = sim.accounts.issue_refresh_token(org.client_id, scopes)
            else:
                refresh = sim.accounts.issue_refresh_token(org.client_id)
            return Response.json(200, {"refresh_token": refresh.token})
        if parts == ["page_tokens", "expire"] and method == "POST":
            records.expire_page_tokens(org)
            return Response.json(200, {"ok": True})
        if len(parts) == 2 and parts[0] == "fields" and method == "POST":
            module = _module(org, parts[1])
            data_type = body.get("data_type", "text")
            if data_type not in schema.CUSTOM_FIELD_TYPES:
                raise ValueError(f"data_type must be one of {', '.join(schema.CUSTOM_FIELD_TYPES)}")
            api_name = body["api_name"]
            if org.store.modules[module].field(api_name):
                raise ValueError(f"{module} already has a field {api_name}")
            field_def = schema.FieldDef(
                api_name,
                body.get("field_label") or api_name.replace("_", " "),
                data_type,
                custom=True,
                picklist=tuple(body.get("picklist") or ()),
            )
            org.store.add_custom_field(module, field_def, body.get("fill", "values") == "values")
            return Response.json(
                200,
                {
                    "field": {
                        "api_name": api_name,
                        "data_type": data_type,
                        "id": org.field_id(module, api_name),
                    }
                },
            )
        if len(parts) >= 2 and parts[0] == "records":
            module = _module(org, parts[1])
            if len(parts) == 2 and method == "POST":
                record = org.store.create(module, body.get("values", body), now)
                return Response.json(200, {"record": record})
            if len(parts) == 3:
                index = org.store.index_of(module, parts[2])
                if index is None:
                    raise KeyError(parts[2])
                if method == "GET":
                    return Response.json(
                        200,
                        {
                            "record": org.store.record(module, index),
                            "alive": org.store.is_alive(module, index),
                        },
                    )
                if method == "PATCH":
                    return Response.json(
                        200, {"record": org.store.update(module, index, body.get("values", body), now)}
                    )
                if method == "DELETE":
                    permanent = request.query.get("permanent", "false").lower() == "true"
                    org.store.delete(module, index, now, permanent=permanent)
                    return Response.json(200, {"ok": True})
        raise KeyError("/".join(parts))


def _module(org, name: str) -> str:
    if name not in org.store.modules:
        raise KeyError(name)
    return name


def org_summary(org) -> dict:
    return {
        "org_id": org.org_id,
        "name": org.name,
        "seed": org.seed,
        "edition": org.edition,
        "counts": org.counts,
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "refresh_token": org.refresh_token,
    }


class ControlClient:
    """Python client for the control API; `org` defaults to the simulator's first org."""

    def __init__(self, api_domain: str, session: requests.Session | None = None) -> None:
        self.base = f"{api_domain}/_simulator"
        self.http = session or requests.Session()

    def _call(self, method: str, path: str, json=None, params=None) -> dict:
        response = self.http.request(method, f"{self.base}{path}", json=json, params=params, timeout=30)
        if response.status_code >= 400:
            raise RuntimeError(f"control API {method} {path}: {response.status_code} {response.text}")
        return response.json()

    @staticmethod
    def _org(org) -> str:
        if org is None:
            return "default"
        return org if isinstance(org, str) else org.org_id

    # records
    def create_record(self, module: str, values: dict, org=None) -> dict:
        return self._call("POST", f"/orgs/{self._org(org)}/records/{module}", {"values": values})["record"]

    def update_record(self, module: str, record_id: str, values: dict, org=None) -> dict:
        return self._call(
            "PATCH", f"/orgs/{self._org(org)}/records/{module}/{record_id}", {"values": values}
        )["record"]

    def delete_record(self, module: str, record_id: str, permanent: bool = False, org=None) -> None:
        self._call(
            "DELETE",
            f"/orgs/{self._org(org)}/records/{module}/{record_id}",
            params={"permanent": str(permanent).lower()},
        )

    def get_record(self, module: str, record_id: str, org=None) -> dict:
        return self._call("GET", f"/orgs/{self._org(org)}/records/{module}/{record_id}")

    def add_custom_field(
        self,
        module: str,
        api_name: str,
        data_type: str = "text",
        picklist=None,
        fill: str = "values",
        field_label: str | None = None,
        org=None,
    ) -> dict:
        """fill="values" gives existing records generated values; fill="null" leaves them null."""
        body = {
            "api_name": api_name,
            "data_type": data_type,
            "picklist": list(picklist or ()),
            "fill": fill,
            "field_label": field_label,
        }
        return self._call("POST", f"/orgs/{self._org(org)}/fields/{module}", body)["field"]

    # clock
    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "/clock", {"advance": seconds})["now"]

    def now(self) -> float:
        return self._call("GET", "/clock")["now"]

    # request log and credits
    def requests(self, org=None, path: str | None = None) -> list[dict]:
        params = {}
        if org is not None:
            params["org_id"] = self._org(org)
        if path:
            params["path"] = path
        return self._call("GET", "/requests", params=params)["requests"]

    def reset_requests(self) -> None:
        self._call("DELETE", "/requests")

    def credits(self, org=None) -> dict:
        return self._call("GET", f"/orgs/{self._org(org)}/credits")

    def credits_used(self, org=None) -> int:
        return self.credits(org)["used"]

    def spend_credits(self, credits: int, org=None) -> dict:
        return self._call("POST", f"/orgs/{self._org(org)}/credits", {"spend": credits})

    # faults
    def set_faults(self, faults: list[dict]) -> list[dict]:
        return self._call("PUT", "/faults", {"faults": faults})["faults"]

    def add_faults(self, faults: list[dict]) -> list[dict]:
        return self._call("POST", "/faults", {"faults": faults})["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["faults"]

    # tokens
    def revoke(self, refresh_token: str) -> dict:
        return self._call("POST", "/revoke", {"token": refresh_token})

    def issue_refresh_token(self, scopes: list[str] | None = None, org=None) -> str:
        return self._call("POST", f"/orgs/{self._org(org)}/refresh_tokens", {"scopes": scopes})[
            "refresh_token"
        ]

    def expire_page_tokens(self, org=None) -> None:
        self._call("POST", f"/orgs/{self._org(org)}/page_tokens/expire")

    def orgs(self) -> list[dict]:
        return self._call("GET", "/orgs")["orgs"]
