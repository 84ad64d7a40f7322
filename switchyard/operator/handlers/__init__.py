"""Thin kopf handlers, one module per kind, registered into an explicit registry."""

from __future__ import annotations

import kopf

from .. import view
from ..settings import OperatorSettings
from . import modelgroup, provider, smokerun


def register(registry: kopf.OperatorRegistry, settings: OperatorSettings) -> None:
    """Every handler the operator runs, with the timer intervals from settings, and the
    indices of the catalog view they read."""
    view.register(registry)
    provider.register(registry, settings.reconcile_interval_seconds)
    smokerun.register(registry, settings.smoke_poll_seconds)
    modelgroup.register(registry, settings.reconcile_interval_seconds)


__all__ = ["register"]
