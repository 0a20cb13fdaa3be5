"""Zoho Accounts (OAuth 2.0): clients, grant codes, refresh and access tokens, scopes, throttles.

Pure state and rules; the HTTP side lives in server.py. Times come from the simulator's clock.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode

from zoho_pipeline.simulator.clock import Clock
from zoho_pipeline.simulator.errors import ZohoError, invalid_token

ALL_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.coql.READ",
    "ZohoCRM.bulk.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.users.READ",
    "ZohoSearch.securesearch.READ",
)
GRANT_CODE_TTL = 120  # seconds, redirect flow (reference §1.2)
MINTS_PER_WINDOW = 10  # access tokens per refresh token per 10 minutes (reference §1.4)
MINT_WINDOW = 600
ACTIVE_TOKENS = 15
REFRESH_TOKENS_PER_USER = 20  # the 16th access token of a refresh token invalidates the oldest
ACCESS_DENIED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def new_token() -> str:
    """Zoho's token shape: 1000.<32 hex>.<32 hex>."""
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def parse_scopes(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.replace(" ", ",").split(",") if part.strip())


def scope_allows(scopes: frozenset[str], needed: str) -> bool:
    """True when `needed` (e.g. ZohoCRM.modules.contacts.READ) is granted directly or by a group scope.

    ZohoCRM.modules.contacts.READ is covered by ZohoCRM.modules.contacts.ALL, ZohoCRM.modules.READ and
    ZohoCRM.modules.ALL. Zoho's docs spell some scopes in lower case (ZohoCRM.bulk.read): compare
    without case.
    """
    service, *path, _operation = needed.lower().split(".")
    granted = {scope.lower() for scope in scopes}
    for depth in range(len(path), 0, -1):
        prefix = ".".join([service, *path[:depth]])
        if f"{prefix}.read" in granted or f"{prefix}.all" in granted:
            return True
    return False


@dataclass
class Client:
    client_id: str
    client_secret: str
    org_id: str


@dataclass
class RefreshToken:
    token: str
    client_id: str
    org_id: str
    scopes: frozenset[str]
    revoked: bool = False
    minted: deque = field(default_factory=deque)  # mint instants inside the throttle window
    active: deque = field(default_factory=deque)  # access tokens, oldest first


@dataclass
class AccessToken:
    token: str
    client_id: str
    org_id: str
    scopes: frozenset[str]
    expires_at: float
    refresh: RefreshToken | None = None
    valid: bool = True


@dataclass
class GrantCode:
    code: str
    client_id: str
    scopes: frozenset[str]
    redirect_uri: str
    expires_at: float
    offline: bool
    used: bool = False
    issued_at: float = 0.0


