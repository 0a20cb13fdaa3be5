"""One simulated Zoho org: its data, its OAuth client and refresh token, its credits and paging state."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field

from zoho_pipeline.simulator import schema
from zoho_pipeline.simulator.generator import ascii_fold
from zoho_pipeline.simulator.limits import CreditLedger, daily_credit_allowance
from zoho_pipeline.simulator.store import OrgStore

USER_COUNT = 10


@dataclass
class PageCursor:
    """What a page_token stands for: where the walk is, and the parameters it is bound to."""

    org_id: str
    binding: tuple
    last_key: int
    served: int
    expires_at: float


@dataclass
class Org:
    """Handle returned to tests: ids and credentials of one org, plus its server-side state."""

    org_id: str
    name: str
    seed: int
    edition: str
    store: OrgStore
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    credits: CreditLedger | None = None
    users: list[dict] = field(default_factory=list)
    page_tokens: dict[str, PageCursor] = field(default_factory=dict)
    bulk_jobs: dict[str, dict] = field(default_factory=dict)
    bulk_tokens: dict[str, dict] = field(default_factory=dict)  # Bulk Read continuation tokens
    bulk_downloads: deque = field(default_factory=deque)  # download instants (10 per minute)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.store.counts)

    def field_id(self, module: str, api_name: str) -> str:
        definition = self.store.modules[module]
        position = next(i for i, f in enumerate(definition.fields) if f.api_name == api_name)
        return self.store.record_id("Fields", definition.number * 1000 + position)


def spread(size: int) -> dict[str, int]:
    """A total record count spread over the modules like a real org (contacts and notes dominate)."""
    counts = {name: int(size * share) for name, share in schema.SIZE_SHARES.items()}
    counts["Contacts"] += size - sum(counts.values())
    return counts


def build_org(
    seed: int,
    counts: dict[str, int],
    name: str,
    edition: str,
    clock,
    daily_credits: int | None,
    taken_prefixes: set[int],
) -> Org:
    """Generate an org: users, id prefix, arrays (records themselves are built when served)."""
    rnd = random.Random(seed)
    prefix = rnd.randrange(1_000_000, 90_000_000)  # ids stay below 2**63
    while prefix in taken_prefixes:
        prefix += 1
    taken_prefixes.add(prefix)
    org_id = str(rnd.randrange(600_000_000, 899_999_999))
    first = ("Patricia", "Amelia", "Rahul", "Kenji", "Lena", "Marco", "Sofia", "David", "Aisha", "Tomás")
    last = ("Boyle", "Chen", "Sharma", "Watanabe", "Schmidt", "Rossi", "García", "Okafor", "Khan", "Silva")
    users = []
    for number in range(USER_COUNT):
        full = f"{first[number]} {last[(number + seed) % len(last)]}"
        users.append(
            {
                "name": full,
                "id": str(prefix * 10**11 + number * 7 + 1),
                "email": f"{ascii_fold(full.split()[0])}@{ascii_fold(name) or 'org'}.example.com",
            }
        )
    store = OrgStore(seed, counts, prefix, users)
    allowance = daily_credits if daily_credits is not None else daily_credit_allowance(edition, USER_COUNT)
    return Org(
        org_id=org_id,
        name=name,
        seed=seed,
        edition=edition,
        store=store,
        credits=CreditLedger(clock, allowance),
        users=users,
    )
