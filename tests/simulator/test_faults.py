"""Every fault kind, scripted and at a rate."""

from __future__ import annotations

import pytest
import requests

from tests.simulator.helpers import assert_error, get, refresh, session

LIST = "/crm/v8/Contacts"
PARAMS = {"fields": "Email", "per_page": 10}


def test_next_three_gets_answer_429_then_normal(simulator):
    simulator.control.set_faults([{"kind": "429", "path": LIST, "method": "GET", "count": 3}])
    http = session(simulator)
    statuses = [get(http, LIST, params=PARAMS).status_code for _ in range(4)]
    assert statuses == [429, 429, 429, 200]
    assert get(http, "/crm/v8/Deals", params={"fields": "Stage"}).status_code == 200


def test_internal_error_envelope(simulator):
    simulator.control.set_faults([{"kind": "500", "path": "/crm/v8/*"}])
    body = assert_error(get(session(simulator), LIST, params=PARAMS), 500, "INTERNAL_ERROR")
    assert body["details"] == {}


def test_malformed_json_on_second_page(simulator):
    simulator.control.set_faults([{"kind": "malformed_json", "path": LIST, "after": 1}])
    http = session(simulator)
    first = get(http, LIST, params=PARAMS)
    first.json()
    second = get(http, LIST, params={**PARAMS, "page_token": first.json()["info"]["next_page_token"]})
    assert second.status_code == 200
    with pytest.raises(ValueError):
        second.json()


def test_slow_and_timeout(simulator):
    http = session(simulator)
    simulator.control.set_faults([{"kind": "slow", "seconds": 0.3}])
    response = get(http, LIST, params=PARAMS)
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3
    simulator.control.set_faults([{"kind": "timeout", "seconds": 3}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{simulator.api_domain}{LIST}", params=PARAMS, timeout=0.5)


def test_dropped_connection(simulator):
    simulator.control.set_faults([{"kind": "drop", "path": LIST}])
    http = session(simulator)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(http, LIST, params=PARAMS)
    assert get(http, LIST, params=PARAMS).status_code == 200


def test_invalid_token_mid_run_then_refresh_works(simulator):
    http = session(simulator)
    assert get(http, LIST, params=PARAMS).status_code == 200
    simulator.control.set_faults([{"kind": "invalid_token"}])
    assert_error(get(http, LIST, params=PARAMS), 401, "INVALID_TOKEN")
    assert_error(get(http, LIST, params=PARAMS), 401, "INVALID_TOKEN")  # the token stays dead
    assert get(session(simulator), LIST, params=PARAMS).status_code == 200


def test_expired_page_token_fault(simulator):
    http = session(simulator)
    token = get(http, LIST, params=PARAMS).json()["info"]["next_page_token"]
    simulator.control.set_faults([{"kind": "expired_page_token"}])
    assert get(http, "/crm/v8/Deals", params={"fields": "Stage"}).status_code == 200  # no token: untouched
    assert_error(get(http, LIST, params={**PARAMS, "page_token": token}), 400, "EXPIRED_VALUE")


def test_scope_mismatch_and_revoked_refresh_token(simulator):
    http = session(simulator)
    simulator.control.set_faults(
        [
            {"kind": "scope_mismatch", "path": "/crm/v8/Cases"},
            {"kind": "revoke_refresh_token", "path": "/crm/v8/Deals"},
        ]
    )
    assert_error(get(http, "/crm/v8/Cases", params={"fields": "Status"}), 401, "OAUTH_SCOPE_MISMATCH")
    assert get(http, LIST, params=PARAMS).status_code == 200
    assert_error(get(http, "/crm/v8/Deals", params={"fields": "Stage"}), 401, "INVALID_TOKEN")
    assert refresh(simulator) == {"error": "invalid_code"}


def test_rate_faults_are_seeded(make_simulator):
    def run():
        sim = make_simulator(faults=[{"kind": "500", "rate": 0.3, "seed": 5}])
        http = session(sim)
        return [get(http, LIST, params=PARAMS).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert 3 <= first.count(500) <= 18 and first.count(200) > 0


def test_faults_on_the_token_endpoint(simulator):
    simulator.control.set_faults([{"kind": "500", "path": "/oauth/v2/token"}])
    org = simulator.org
    response = requests.post(
        f"{simulator.accounts_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": org.client_id,
            "client_secret": org.client_secret,
            "refresh_token": org.refresh_token,
        },
    )
    assert response.status_code == 500
    assert "access_token" in refresh(simulator)


def test_cli_fault_syntax():
    from zoho_pipeline.simulator.faults import parse_faults

    specs = parse_faults("429:rate=0.05:seed=1,500:path=/crm/v8/Deals:count=2,slow:seconds=0.5")
    assert specs == [
        {"kind": "429", "rate": 0.05, "seed": 1},
        {"kind": "500", "path": "/crm/v8/Deals", "count": 2},
        {"kind": "slow", "seconds": 0.5},
    ]
    with pytest.raises(ValueError):
        parse_faults("explode")
