"""Zoho's retry policy on dlt's retrying `requests` client: one place for the token and the API calls."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlt.sources.helpers.requests import Client
from tenacity import wait_random

from zoho_pipeline.sources.zoho import settings


def retrying_client(retry_condition: Callable[..., bool], jitter: bool = False) -> Client:
    """dlt's `Client` with our timeout and backoff; `retry_condition(response, exception)` adds Zoho's
    own retryable answers (a throttled token call, a page that is not JSON) to 429, 5xx and dropped
    connections. HTTP errors are returned, not raised: the callers read Zoho's error bodies.
    `jitter`: for calls made from parallel threads, so they do not retry in lockstep."""
    client = Client(
        request_timeout=settings.REQUEST_TIMEOUT,
        raise_for_status=False,
        request_max_attempts=settings.REQUEST_MAX_ATTEMPTS,
        request_backoff_factor=settings.REQUEST_BACKOFF_FACTOR,
        request_max_retry_delay=settings.REQUEST_MAX_RETRY_DELAY,
        retry_condition=retry_condition,
    )
    if jitter:
        _add_jitter(client)
    return client


def _add_jitter(client: Client) -> None:
    """dlt's retry waits exponentially; add a random part to each wait."""
    make_session = client._make_session

    def make_session_with_jitter() -> Any:
        session = make_session()
        retrying = session.send.retry  # tenacity's wrapped function exposes its Retrying
        retrying.wait = retrying.wait + wait_random(0, settings.REQUEST_BACKOFF_FACTOR)
        return session

    client._make_session = make_session_with_jitter  # type: ignore[method-assign]
