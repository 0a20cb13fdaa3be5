"""Zoho's retry policy on dlt's retrying `requests` client: one place for the token and the API calls."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from dlt.sources.helpers.requests import Client
from tenacity import wait_random
from urllib3.exceptions import ProtocolError, ReadTimeoutError

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


def read_body(response: requests.Response) -> bytes:
    """The response body, read in one call. requests reads it 10 KB at a time, and each chunk costs the
    parallel record walks a trip through the GIL: a 300 KB record page took ~1.2 ms of CPU that way,
    ~0.3 ms like this. Errors are requests' own, so dlt's retries treat a cut-off body as before."""
    if not response._content_consumed and response.raw is not None:
        try:
            body = response.raw.read(decode_content=True)
        except ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from error
        except ReadTimeoutError as error:
            raise requests.exceptions.ConnectionError(error) from error
        response._content = body or b""
        response._content_consumed = True
    return response.content
