"""Faults a test asks for: scripted ("the next 3 GETs of /crm/v8/Contacts answer 429") or at a seeded rate."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field

# kind -> what the server does (see README.md); the short aliases read well on a command line.
KINDS = (
    "too_many_requests",
    "internal_error",
    "slow",
    "timeout",
    "drop",
    "invalid_token",
    "malformed_json",
    "cut_off",
    "expired_page_token",
    "scope_mismatch",
    "revoke_refresh_token",
)
ALIASES = {
    "429": "too_many_requests",
    "500": "internal_error",
    "dropped_connection": "drop",
    "truncated_body": "cut_off",
    "hang": "timeout",
    "revoked_refresh_token": "revoke_refresh_token",
}


@dataclass
class Fault:
    """One fault rule. `path` is exact, or a prefix when it ends with '*'; None means any /crm/ path."""

    kind: str
    path: str | None = None
    method: str | None = None
    query: dict[str, str] | None = None  # all these query parameters must match
    after: int = 0  # let this many matching requests through first
    count: int | None = 1  # fire this many times (None: every matching request)
    rate: float | None = None  # fire with this probability instead, drawn from `seed`
    seed: int = 0
    seconds: float = 2.0  # slow: extra delay; timeout: how long to hang before closing the socket
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.kind = ALIASES.get(self.kind, self.kind)
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose from {', '.join(KINDS)}")
        self._random = random.Random(self.seed)

    @classmethod
    def from_dict(cls, spec: dict) -> Fault:
        known = {
            k: v for k, v in spec.items() if k in cls.__dataclass_fields__ and k not in ("seen", "fired")
        }
        if known.get("rate") is not None and "count" not in known:
            known["count"] = None  # a rate fault keeps firing unless a count is given too
        return cls(**known)

    def to_dict(self) -> dict:
        return asdict(self)

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path is None:
            if not path.startswith("/crm/"):
                return False
        elif self.path.endswith("*"):
            if not path.startswith(self.path[:-1]):
                return False
        elif path != self.path:
            return False
        if self.kind == "expired_page_token" and "page_token" not in query:
            return False
        return all(query.get(key) == str(value) for key, value in (self.query or {}).items())


class FaultPlan:
    """The active fault rules of one simulator; the first rule that fires wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def set(self, specs: list[dict | Fault]) -> None:
        faults = [spec if isinstance(spec, Fault) else Fault.from_dict(spec) for spec in specs]
        with self._lock:
            self._faults = faults

    def add(self, spec: dict | Fault) -> None:
        fault = spec if isinstance(spec, Fault) else Fault.from_dict(spec)
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        self.set([])

    def describe(self) -> list[dict]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def pick(self, method: str, path: str, query: dict[str, str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, query):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.count is not None and fault.fired >= fault.count:
                    continue
                if fault.rate is not None and fault._random.random() >= fault.rate:
                    continue
                fault.fired += 1
                return fault
        return None


def parse_faults(text: str) -> list[dict]:
    """Command-line form: 'kind[:key=value]...' joined by commas, or a JSON list.

    Example: ``429:rate=0.05:seed=1,500:path=/crm/v8/Deals:count=2,slow:seconds=0.5:rate=0.1``
    """
    import orjson

    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        return orjson.loads(text)
    specs = []
    for item in text.split(","):
        kind, *options = item.strip().split(":")
        spec: dict = {"kind": kind}
        for option in options:
            key, _, value = option.partition("=")
            if key in ("after", "seed"):
                spec[key] = int(value)
            elif key == "count":
                spec[key] = None if value in ("", "all", "none") else int(value)
            elif key in ("rate", "seconds"):
                spec[key] = float(value)
            else:
                spec[key] = value
        Fault.from_dict(spec)  # validate early, with a readable message
        specs.append(spec)
    return specs
