"""Connected Zoho accounts (integrations) in the control store, their secrets encrypted at rest.

`add` and `remove` are the only places that change which integrations exist; both tell the membership
hooks (Dagster keeps one dynamic partition per integration).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations import hooks
from zoho_pipeline.integrations.control import ControlStore, is_unique_violation
from zoho_pipeline.integrations.secrets import SecretBox
from zoho_pipeline.integrations.times import from_iso, to_iso, utc_now

STATES = ("connected", "revoked", "failing")


@dataclass(frozen=True)
class Integration:
    """A connected Zoho account. No secrets here: ask `IntegrationStore.credentials` for those."""

    id: str
    name: str
    accounts_url: str
    api_domain: str
    client_id: str
    org_id: str | None
    org_name: str | None
    created_at: datetime
    state: str
    state_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`--json`), in the same camelCase as the import status."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "stateReason": self.state_reason,
            "accountsUrl": self.accounts_url,
            "apiDomain": self.api_domain,
            "orgId": self.org_id,
            "orgName": self.org_name,
            "clientId": self.client_id,
            "createdAt": to_iso(self.created_at),
        }


@dataclass(frozen=True)
class Credentials:
    """What an OAuth client needs for one integration (decrypted; never print or log it)."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    accounts_url: str
    api_domain: str


def new_integration_id() -> str:
    """Short and readable: `zi_` and 10 hex digits."""
    return "zi_" + secrets.token_hex(5)


