"""Membership hooks: code told when an integration is added or removed (Dagster's dynamic partitions).

Register with the decorator::

    from zoho_pipeline.integrations import on_membership_change

    @on_membership_change
    def sync_partition(event: str, integration: Integration) -> None:  # event: "added" | "removed"
        ...

The CLI never imports Dagster code, so before the first notification the module named by
`HOOK_MODULE` is imported if it exists; it registers its hooks at import. A hook that fails is logged
and does not undo the change: the integration is already stored (a Dagster sensor can reconcile).
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoho_pipeline.integrations.store import Integration

MembershipHook = Callable[[str, "Integration"], None]

HOOK_MODULE = "zoho_pipeline.defs.integration_hooks"

_hooks: list[MembershipHook] = []
_hook_module_loaded = False
log = logging.getLogger(__name__)


def on_membership_change(hook: MembershipHook) -> MembershipHook:
    """Call `hook(event, integration)` after each add ("added") and remove ("removed")."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def remove_hook(hook: MembershipHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def notify(event: str, integration: Integration) -> None:
    _load_hook_module()
    for hook in list(_hooks):
        try:
            hook(event, integration)
        except Exception as error:  # the change is made; a hook must not make it look failed
            log.warning("membership hook %s failed for %s %s: %s", hook, event, integration.id, error)


def _load_hook_module() -> None:
    global _hook_module_loaded
    if _hook_module_loaded:
        return
    _hook_module_loaded = True
    try:
        importlib.import_module(HOOK_MODULE)
    except ModuleNotFoundError as error:
        if error.name not in (HOOK_MODULE, HOOK_MODULE.rsplit(".", 1)[0]):
            log.warning("cannot load %s: %s", HOOK_MODULE, error)
    except Exception as error:
        log.warning("cannot load %s: %s", HOOK_MODULE, error)