class Accounts:
    """The accounts server's state for every org of one simulator."""

    def __init__(self, clock: Clock, token_ttl: int = 3600) -> None:
        self.clock = clock
        self.token_ttl = token_ttl
        self.clients: dict[str, Client] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, GrantCode] = {}
        self.lock = threading.Lock()

    # -- set-up -----------------------------------------------------------------------------------------

    def register_client(self, org_id: str) -> Client:
        client = Client(f"1000.{secrets.token_hex(15).upper()}", secrets.token_hex(21), org_id)
        self.clients[client.client_id] = client
        return client

    def issue_refresh_token(self, client_id: str, scopes=ALL_SCOPES) -> RefreshToken:
        client = self.clients[client_id]
        refresh = RefreshToken(new_token(), client_id, client.org_id, frozenset(scopes))
        with self.lock:
            self.refresh_tokens[refresh.token] = refresh
        return refresh

    # -- browser step -----------------------------------------------------------------------------------

    def authorize(self, params: dict[str, str], accounts_url: str) -> tuple[int, dict | str]:
        """GET /oauth/v2/auth: consent is automatic; returns (302, redirect URL) or (400, error)."""
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri")
        if client is None:
            return 400, {"error": "invalid_client"}  # guessed: Zoho shows an HTML error page here
        if not redirect_uri:
            return 400, {"error": "invalid_redirect_uri"}
        if params.get("response_type", "code") != "code":
            return 400, {"error": "unsupported_response_type"}
        separator = "&" if "?" in redirect_uri else "?"
        now = self.clock.now()
        with self.lock:
            recent = [
                c
                for c in self.codes.values()
                if c.client_id == client.client_id and c.issued_at > now - MINT_WINDOW
            ]
        if len(recent) >= MINTS_PER_WINDOW:
            # guessed: the refusal travels back on the redirect, as OAuth errors do
            denied = {"error": "access_denied", **({"state": params["state"]} if "state" in params else {})}
            return 302, f"{redirect_uri}{separator}{urlencode(denied)}"
        code = GrantCode(
            new_token(),
            client.client_id,
            parse_scopes(params.get("scope", "")),
            redirect_uri,
            self.clock.now() + GRANT_CODE_TTL,
            params.get("access_type", "online") == "offline",
            issued_at=now,
        )
        with self.lock:
            self.codes[code.code] = code
        query = {"code": code.code}
        if "state" in params:
            query["state"] = params["state"]
        query.update({"location": "us", "accounts-server": accounts_url})
        return 302, f"{redirect_uri}{separator}{urlencode(query)}"

    # -- token endpoint ---------------------------------------------------------------------------------

    def token(self, params: dict[str, str], api_domain: str) -> dict:
        """POST /oauth/v2/token: every answer is HTTP 200, errors included (Zoho's style)."""
        grant_type = params.get("grant_type")
        client = self.clients.get(params.get("client_id", ""))
        if client is None or client.client_secret != params.get("client_secret"):
            return {"error": "invalid_client"}
        if grant_type == "authorization_code":
            return self._exchange_code(client, params, api_domain)
        if grant_type == "refresh_token":
            return self._refresh(client, params, api_domain)
        return {"error": "unsupported_grant_type"}

    def _exchange_code(self, client: Client, params: dict[str, str], api_domain: str) -> dict:
        with self.lock:
            code = self.codes.get(params.get("code", ""))
            if (
                code is None
                or code.used
                or code.client_id != client.client_id
                or code.expires_at < self.clock.now()
            ):
                return {"error": "invalid_code"}
            if params.get("redirect_uri") and params["redirect_uri"] != code.redirect_uri:
                return {"error": "invalid_redirect_uri"}  # guessed wording (reference §1.3)
            code.used = True
        refresh = None
        if code.offline:
            refresh = RefreshToken(new_token(), client.client_id, client.org_id, code.scopes)
            with self.lock:
                self.refresh_tokens[refresh.token] = refresh
            self._keep_refresh_limit(client.client_id)
        access = self._mint(client, code.scopes, refresh)
        body = {"access_token": access.token}
        if refresh:
            body["refresh_token"] = refresh.token
        body.update(
            {
                "scope": " ".join(sorted(code.scopes)),
                "api_domain": api_domain,
                "token_type": "Bearer",
                "expires_in": self.token_ttl,
            }
        )
        return body

    def _refresh(self, client: Client, params: dict[str, str], api_domain: str) -> dict:
        refresh = self.refresh_tokens.get(params.get("refresh_token", ""))
        if refresh is None or refresh.revoked or refresh.client_id != client.client_id:
            return {"error": "invalid_code"}
        now = self.clock.now()
        with self.lock:
            while refresh.minted and refresh.minted[0] <= now - MINT_WINDOW:
                refresh.minted.popleft()
            if len(refresh.minted) >= MINTS_PER_WINDOW:
                return dict(ACCESS_DENIED)  # guessed: HTTP 200 (Kaizen); singer saw 400
            refresh.minted.append(now)
        access = self._mint(client, refresh.scopes, refresh)
        return {
            "access_token": access.token,
            "scope": " ".join(sorted(refresh.scopes)),
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
        }

    def _keep_refresh_limit(self, client_id: str) -> None:
        """The 21st refresh token of a user invalidates the first, with its access tokens (reference §1.4).

        Each simulated org has one user, so "per user" is "per client" here.
        """
        with self.lock:
            live = [r for r in self.refresh_tokens.values() if r.client_id == client_id and not r.revoked]
        for oldest in live[: max(len(live) - REFRESH_TOKENS_PER_USER, 0)]:
            self.revoke(oldest.token)

    def _mint(self, client: Client, scopes: frozenset[str], refresh: RefreshToken | None) -> AccessToken:
        access = AccessToken(
            new_token(), client.client_id, client.org_id, scopes, self.clock.now() + self.token_ttl, refresh
        )
        with self.lock:
            self.access_tokens[access.token] = access
            if refresh is not None:
                refresh.active.append(access.token)
                while len(refresh.active) > ACTIVE_TOKENS:
                    oldest = self.access_tokens.get(refresh.active.popleft())
                    if oldest:
                        oldest.valid = False
        return access

    def revoke(self, token: str) -> dict:
        """POST /oauth/v2/token/revoke: the refresh token and every access token made from it stop working."""
        with self.lock:
            refresh = self.refresh_tokens.get(token)
            if refresh is None:
                access = self.access_tokens.get(token)
                if access is None:
                    return {"error": "invalid_code"}  # guessed
                access.valid = False
                return {"status": "success"}
            refresh.revoked = True
            for access_token in refresh.active:
                access = self.access_tokens.get(access_token)
                if access:
                    access.valid = False
        return {"status": "success"}

    # -- API side ---------------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> AccessToken:
        """The access token behind an Authorization header, or the 401 Zoho answers."""
        if not authorization:
            # guessed: wording for a missing header (the OAS lists AUTHENTICATION_FAILURE)
            raise ZohoError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        scheme, _, value = authorization.strip().partition(" ")
        if scheme not in ("Zoho-oauthtoken", "Bearer"):  # guessed: Bearer accepted (reference §0)
            raise invalid_token()
        access = self.access_tokens.get(value.strip())
        if access is None or not access.valid or access.expires_at <= self.clock.now():
            raise invalid_token()
        if access.refresh is not None and access.refresh.revoked:
            raise invalid_token()
        return access

    def invalidate(self, access: AccessToken) -> None:
        access.valid = False


