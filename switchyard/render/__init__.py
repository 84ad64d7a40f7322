"""Render: catalog objects (spec + status) -> RouterConfig. Pure and deterministic."""

from .router_config import RenderOptions, apply_evidence, effective_weight, render

__all__ = ["RenderOptions", "apply_evidence", "effective_weight", "render"]
