"""Zoho's request-level error envelope and the codes the simulator answers with."""

from __future__ import annotations


class ZohoError(Exception):
    """An error answered as {"code","details","message","status":"error"} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def body(self) -> dict:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


def invalid_token() -> ZohoError:
    return ZohoError(401, "INVALID_TOKEN", "invalid oauth token")


def scope_mismatch() -> ZohoError:
    return ZohoError(401, "OAUTH_SCOPE_MISMATCH", "Unauthorized")


def too_many_requests(reason: str) -> ZohoError:
    # guessed: message text and empty details (reference §8.4 leaves both unconfirmed)
    return ZohoError(429, "TOO_MANY_REQUESTS", reason)


def internal_error() -> ZohoError:
    return ZohoError(500, "INTERNAL_ERROR", "Internal Server Error")


def invalid_module() -> ZohoError:
    return ZohoError(
        400, "INVALID_MODULE", "the module name given seems to be invalid", {"resource_path_index": 0}
    )


def invalid_url() -> ZohoError:
    return ZohoError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")


def required_param(name: str) -> ZohoError:
    return ZohoError(
        400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param_name": name}
    )


def invalid_param(name: str, message: str = "invalid data", **extra) -> ZohoError:
    return ZohoError(400, "INVALID_DATA", message, {"param_name": name, **extra})