class IntegrationStore:
    """Integrations in the control store (SQLite under home, or Postgres `zoho_control`)."""

    def __init__(self, control: ControlStore, secret_box: SecretBox | None = None) -> None:
        self.control = control
        self._secret_box = secret_box

    @classmethod
    def open(cls) -> IntegrationStore:
        """The store the settings point at."""
        return cls(ControlStore.open())

    def close(self) -> None:
        self.control.close()

    def __enter__(self) -> IntegrationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _box(self) -> SecretBox:
        # Loaded on first need, so listing integrations works without the key.
        if self._secret_box is None:
            self._secret_box = SecretBox.from_settings()
        return self._secret_box

    # -- reading ------------------------------------------------------------------------------------

    def get(self, integration_id: str) -> Integration:
        """The integration, or a UserError that says how to find the right id."""
        rows = self.control.query("select * from {s}integrations where id = ?", (integration_id,))
        if not rows:
            raise UserError(f"no integration {integration_id}: run `zoho-pipeline integrations list`")
        return _integration(rows[0])

    def list(self) -> list[Integration]:
        rows = self.control.query("select * from {s}integrations order by created_at, id")
        return [_integration(row) for row in rows]

    def name_taken(self, name: str) -> bool:
        return bool(self.control.query("select id from {s}integrations where name = ?", (name,)))

    def credentials(self, integration_id: str) -> Credentials:
        row = self._row(integration_id)
        return Credentials(
            client_id=row["client_id"],
            client_secret=self._box.decrypt(row["client_secret"], f"the client secret of {integration_id}"),
            refresh_token=self._box.decrypt(row["refresh_token"], f"the refresh token of {integration_id}"),
            accounts_url=row["accounts_url"],
            api_domain=row["api_domain"],
        )

    def load_access_token(
        self, integration_id: str, min_valid: timedelta = timedelta(seconds=60)
    ) -> tuple[str, datetime] | None:
        """The cached access token and its expiry; None when there is none or it expires within `min_valid`.

        Shared by every process, so imports reuse one token instead of minting (Zoho allows 10 per 10 min).
        """
        row = self._row(integration_id)
        expires_at = from_iso(row["access_token_expires_at"])
        if not row["access_token"] or expires_at is None or expires_at - utc_now() < min_valid:
            return None
        try:
            token = self._box.decrypt(row["access_token"], f"the access token of {integration_id}")
        except UserError:
            return None  # a cache entry from another key is just a miss
        return token, expires_at

    # -- writing ------------------------------------------------------------------------------------

    def lease_token_refresh(self, integration_id: str, seconds: float = 30) -> bool:
        """Claim the right to mint the next access token (True), so concurrent processes wait for one
        refresh instead of each minting their own. The lease lapses by itself after `seconds`."""
        now = utc_now()
        return bool(
            self.control.execute(
                "update {s}integrations set token_lease_until = ? "
                "where id = ? and (token_lease_until is null or token_lease_until < ?)",
                (to_iso(now + timedelta(seconds=seconds)), integration_id, to_iso(now)),
            )
        )

    def release_token_lease(self, integration_id: str) -> None:
        self.control.execute(
            "update {s}integrations set token_lease_until = null where id = ?", (integration_id,)
        )

    def save_access_token(self, integration_id: str, token: str, expires_at: datetime) -> None:
        self._update(
            integration_id,
            "access_token = ?, access_token_expires_at = ?",
            (self._box.encrypt(token), to_iso(expires_at)),
        )

    def set_state(self, integration_id: str, state: str, reason: str | None = None) -> None:
        """connected / revoked / failing, with why (shown by `integrations show`)."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        self._update(integration_id, "state = ?, state_reason = ?", (state, reason))

    def add(
        self,
        *,
        name: str,
        accounts_url: str,
        api_domain: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        org_id: str | None,
        org_name: str | None,
        access_token: str | None = None,
        access_token_expires_at: datetime | None = None,
    ) -> Integration:
        """Record a connected account (already validated with Zoho) and tell the membership hooks."""
        now = to_iso(utc_now())
        integration_id = new_integration_id()
        try:
            self.control.execute(
                """insert into {s}integrations (id, name, accounts_url, api_domain, client_id,
                    client_secret, refresh_token, access_token, access_token_expires_at, org_id, org_name,
                    state, state_reason, created_at, updated_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'connected', null, ?, ?)""",
                (
                    integration_id,
                    name,
                    accounts_url,
                    api_domain,
                    client_id,
                    self._box.encrypt(client_secret),
                    self._box.encrypt(refresh_token),
                    self._box.encrypt(access_token) if access_token else None,
                    to_iso(access_token_expires_at),
                    org_id,
                    org_name,
                    now,
                    now,
                ),
            )
        except Exception as error:
            if is_unique_violation(error):
                raise UserError(
                    f"an integration named {name!r} already exists: choose another --name"
                ) from None
            raise
        integration = self.get(integration_id)
        hooks.notify("added", integration)
        return integration

    def remove(self, integration_id: str) -> Integration:
        """Forget an integration (its secrets with it) and tell the membership hooks."""
        integration = self.get(integration_id)
        self.control.execute("delete from {s}integrations where id = ?", (integration_id,))
        hooks.notify("removed", integration)
        return integration

    # -- internals ----------------------------------------------------------------------------------

    def _row(self, integration_id: str) -> dict[str, Any]:
        rows = self.control.query("select * from {s}integrations where id = ?", (integration_id,))
        if not rows:
            raise UserError(f"no integration {integration_id}: run `zoho-pipeline integrations list`")
        return rows[0]

    def _update(self, integration_id: str, assignments: str, params: tuple[Any, ...]) -> None:
        changed = self.control.execute(
            f"update {{s}}integrations set {assignments}, updated_at = ? where id = ?",
            (*params, to_iso(utc_now()), integration_id),
        )
        if not changed:
            raise UserError(f"no integration {integration_id}: run `zoho-pipeline integrations list`")


def _integration(row: dict[str, Any]) -> Integration:
    return Integration(
        id=row["id"],
        name=row["name"],
        accounts_url=row["accounts_url"],
        api_domain=row["api_domain"],
        client_id=row["client_id"],
        org_id=row["org_id"],
        org_name=row["org_name"],
        created_at=from_iso(row["created_at"]),
        state=row["state"],
        state_reason=row["state_reason"],
    )