class AccountsApp:
    """The accounts server's HTTP side: /oauth/v2/auth, /oauth/v2/token, /oauth/v2/token/revoke."""

    def __init__(self, simulation) -> None:
        self.sim = simulation

    def handle(self, request):
        from zoho_pipeline.simulator.server import Drop, Hang, Response

        entry = {
            "time": self.sim.clock.now(),
            "method": request.method,
            "path": request.path,
            "query": {k: v for k, v in request.query.items() if k not in ("client_secret",)},
            "org_id": None,
            "status": None,
            "records": 0,
            "credits": 0,
        }
        fault = self.sim.faults.pick(request.method, request.path, request.query)
        if fault and fault.kind in ("drop", "timeout"):
            answer = Drop() if fault.kind == "drop" else Hang(fault.seconds)
        elif fault and fault.kind == "internal_error":
            answer = Response.json(
                500, {"error": "internal_error"}
            )  # guessed: body of an accounts-server 500
        elif fault and fault.kind == "too_many_requests":
            answer = Response.json(200, dict(ACCESS_DENIED))
        elif fault and fault.kind == "slow":
            self.sim.stopping.wait(fault.seconds)
            answer = self._route(request)
        else:
            answer = self._route(request)
        entry["status"] = answer.status if isinstance(answer, Response) else type(answer).__name__.lower()
        client = self.sim.accounts.clients.get(request.form().get("client_id", ""))
        entry["org_id"] = client.org_id if client else None  # so an org's log includes its token calls
        self.sim.log(entry)
        return answer

    def _route(self, request):
        from zoho_pipeline.simulator.server import Response

        accounts = self.sim.accounts
        if request.path == "/oauth/v2/auth" and request.method == "GET":
            status, answer = accounts.authorize(request.query, self.sim.accounts_url)
            if status == 302:
                return Response(302, b"", {"Location": answer})
            return Response.json(status, answer)
        if request.path == "/oauth/v2/token" and request.method == "POST":
            return Response.json(200, accounts.token(request.form(), self.sim.api_domain))
        if request.path == "/oauth/v2/token/revoke" and request.method == "POST":
            return Response.json(200, accounts.revoke(request.form().get("token", "")))
        return Response.json(404, {"error": "invalid_url"})  # guessed
