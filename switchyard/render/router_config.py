"""Catalog objects -> RouterConfig.

Same input, byte-identical output: objects are sorted by name, and the revision is a hash of the
content. Weights come from ModelGroup status (written by the operator's promotion service), but
evidence always has the last word: a target whose evidence does not cover the group's required
capabilities, or that is access-blocked, renders with weight 0 whatever status says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from switchyard.catalog import (
    Capability,
    CatalogError,
    Layer,
    ModelGroup,
    ModelStatus,
    Provider,
    ProviderModel,
    RouterBridge,
    RouterConfig,
    RouterGroup,
    RouterModel,
    RouterProvider,
    RouterSettings,
    RouterTarget,
    SessionBackend,
    SmokeRun,
    Stage,
    Strategy,
    Target,
    derive_model_status,
)


@dataclass(frozen=True)
class RenderOptions:
    namespace: str | None = None
    settings: RouterSettings = field(default_factory=RouterSettings)
    replicas: int = 1  # router replicas that will serve the config (stateful sessions care)
    workers: int = 1  # router processes per replica (`router --workers`), each its own memory


def apply_evidence(providers: Sequence[Provider], smoke_runs: Sequence[SmokeRun]) -> list[Provider]:
    """Providers with each model's status recomputed from the SmokeRuns that concern it.

    A model no given SmokeRun concerns keeps the status it has (the operator may have pruned
    old runs; its status is then the record).
    """
    # Index the runs once: scanning every run for every model is quadratic on large catalogs.
    by_target: dict[tuple[str, str], list[SmokeRun]] = {}
    for run in smoke_runs:
        keys = {(run.spec.target.provider or "", run.spec.target.model or "")}
        if run.spec.layer is not Layer.DIRECT:
            ups = {r.selected_upstream for r in run.status.results if r.selected_upstream}
            keys = {(p, m) for p, _, m in (u.partition("/") for u in ups)}
        for key in keys:
            by_target.setdefault(key, []).append(run)
    out = []
    for provider in providers:
        models: list[ModelStatus] = []
        for m in provider.spec.models:
            runs = by_target.get((provider.name, m.name), [])
            if runs:
                models.append(
                    derive_model_status(
                        m.name, provider.spec.dialect, runs, (provider.name, m.name)
                    )
                )
            elif (existing := provider.status.model(m.name)) is not None:
                models.append(existing)
        # shallow copies: only status.models is replaced, nothing else is mutated
        status = provider.status.model_copy(update={"models": models})
        out.append(provider.model_copy(update={"status": status}))
    return out


def _allowed(spec: ProviderModel, caps: list[Capability]) -> list[Capability]:
    if spec.allow is None:
        return caps
    return [c for c in caps if c in spec.allow]


def effective_weight(
    group: ModelGroup, target: Target, spec: ProviderModel, status: ModelStatus | None
) -> tuple[int, Stage]:
    """The weight the router may use for one target now, and the stage it reflects."""
    proven = set(_allowed(spec, status.verified.capabilities())) if status else set()
    required = set(group.spec.promotion.required_capabilities) | {Capability.TEXT}
    if status is None or status.access_failure is not None or not required <= proven:
        return 0, Stage.CATALOG_ONLY
    if group.spec.access.restricted:
        return target.weight, Stage.SMOKE_ONLY
    if group.spec.strategy is Strategy.STATIC:
        return target.weight, Stage.ACTIVE
    progress = group.status.target(target.provider, target.model)
    if progress is None or progress.stage not in (Stage.LIMITED, Stage.ACTIVE):
        return 0, progress.stage if progress else Stage.SMOKE_ONLY
    return min(progress.effective_weight, target.weight), progress.stage


def _router_model(spec: ProviderModel, status: ModelStatus | None) -> RouterModel:
    enabled = spec.bridges.enabled() if spec.bridges else []
    evidence = {b.direction: b for b in status.bridges} if status else {}
    return RouterModel(
        name=spec.name,
        model=spec.model,
        context_window=spec.context_window,
        pricing=spec.pricing,
        verified=_allowed(spec, status.verified.capabilities()) if status else [],
        router_verified=_allowed(spec, status.router_verified.capabilities()) if status else [],
        reasoning_control=status.reasoning_control if status else None,
        hosted_tools=[h.name for h in status.hosted_tools] if status else [],
        honors_max_tokens=status.honors_max_tokens if status else None,
        force_store_false=True if spec.force_store_false else None,
        access_failure=status.access_failure if status else None,
        bridges=[
            RouterBridge(
                direction=d,
                verified=_allowed(spec, evidence[d].verified.capabilities())
                if d in evidence
                else [],
            )
            for d in enabled
        ],
    )


def _check_namespace(
    objs: Sequence[Provider | ModelGroup | SmokeRun], namespace: str | None
) -> None:
    spaces = {o.metadata.namespace for o in objs if o.metadata.namespace}
    if namespace is None and len(spaces) > 1:
        raise CatalogError(
            [f"objects from several namespaces ({', '.join(sorted(spaces))}): pick one"]
        )


def render(
    providers: Sequence[Provider],
    groups: Sequence[ModelGroup],
    smoke_runs: Sequence[SmokeRun] = (),
    options: RenderOptions | None = None,
) -> RouterConfig:
    """Render one namespace's catalog; raises CatalogError naming object and field path."""
    options = options or RenderOptions()
    ns = options.namespace

    def keep(o: Provider | ModelGroup | SmokeRun) -> bool:
        return ns is None or o.metadata.namespace in (None, ns)

    providers = [p for p in providers if keep(p)]
    groups = [g for g in groups if keep(g)]
    smoke_runs = [s for s in smoke_runs if keep(s)]
    _check_namespace([*providers, *groups, *smoke_runs], ns)
    namespace = ns or next(
        (o.metadata.namespace for o in [*providers, *groups] if o.metadata.namespace), None
    )

    problems: list[str] = []
    by_name: dict[str, Provider] = {}
    for p in providers:
        if p.name in by_name:
            problems.append(f"{p.ref()}: metadata.name: duplicate Provider")
        by_name[p.name] = p
    resolved = {p.name: p for p in apply_evidence(list(by_name.values()), smoke_runs)}

    router_groups = []
    for g in sorted(groups, key=lambda g: g.name):
        targets = []
        for i, t in enumerate(g.spec.targets):
            provider = resolved.get(t.provider)
            if provider is None:
                problems.append(
                    f"{g.ref()}: spec.targets[{i}].provider: Provider {t.provider!r} not found"
                )
                continue
            spec = provider.spec.model(t.model)
            if spec is None:
                problems.append(
                    f"{g.ref()}: spec.targets[{i}].model: Provider {t.provider!r} has no model {t.model!r}"
                )
                continue
            weight, stage = effective_weight(g, t, spec, provider.status.model(t.model))
            targets.append(
                RouterTarget(
                    provider=t.provider,
                    model=t.model,
                    weight=weight,
                    tool_only=t.tool_only,
                    stage=stage,
                )
            )
        if (
            g.spec.sessions.stateful
            and options.replicas * options.workers > 1
            and options.settings.session_backend is SessionBackend.MEMORY
        ):
            problems.append(
                f"{g.ref()}: spec.sessions.stateful: stateful sessions need sessionBackend redis "
                f"with {options.replicas} router replicas"
                + (f" of {options.workers} workers" if options.workers > 1 else "")
                + " (memory state lives in one router process)"
            )
            continue
        ref = g.spec.access.caller_secret_ref
        router_groups.append(
            RouterGroup(
                name=g.name,
                strategy=g.spec.strategy,
                restricted=g.spec.access.restricted,
                caller_secret=ref.name if ref else None,
                fallback_max_attempts=g.spec.fallback.max_attempts,
                sessions=g.spec.sessions,
                require_usage=g.spec.promotion.gates.require_usage,
                targets=targets,
            )
        )
    if problems:
        raise CatalogError(problems)

    router_providers = [
        RouterProvider(
            name=p.name,
            base_url=p.spec.base_url.rstrip("/"),
            allow_link_local=True if p.spec.allow_link_local else None,
            dialect=p.spec.dialect,
            auth_scheme=p.spec.auth.scheme,
            key_id=p.spec.auth.key_id,
            secret=p.spec.auth.secret_ref,
            headers=p.spec.headers,
            locality=p.spec.locality,
            platform=p.spec.platform,
            region=p.spec.region,
            project=p.spec.project,
            models=[
                _router_model(m, p.status.model(m.name))
                for m in sorted(p.spec.models, key=lambda m: m.name)
            ],
        )
        for p in sorted(resolved.values(), key=lambda p: p.name)
    ]
    config = RouterConfig(
        namespace=namespace,
        settings=options.settings,
        providers=router_providers,
        groups=router_groups,
    )
    return config.with_revision()
