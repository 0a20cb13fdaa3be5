"""Credits ledger and concurrency limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.simulator.helpers import assert_error, get, session


def test_credits_header_from_half_and_429_when_exhausted(make_simulator):
    sim = make_simulator(daily_credits=10)
    http = session(sim)
    params = {"fields": "Email", "per_page": 5}
    first = get(http, "/crm/v8/Contacts", params=params)
    assert "X-API-CREDITS-REMAINING" not in first.headers
    for _ in range(4):
        response = get(http, "/crm/v8/Contacts", params=params)
    assert response.headers["X-API-CREDITS-REMAINING"] == "5"
    for _ in range(5):
        assert get(http, "/crm/v8/Contacts", params=params).status_code == 200
    assert_error(get(http, "/crm/v8/Contacts", params=params), 429, "TOO_MANY_REQUESTS")
    assert sim.control.credits_used() == 10
    # The window is a rolling 24 hours.
    sim.control.advance_clock(86401)
    http = session(sim)
    assert get(http, "/crm/v8/Contacts", params=params).status_code == 200


def test_errors_cost_no_credits_and_log_records_credits(simulator):
    http = session(simulator)
    get(http, "/crm/v8/Contacts")  # 400: fields missing
    get(http, "/crm/v8/Contacts", params={"fields": "Email", "per_page": 7})
    log = simulator.control.requests(path="/crm/v8/Contacts")
    assert [(e["status"], e["credits"], e["records"]) for e in log] == [(400, 0, 0), (200, 1, 7)]
    assert simulator.control.credits_used() == 1


def _burst(sim, http, n, params):
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: get(http, "/crm/v8/Contacts", params=params).status_code, range(n)))


def test_concurrency_limit_by_edition(make_simulator):
    sim = make_simulator(edition="free")
    sim.control.set_faults([{"kind": "slow", "seconds": 0.6, "count": None}])
    statuses = _burst(sim, session(sim), 8, {"fields": "Email"})
    assert statuses.count(200) == 5 and statuses.count(429) == 3


def test_sub_concurrency_for_sort_by(simulator):
    simulator.control.set_faults([{"kind": "slow", "seconds": 0.6, "count": None}])
    statuses = _burst(simulator, session(simulator), 14, {"fields": "Email", "sort_by": "Modified_Time"})
    assert statuses.count(200) == 10 and statuses.count(429) == 4
