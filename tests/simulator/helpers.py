"""Small helpers for simulator tests: tokens and an authorised session."""

from __future__ import annotations

import json
from pathlib import Path

import requests

# The schemas the tests check against, excerpted from Zoho's OpenAPI files for v8
# (../shared/reference/zoho-crm-oas-v8/) so the tests run wherever the repo is cloned.
OAS_SCHEMAS = Path(__file__).resolve().parent / "zoho_oas_v8_schemas.json"


def refresh(sim, org=None, refresh_token: str | None = None) -> dict:
    org = org or sim.org
    response = requests.post(
        f"{sim.accounts_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": org.client_id,
            "client_secret": org.client_secret,
            "refresh_token": refresh_token or org.refresh_token,
        },
    )
    assert response.status_code == 200
    return response.json()


def session(sim, org=None, refresh_token: str | None = None) -> requests.Session:
    """A session whose Authorization header carries a fresh access token."""
    token = refresh(sim, org, refresh_token)["access_token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Zoho-oauthtoken {token}"
    http.base = sim.api_domain  # type: ignore[attr-defined]
    return http


def get(http: requests.Session, path: str, **kwargs) -> requests.Response:
    return http.get(f"{http.base}{path}", timeout=30, **kwargs)


def all_fields(sim, module: str, org=None) -> str:
    org = org or sim.org
    return ",".join(f.api_name for f in org.store.modules[module].fields)


def oas_schema(file: str, name: str) -> dict:
    """`components.schemas[name]` of Zoho's OpenAPI file `file`."""
    return json.loads(OAS_SCHEMAS.read_text())["files"][file][name]


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert body["status"] == "error" and body["code"] == code, body
    return body
