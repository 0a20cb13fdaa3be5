"""Accounts server: grants, Zoho's error style, throttle, expiry, revocation, scopes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from tests.simulator.helpers import assert_error, get, refresh, session

TOKEN = re.compile(r"^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$")


def _authorize(sim, scope: str, access_type: str = "offline") -> str:
    response = requests.get(
        f"{sim.accounts_url}/oauth/v2/auth",
        params={
            "client_id": sim.org.client_id,
            "response_type": "code",
            "redirect_uri": "http://localhost/cb",
            "scope": scope,
            "access_type": access_type,
            "state": "xyz",
        },
        allow_redirects=False,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.netloc == "localhost" and location.path == "/cb"
    assert params["state"] == "xyz" and params["location"] == "us"
    assert params["accounts-server"] == sim.accounts_url
    return params["code"]


def _exchange(sim, code: str, as_query: bool = False) -> dict:
    params = {
        "grant_type": "authorization_code",
        "client_id": sim.org.client_id,
        "client_secret": sim.org.client_secret,
        "redirect_uri": "http://localhost/cb",
        "code": code,
    }
    url = f"{sim.accounts_url}/oauth/v2/token"
    response = requests.post(url, params=params) if as_query else requests.post(url, data=params)
    assert response.status_code == 200
    return response.json()


def test_authorization_code_grant_gives_zoho_shaped_tokens(simulator):
    code = _authorize(simulator, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL")
    body = _exchange(simulator, code, as_query=True)  # Airbyte sends the params as a query string
    assert TOKEN.match(body["access_token"]) and TOKEN.match(body["refresh_token"])
    assert body["api_domain"] == simulator.api_domain
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    # A grant code works once.
    assert _exchange(simulator, code) == {"error": "invalid_code"}


def test_online_access_gives_no_refresh_token(simulator):
    body = _exchange(simulator, _authorize(simulator, "ZohoCRM.modules.ALL", access_type="online"))
    assert "access_token" in body and "refresh_token" not in body


def test_grant_code_expires_after_two_minutes(simulator):
    code = _authorize(simulator, "ZohoCRM.modules.ALL")
    simulator.control.advance_clock(121)
    assert _exchange(simulator, code) == {"error": "invalid_code"}


def test_refresh_grant_and_errors_are_http_200(simulator):
    body = refresh(simulator)
    assert set(body) >= {"access_token", "api_domain", "token_type", "expires_in"}
    assert "refresh_token" not in body
    url = f"{simulator.accounts_url}/oauth/v2/token"
    org = simulator.org
    bad_secret = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": org.client_id,
            "client_secret": "nope",
            "refresh_token": org.refresh_token,
        },
    )
    assert bad_secret.status_code == 200 and bad_secret.json() == {"error": "invalid_client"}
    bad_token = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": org.client_id,
            "client_secret": org.client_secret,
            "refresh_token": "1000.x.y",
        },
    )
    assert bad_token.status_code == 200 and bad_token.json() == {"error": "invalid_code"}


def test_multipart_form_body_is_accepted(simulator):
    org = simulator.org
    response = requests.post(
        f"{simulator.accounts_url}/oauth/v2/token",
        files={
            "grant_type": (None, "refresh_token"),
            "client_id": (None, org.client_id),
            "client_secret": (None, org.client_secret),
            "refresh_token": (None, org.refresh_token),
        },
    )
    assert "access_token" in response.json()


def test_ten_tokens_per_refresh_token_per_ten_minutes(simulator):
    for _ in range(10):
        assert "access_token" in refresh(simulator)
    denied = refresh(simulator)
    assert denied["error"] == "Access Denied" and denied["status"] == "failure"
    assert "too many requests" in denied["error_description"]
    simulator.control.advance_clock(601)
    assert "access_token" in refresh(simulator)


def test_sixteenth_access_token_invalidates_the_oldest(simulator):
    tokens = []
    for _ in range(16):
        tokens.append(refresh(simulator)["access_token"])
        simulator.control.advance_clock(61)  # stay under the 10-per-10-minutes throttle
    headers = {"Authorization": f"Zoho-oauthtoken {tokens[0]}"}
    assert_error(requests.get(f"{simulator.api_domain}/crm/v8/org", headers=headers), 401, "INVALID_TOKEN")
    headers = {"Authorization": f"Zoho-oauthtoken {tokens[1]}"}
    assert requests.get(f"{simulator.api_domain}/crm/v8/org", headers=headers).status_code == 200


def test_access_token_expires_on_the_simulator_clock(make_simulator):
    sim = make_simulator(token_ttl=60)
    assert refresh(sim)["expires_in"] == 60
    http = session(sim)
    assert get(http, "/crm/v8/org").status_code == 200
    sim.control.advance_clock(61)
    assert_error(get(http, "/crm/v8/org"), 401, "INVALID_TOKEN")


def test_revoke_kills_refresh_token_and_its_access_tokens(simulator):
    http = session(simulator)
    response = requests.post(
        f"{simulator.accounts_url}/oauth/v2/token/revoke", params={"token": simulator.org.refresh_token}
    )
    assert response.json() == {"status": "success"}
    assert_error(get(http, "/crm/v8/org"), 401, "INVALID_TOKEN")
    assert refresh(simulator) == {"error": "invalid_code"}


def test_bearer_header_accepted_and_missing_header_rejected(simulator):
    token = refresh(simulator)["access_token"]
    ok = requests.get(f"{simulator.api_domain}/crm/v8/org", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert_error(requests.get(f"{simulator.api_domain}/crm/v8/org"), 401, "AUTHENTICATION_FAILURE")


def test_token_without_module_scope_gets_scope_mismatch(simulator):
    code = _authorize(simulator, "ZohoCRM.modules.contacts.READ,ZohoCRM.settings.fields.READ")
    token = _exchange(simulator, code)["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    base = simulator.api_domain
    assert (
        requests.get(f"{base}/crm/v8/Contacts", params={"fields": "Email"}, headers=headers).status_code
        == 200
    )
    assert_error(
        requests.get(f"{base}/crm/v8/Deals", params={"fields": "Stage"}, headers=headers),
        401,
        "OAUTH_SCOPE_MISMATCH",
    )
    assert_error(
        requests.get(f"{base}/crm/v8/settings/modules", headers=headers), 401, "OAUTH_SCOPE_MISMATCH"
    )
    assert (
        requests.get(
            f"{base}/crm/v8/settings/fields", params={"module": "Deals"}, headers=headers
        ).status_code
        == 200
    )


def test_control_api_issues_refresh_tokens_with_chosen_scopes(simulator):
    limited = simulator.control.issue_refresh_token(["ZohoCRM.modules.deals.READ"])
    http = session(simulator, refresh_token=limited)
    assert get(http, "/crm/v8/Deals", params={"fields": "Stage"}).status_code == 200
    assert_error(get(http, "/crm/v8/Contacts", params={"fields": "Email"}), 401, "OAUTH_SCOPE_MISMATCH")


def test_ten_grant_codes_per_client_per_ten_minutes(simulator):
    for _ in range(10):
        _authorize(simulator, "ZohoCRM.modules.ALL")
    response = requests.get(
        f"{simulator.accounts_url}/oauth/v2/auth",
        params={
            "client_id": simulator.org.client_id,
            "response_type": "code",
            "redirect_uri": "http://localhost/cb",
            "scope": "ZohoCRM.modules.ALL",
            "state": "s",
        },
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s"],
    }


def test_twenty_first_refresh_token_invalidates_the_first(simulator):
    for round_ in range(20):
        _exchange(simulator, _authorize(simulator, "ZohoCRM.modules.ALL"))
        if round_ % 9 == 8:
            simulator.control.advance_clock(601)  # the grant-code throttle
    # The default token plus 20 new ones: the default (the oldest) is gone.
    assert refresh(simulator) == {"error": "invalid_code"}
