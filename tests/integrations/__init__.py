"""Tests of connected Zoho accounts: store, secrets, OAuth with the simulator, CLI."""
