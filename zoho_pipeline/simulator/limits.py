"""API credits (rolling 24 h per org) and simultaneous-call limits by edition, as Zoho enforces them."""

from __future__ import annotations

import threading
from collections import deque

from zoho_pipeline.simulator.clock import Clock
from zoho_pipeline.simulator.errors import too_many_requests

WINDOW = 86400
# Simultaneous active calls per org per connected app (reference §8.3).
CONCURRENCY = {
    "free": 5,
    "standard": 10,
    "starter": 10,
    "professional": 15,
    "enterprise": 20,
    "zohoone": 20,
    "ultimate": 25,
    "crmplus": 25,
}
SUB_CONCURRENCY = 10  # "complex" calls: Get Records with sort_by or cvid, COQL
# Daily credits: base + per-user allowance, capped (reference §8.1).
CREDIT_RULES = {
    "free": (5000, 0, 5000),
    "standard": (50000, 250, 100000),
    "starter": (50000, 250, 100000),
    "professional": (50000, 500, 3000000),
    "enterprise": (50000, 1000, 5000000),
    "zohoone": (50000, 1000, 5000000),
    "ultimate": (50000, 2000, 10**12),
    "crmplus": (50000, 2000, 10**12),
}


def daily_credit_allowance(edition: str, users: int) -> int:
    base, per_user, maximum = CREDIT_RULES.get(edition, CREDIT_RULES["enterprise"])
    return min(base + users * per_user, maximum)


class CreditLedger:
    """Credits spent by one org over a rolling 24-hour window of the simulator's clock."""

    def __init__(self, clock: Clock, allowance: int) -> None:
        self.clock = clock
        self.allowance = allowance
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0
        self.lifetime = 0  # never expires: what a benchmark reads
        self._lock = threading.Lock()

    def used(self) -> int:
        with self._lock:
            self._expire()
            return self._total

    def _expire(self) -> None:
        horizon = self.clock.now() - WINDOW
        while self._spent and self._spent[0][0] <= horizon:
            self._total -= self._spent.popleft()[1]

    def check(self) -> None:
        """Refuse the call when the window's credits are gone (a call never starts on an empty balance)."""
        if self.used() >= self.allowance:
            raise too_many_requests("API credits for the 24 hour period are exhausted")

    def charge(self, credits: int) -> None:
        if credits <= 0:
            return
        with self._lock:
            self._spent.append((self.clock.now(), credits))
            self._total += credits
            self.lifetime += credits

    def remaining_header(self) -> str | None:
        """X-API-CREDITS-REMAINING, sent only once half the allowance is used."""
        used = self.used()
        if used * 2 >= self.allowance:
            return str(max(self.allowance - used, 0))
        return None


class ConcurrencyGate:
    """Counts calls in flight per (org, client app); over the edition's limit answers 429 at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[tuple, int] = {}

    def enter(self, key: tuple, limit: int, complex_call: bool) -> None:
        with self._lock:
            active = self._active.get(key, 0)
            complex_active = self._active.get((*key, "complex"), 0)
            if active >= limit:
                raise too_many_requests("Concurrency limit of the user for the app is exceeded")
            if complex_call and complex_active >= SUB_CONCURRENCY:
                raise too_many_requests("Sub-concurrency limit of the user for the app is exceeded")
            self._active[key] = active + 1
            if complex_call:
                self._active[(*key, "complex")] = complex_active + 1

    def leave(self, key: tuple, complex_call: bool) -> None:
        with self._lock:
            self._active[key] -= 1
            if complex_call:
                self._active[(*key, "complex")] -= 1
