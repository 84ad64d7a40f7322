"""Each namespace's catalog as the watch streams deliver it: kopf indices, parsed once a change.

Reconciles read Providers, ModelGroups and SmokeRuns from here instead of listing every kind of
the namespace on every reconcile (a burst of N objects meant N lists of N objects, each parsed
anew: quadratic in the catalog). kopf keeps the indices from the same watch events it handles,
fills them from its initial listing before any handler runs, and drops a deleted object at
once. A body being deleted, or one the catalog models refuse, is indexed as a placeholder and
never returned: what a reconcile sees is what `parse_all` of a fresh list showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import kopf
from pydantic import ValidationError

from switchyard.catalog import Layer, ModelGroup, Provider, Resource, SmokeRun

from .bodies import deleting, parse
from .kube import Kube

R = TypeVar("R", bound=Resource)
# kopf passes each index to the handlers as a keyword argument named by its id
INDEX = {Provider: "switchyard_providers", ModelGroup: "switchyard_modelgroups"}
INDEX[SmokeRun] = "switchyard_smokeruns"


# the kinds whose level reconciles run from a sweep over the index (handlers.sweep): their
# entries keep the body the watch delivered, which the sweep reconciles
SWEPT: set[type[Resource]] = {Provider}


@dataclass(frozen=True, eq=True)
class Entry(Generic[R]):
    """One object as last seen: its name, resourceVersion and model (None: not usable), and
    for a swept kind its body (None: being deleted)."""

    name: str
    version: str
    obj: R | None
    body: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


def entry(cls: type[R], body: Mapping[str, Any]) -> Entry[R]:
    meta = body.get("metadata") or {}
    obj: R | None = None
    gone = deleting(body)
    if not gone:
        try:
            obj = parse(cls, body)
        except ValidationError:
            obj = None
    kept = body if cls in SWEPT and not gone else None
    return Entry(str(meta.get("name") or ""), str(meta.get("resourceVersion") or ""), obj, kept)


def _keys(cls: type[Resource], namespace: str, item: Entry[Any]) -> list[Any]:
    """Where an object is indexed: its namespace (all of a kind), (namespace, name) for lookups,
    and for a SmokeRun (namespace, provider) for every Provider whose evidence it holds."""
    if cls is not SmokeRun:
        return [namespace, (namespace, item.name)]
    run: SmokeRun | None = item.obj
    keys: list[Any] = [namespace]
    if run is None:
        return keys
    if run.spec.layer is Layer.DIRECT:
        providers = {run.spec.target.provider} if run.spec.target.provider else set()
    else:
        upstreams = (r.selected_upstream or "" for r in run.status.results)
        providers = {u.partition("/")[0] for u in upstreams if "/" in u}
    return keys + [(namespace, p) for p in sorted(providers)]


def indexer(cls: type[R]) -> Any:
    """The kopf index handler of a kind (async: kopf runs sync handlers in threads)."""

    async def index(body: kopf.Body, namespace: str | None, **_: Any) -> dict[Any, Entry[R]]:
        item = entry(cls, body)
        return dict.fromkeys(_keys(cls, namespace or "", item), item)

    return index


def register(registry: kopf.OperatorRegistry) -> None:
    for cls, name in INDEX.items():
        kopf.index(cls.GROUP, cls.VERSION, cls.PLURAL, id=name, registry=registry)(indexer(cls))


def _live(entries: Iterable[Entry[R]]) -> list[R]:
    return [e.obj for e in entries if e.obj is not None]


@dataclass(frozen=True)
class CatalogView:
    """One namespace's catalog, read from the indices of the handler's kwargs."""

    namespace: str
    indices: Mapping[str, Any]

    @classmethod
    def of(cls, namespace: str, kwargs: Mapping[str, Any]) -> CatalogView:
        return cls(namespace, {name: kwargs[name] for name in INDEX.values()})

    def _store(self, kind: type[R], key: Any) -> Iterable[Entry[R]]:
        index = self.indices[INDEX[kind]]
        found: Iterable[Entry[R]] = index.get(key, ())
        return found

    def all(self, kind: type[R]) -> list[R]:
        """The namespace's valid, live objects of a kind."""
        return _live(self._store(kind, self.namespace))

    async def resolve(self, kube: Kube, kind: type[R], names: Iterable[str]) -> dict[str, R]:
        """The named objects that exist and are valid. A name the view has never seen is read
        from the API: an object created a moment ago may not have reached the view yet, and
        "not found" is a verdict (TargetNotFound, RenderFailed) worth a GET to be sure of."""
        out: dict[str, R] = {}
        for name in sorted(set(names)):
            seen = list(self._store(kind, (self.namespace, name)))
            if seen:
                obj = seen[0].obj
            else:
                body = await kube.get_custom(self.namespace, kind.PLURAL, name)
                obj = entry(kind, body).obj if body is not None else None
            if obj is not None:
                out[name] = obj
        return out

    def entry(self, kind: type[R], name: str) -> Entry[R] | None:
        """The object as the watch delivered it last (None: the view has not seen it)."""
        return next(iter(self._store(kind, (self.namespace, name))), None)

    def entries(self, kind: type[R]) -> list[Entry[R]]:
        """Every object of the kind, valid or not."""
        return list(self._store(kind, self.namespace))

    def names(self, kind: type[Resource]) -> set[str]:
        """Every object's name, valid or not (what a create would conflict with)."""
        return {e.name for e in self._store(kind, self.namespace)}

    def runs_for(self, providers: Iterable[str]) -> list[SmokeRun]:
        """The SmokeRuns holding evidence for any of these Providers (direct or through the
        router), each once."""
        seen: dict[str, SmokeRun] = {}
        for name in providers:
            for run in _live(self._store(SmokeRun, (self.namespace, name))):
                seen.setdefault(run.name, run)
        return list(seen.values())

    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        """Which version of every object the namespace holds: equal fingerprints, equal
        catalogs (a render of the same catalog is the same)."""
        return tuple(
            sorted(
                (f"{INDEX[kind]}/{e.name}", e.version)
                for kind in INDEX
                for e in self._store(kind, self.namespace)
            )
        )
