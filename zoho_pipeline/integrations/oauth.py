"""Calls to Zoho's accounts server (OAuth 2.0) and the org endpoint; data centres and extraction scopes.

Zoho answers token-endpoint errors with HTTP 200 and a JSON `error` (reference §1.3), so every answer's
body is checked. Tokens and secrets travel in form bodies, never in URLs, so no exception text (which
often quotes the URL) can carry them; errors raised here never include them either.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations.times import utc_now

# Reference §1.1: the accounts server of each data centre.
DATA_CENTRES = {
    "us": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp",
    "cn": "https://accounts.zoho.com.cn",
    "ca": "https://accounts.zohocloud.ca",
    "sa": "https://accounts.zoho.sa",
}
# Accepted as the `accounts-server` of a redirect (UK is a Zoho accounts DC, unconfirmed for CRM).
KNOWN_ACCOUNTS_SERVERS = frozenset(DATA_CENTRES.values()) | {"https://accounts.zoho.uk"}

# Reference §1.6: the read scopes extraction needs (org for the org id and name).
EXTRACTION_SCOPES = (
    "ZohoCRM.modules.contacts.READ",
    "ZohoCRM.modules.accounts.READ",
    "ZohoCRM.modules.deals.READ",
    "ZohoCRM.modules.cases.READ",
    "ZohoCRM.modules.notes.READ",
    "ZohoCRM.modules.tasks.READ",
    "ZohoCRM.modules.calls.READ",
    "ZohoCRM.modules.events.READ",
    "ZohoCRM.settings.modules.READ",
    "ZohoCRM.settings.fields.READ",
    "ZohoCRM.settings.layouts.READ",
    "ZohoCRM.settings.pipeline.READ",
    "ZohoCRM.coql.READ",
    "ZohoCRM.bulk.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.users.READ",
)

TIMEOUT = (10, 30)  # connect, read (seconds)


class ZohoAuthError(UserError):
    """Zoho refused, or could not be asked; `code` is Zoho's error code (`invalid_code`, ...) if any."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def token_rejected(self) -> bool:
        """The refresh token is wrong or revoked: the integration needs connecting again."""
        return self.code == "invalid_code"


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint returned. `api_domain` is the base for every CRM call of this account."""

    access_token: str = field(repr=False)
    expires_at: datetime
    api_domain: str
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None


@dataclass(frozen=True)
class ZohoOrg:
    id: str | None
    name: str | None


def accounts_url_for(dc: str | None, accounts_url: str | None) -> str:
    """The accounts server from `--dc` or `--accounts-url` (US when neither is given)."""
    if dc and accounts_url:
        raise UserError("give either --dc or --accounts-url, not both")
    if accounts_url:
        return normalize_url(accounts_url)
    code = (dc or "us").strip().lower()
    if code not in DATA_CENTRES:
        raise UserError(f"unknown data centre {dc!r}: use one of {', '.join(DATA_CENTRES)}")
    return DATA_CENTRES[code]


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"{url!r} is not a URL: give the accounts server, e.g. https://accounts.zoho.eu")
    return url


def new_state() -> str:
    """The unguessable `state` that ties the redirect to this flow."""
    return secrets.token_urlsafe(24)


def authorization_url(accounts_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Reference §1.2: offline access (a refresh token), consent forced, our extraction scopes."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "scope": ",".join(EXTRACTION_SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{accounts_url}/oauth/v2/auth?{query}"


def exchange_code(
    accounts_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> TokenGrant:
    """Trade an authorization code (valid 2 minutes, once) for a refresh token and an access token."""
    grant = _token_request(
        accounts_url,
        {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        },
        what="the authorization code",
    )
    if not grant.refresh_token:
        raise ZohoAuthError(
            "Zoho returned no refresh token (the consent was not for offline access): run `zoho-pipeline "
            "connect` again"
        )
    return grant


def refresh_access_token(
    accounts_url: str, client_id: str, client_secret: str, refresh_token: str
) -> TokenGrant:
    """Mint an access token from a refresh token (Zoho allows 10 per 10 minutes: cache it)."""
    return _token_request(
        accounts_url,
        {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        what="the refresh token",
    )


def revoke_refresh_token(accounts_url: str, refresh_token: str) -> None:
    """Revoke a refresh token (and every access token made from it). An already-invalid token is fine."""
    body = _post(f"{accounts_url}/oauth/v2/token/revoke", {"token": refresh_token}, accounts_url)
    error = body.get("error")
    if error in (None, "invalid_code", "invalid_token") or body.get("status") == "success":
        return
    raise ZohoAuthError(f"Zoho did not revoke the refresh token ({error}): try again later", code=str(error))


def fetch_org(api_domain: str, access_token: str) -> ZohoOrg:
    """The org id and company name (`GET {api_domain}/crm/v8/org`, scope ZohoCRM.org.READ)."""
    try:
        response = requests.get(
            f"{api_domain}/crm/v8/org",
            headers={"Authorization": f"Zoho-oauthtoken {access_token}"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        raise ZohoAuthError(
            f"cannot reach {api_domain} ({type(error).__name__}): check the network"
        ) from None
    body = _json(response)
    if not isinstance(body, dict):
        raise ZohoAuthError(f"{api_domain} answered HTTP {response.status_code} without JSON for the org")
    if response.status_code != 200:
        code = body.get("code")
        if code == "OAUTH_SCOPE_MISMATCH":
            raise ZohoAuthError(
                "the token lacks the ZohoCRM.org.READ scope: connect again and grant the scopes asked for",
                code=code,
            )
        raise ZohoAuthError(
            f"Zoho answered HTTP {response.status_code} ({code or 'no code'}) for the org: check the account",
            code=code,
        )
    orgs = body.get("org") or [{}]
    org = orgs[0]
    # `zgid` is the org id Zoho shows (Setup > Company Details); `id` is the org record's own id.
    org_id = org.get("zgid") or org.get("id")
    return ZohoOrg(
        id=str(org_id) if org_id is not None else None,
        name=org.get("company_name") or org.get("name") or org.get("domain_name"),
    )


# -- internals --------------------------------------------------------------------------------------


def _token_request(accounts_url: str, form: dict[str, str], what: str) -> TokenGrant:
    body = _post(f"{accounts_url}/oauth/v2/token", form, accounts_url)
    if "error" in body or "access_token" not in body:
        raise _token_error(str(body.get("error") or "no access_token"), accounts_url, what)
    # Older answers gave `expires_in` in milliseconds next to `expires_in_sec` (reference §1.3).
    seconds = body.get("expires_in_sec") or body.get("expires_in") or 3600
    api_domain = body.get("api_domain")
    if not api_domain:
        raise ZohoAuthError(f"{accounts_url} answered without an api_domain: is it a Zoho accounts server?")
    return TokenGrant(
        access_token=body["access_token"],
        expires_at=utc_now() + timedelta(seconds=int(seconds)),
        api_domain=str(api_domain).rstrip("/"),
        refresh_token=body.get("refresh_token"),
        scope=body.get("scope"),
    )


def _token_error(code: str, accounts_url: str, what: str) -> ZohoAuthError:
    if code == "invalid_code":
        if what == "the refresh token":
            message = (
                "Zoho rejected the refresh token (invalid_code): it is wrong or was revoked; "
                "run `zoho-pipeline connect` again or pass a new --refresh-token"
            )
        else:
            message = "the authorization code expired or was already used: run `zoho-pipeline connect` again"
    elif code == "invalid_client":
        message = (
            f"Zoho rejected the client id or secret (invalid_client) at {accounts_url}: check them, and that "
            "--dc/--accounts-url is the data centre the client was registered in"
        )
    elif code.lower() == "access denied":
        message = "Zoho is throttling token requests (10 per 10 minutes): wait a few minutes and try again"
    elif code == "invalid_redirect_uri":
        message = "Zoho rejected the redirect URI: register the one `connect` prints in the Zoho API console"
    else:
        message = f"Zoho's accounts server {accounts_url} refused {what} ({code}): check the client and token"
    return ZohoAuthError(message, code=code)


def _post(url: str, form: dict[str, str], accounts_url: str) -> dict[str, Any]:
    try:
        response = requests.post(url, data=form, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise ZohoAuthError(
            f"cannot reach the Zoho accounts server {accounts_url} ({type(error).__name__}): check the URL "
            "or --dc and the network"
        ) from None
    body = _json(response)
    if not isinstance(body, dict):
        raise ZohoAuthError(
            f"{accounts_url} answered HTTP {response.status_code} without JSON: is it a Zoho accounts server?"
        )
    if response.status_code >= 500:
        raise ZohoAuthError(f"{accounts_url} answered HTTP {response.status_code}: try again later")
    return body


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
