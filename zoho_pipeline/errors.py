"""Errors whose message tells the user what to do; the CLI prints them as one line, never a traceback."""
from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: the message says how."""

    exit_code = 1
