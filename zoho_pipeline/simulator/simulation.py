"""`Simulator`: one or more synthetic Zoho orgs behind a real accounts server and a real CRM API server."""

from __future__ import annotations

import threading

from zoho_pipeline.simulator import schema
from zoho_pipeline.simulator.accounts import Accounts, AccountsApp
from zoho_pipeline.simulator.api import CrmApi
from zoho_pipeline.simulator.clock import Clock
from zoho_pipeline.simulator.control import ControlApi, ControlClient
from zoho_pipeline.simulator.faults import FaultPlan
from zoho_pipeline.simulator.limits import CONCURRENCY, ConcurrencyGate
from zoho_pipeline.simulator.org import Org, build_org, spread
from zoho_pipeline.simulator.preload import preload
from zoho_pipeline.simulator.server import AppServer

EDITIONS = tuple(CONCURRENCY)


class Simulator:
    """Zoho CRM v8 for tests, demos and benchmarks.

    >>> with Simulator(seed=42, size=1000) as sim:
    ...     sim.org.refresh_token, sim.accounts_url, sim.api_domain
    """

    def __init__(
        self,
        seed: int = 42,
        counts: dict[str, int] | None = None,
        size: int | None = None,
        token_ttl: int = 3600,
        edition: str = "enterprise",
        page_token_cap: int = 100_000,
        bulk_page_size: int = 200_000,
        daily_credits: int | None = None,
        name: str = "Zylker Corp",
        faults: list[dict] | None = None,
    ) -> None:
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}")
        self.clock = Clock()
        self.accounts = Accounts(self.clock, token_ttl)
        self.faults = FaultPlan()
        self.faults.set(faults or [])
        self.gate = ConcurrencyGate()
        self.page_token_cap = page_token_cap
        self.bulk_page_size = bulk_page_size
        self.edition = edition
        self.daily_credits = daily_credits
        self.orgs: dict[str, Org] = {}
        self.stopping = threading.Event()
        self.control_api = ControlApi(self)
        self._log: list[dict] = []
        self._log_lock = threading.Lock()
        self._prefixes: set[int] = set()
        self._accounts_server: AppServer | None = None
        self._api_server: AppServer | None = None
        self._control: ControlClient | None = None
        self.org = self.add_org(seed=seed, counts=counts, size=size, name=name)

    # -- orgs -------------------------------------------------------------------------------------------

    def add_org(
        self,
        seed: int = 7,
        counts: dict[str, int] | None = None,
        size: int | None = None,
        name: str | None = None,
        edition: str | None = None,
        daily_credits: int | None = None,
    ) -> Org:
        """Another org with its own client id / secret and an all-scopes refresh token."""
        if counts is None:
            counts = spread(size) if size is not None else dict(schema.DEFAULT_COUNTS)
        unknown = set(counts) - set(schema.MODULE_NAMES)
        if unknown:
            raise ValueError(
                f"unknown modules {sorted(unknown)}; choose from {', '.join(schema.MODULE_NAMES)}"
            )
        org = build_org(
            seed,
            counts,
            name or f"Org {seed}",
            edition or self.edition,
            self.clock,
            daily_credits if daily_credits is not None else self.daily_credits,
            self._prefixes,
        )
        client = self.accounts.register_client(org.org_id)
        org.client_id, org.client_secret = client.client_id, client.client_secret
        org.refresh_token = self.accounts.issue_refresh_token(client.client_id).token
        self.orgs[org.org_id] = org
        return org

    def preload(self, workers: int | None = None) -> None:
        """Build and encode every org's records now, so that serving them costs next to nothing
        (see preload.py). Call it before start(): it forks worker processes."""
        for org in self.orgs.values():
            org.store.preloaded = preload(org.store, workers)

    # -- servers ----------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", accounts_port: int = 0, api_port: int = 0) -> Simulator:
        self.stopping.clear()
        self._accounts_server = AppServer(host, accounts_port, AccountsApp(self))
        self._api_server = AppServer(host, api_port, CrmApi(self))
        self._accounts_server.start()
        self._api_server.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for server in (self._api_server, self._accounts_server):
            if server is not None:
                server.stop()
        self._api_server = self._accounts_server = None

    def __enter__(self) -> Simulator:
        if self._api_server is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def accounts_url(self) -> str:
        if self._accounts_server is None:
            raise RuntimeError("the simulator is not started: call start()")
        return self._accounts_server.url

    @property
    def api_domain(self) -> str:
        if self._api_server is None:
            raise RuntimeError("the simulator is not started: call start()")
        return self._api_server.url

    @property
    def control(self) -> ControlClient:
        if self._control is None or not self._control.base.startswith(self.api_domain):
            self._control = ControlClient(self.api_domain)
        return self._control

    # -- request log ------------------------------------------------------------------------------------

    def log(self, entry: dict) -> None:
        with self._log_lock:
            self._log.append(entry)

    def requests(self, org_id: str | None = None, path: str | None = None) -> list[dict]:
        with self._log_lock:
            entries = list(self._log)
        if org_id:
            entries = [e for e in entries if e.get("org_id") == org_id]
        if path:
            entries = [e for e in entries if e["path"].startswith(path)]
        return entries

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()
