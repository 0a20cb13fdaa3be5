"""Zoho's OAuth: the refresh-token grant and the `Zoho-oauthtoken` header, as one dlt auth class.

The access token is cached and reused until shortly before it expires, shared through an optional
cross-process cache (so parallel imports of one integration do not each mint tokens), refreshed once
when Zoho answers 401 INVALID_TOKEN, and never minted more often than Zoho allows (10 per 10 minutes).
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Annotated, Any, Protocol

import orjson
from dlt.common.configuration.specs.base_configuration import NotResolved, configspec
from dlt.common.typing import TSecretStrValue
from dlt.sources.helpers.rest_client.auth import OAuth2AuthBase
from requests import PreparedRequest, Response

from zoho_pipeline.sources.zoho import settings
from zoho_pipeline.sources.zoho.errors import RECONNECT_HINT, ZohoAuthError


class TokenCache(Protocol):
    """Where access tokens are shared between processes (the integration store implements this)."""

    def load(self) -> tuple[str, float] | None:
        """The cached (access_token, expires_at epoch seconds), or None."""

    def save(self, access_token: str, expires_at: float) -> None:
        """Remember a freshly minted token."""


def _token_throttled(response: Response | None, exception: BaseException | None) -> bool:
    """dlt retry predicate: Zoho's token endpoint says "too many requests" with HTTP 200 or 400."""
    if response is None or response.status_code not in (200, 400):
        return False
    return b"too many requests" in response.content.lower()


@configspec
class ZohoOAuth2(OAuth2AuthBase):
    """Refresh-token grant against Zoho's accounts server; sends `Authorization: Zoho-oauthtoken <t>`."""

    access_token: Annotated[TSecretStrValue | None, NotResolved()] = None
    client_id: TSecretStrValue = None
    client_secret: TSecretStrValue = None
    refresh_token: TSecretStrValue = None
    accounts_url: str = None
    token_cache: Annotated[Any | None, NotResolved()] = None

    def __post_init__(self) -> None:
        self.expires_at: float = 0.0
        self.api_domain: str | None = None
        self.tokens_minted = 0
        self._lock = threading.Lock()
        self._mint_times: collections.deque[float] = collections.deque(maxlen=settings.TOKEN_REFRESH_LIMIT)
        from zoho_pipeline.sources.zoho.http import retrying_client

        self._token_http = retrying_client(_token_throttled)

    # --- requests AuthBase -------------------------------------------------------------------------
    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        token = self.current_token()
        request.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        request.register_hook("response", self._refresh_on_invalid_token)
        return request

    def _refresh_on_invalid_token(self, response: Response, **kwargs: Any) -> Response:
        """On 401 INVALID_TOKEN refresh once and re-send the same request (requests' auth-hook pattern)."""
        if response.status_code != 401 or getattr(response.request, "_zoho_resent", False):
            return response
        if b"INVALID_TOKEN" not in response.content and b"invalid oauth token" not in response.content:
            return response
        used = response.request.headers.get("Authorization", "").removeprefix("Zoho-oauthtoken ")
        token = self.current_token(reject=used)
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        retry._zoho_resent = True  # type: ignore[attr-defined]
        resent = response.connection.send(retry, **kwargs)
        resent.history.append(response)
        resent.request = retry
        return resent

    # --- token management --------------------------------------------------------------------------
    def current_token(self, reject: str | None = None) -> str:
        """A valid access token; `reject` is one Zoho just refused (refresh unless already replaced)."""
        with self._lock:
            if reject is not None and self.access_token == reject:
                self.access_token, self.expires_at = None, 0.0
            if self._usable(self.access_token, self.expires_at):
                return self.access_token
            if self.token_cache is not None:
                cached = self.token_cache.load()
                if cached and cached[0] != reject and self._usable(*cached):
                    self.access_token, self.expires_at = cached
                    return self.access_token
            self.obtain_token()
            return self.access_token

    @staticmethod
    def _usable(token: str | None, expires_at: float) -> bool:
        return bool(token) and time.time() < expires_at - settings.TOKEN_EXPIRY_MARGIN_SECONDS

    def obtain_token(self) -> None:
        """Mint an access token with the refresh-token grant (call with the lock held)."""
        self._respect_refresh_limit()
        response = self._token_http.post(
            f"{self.accounts_url.rstrip('/')}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "refresh_token": self.refresh_token,
            },
        )
        self._mint_times.append(time.time())
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = {}
        if response.status_code >= 400 or "access_token" not in body:
            raise ZohoAuthError(self._describe_token_error(response.status_code, body))
        self.access_token = body["access_token"]
        expires_in = float(body.get("expires_in", 3600))
        if "expires_in_sec" in body:  # old responses: expires_in in milliseconds
            expires_in = float(body["expires_in_sec"])
        self.expires_at = time.time() + expires_in
        self.api_domain = body.get("api_domain") or self.api_domain
        self.tokens_minted += 1
        if self.token_cache is not None:
            self.token_cache.save(self.access_token, self.expires_at)

    def _respect_refresh_limit(self) -> None:
        """Wait rather than exceed Zoho's 10 tokens per 10 minutes (over it Zoho locks us out)."""
        if len(self._mint_times) < settings.TOKEN_REFRESH_LIMIT:
            return
        wait = self._mint_times[0] + settings.TOKEN_REFRESH_WINDOW_SECONDS - time.time()
        if wait > 0:
            time.sleep(wait)

    @staticmethod
    def _describe_token_error(status: int, body: dict) -> str:
        error = str(body.get("error") or f"HTTP {status}")
        if error == "invalid_code":
            return f"Zoho says the refresh token is revoked or invalid (invalid_code): {RECONNECT_HINT}."
        if error == "invalid_client":
            return (
                "Zoho does not recognise the client id/secret for this data centre (invalid_client): "
                f"check the accounts URL and {RECONNECT_HINT}."
            )
        if "too many requests" in str(body.get("error_description", "")).lower():
            return "Zoho is throttling token requests (too many in 10 minutes): wait 10 minutes and retry."
        return f"Zoho refused to issue an access token ({error}): {RECONNECT_HINT}."
