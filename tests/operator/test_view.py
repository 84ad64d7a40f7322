"""The catalog view: what the index handlers keep of each body and what reconciles read back."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from switchyard.catalog import ModelGroup, Provider, Resource, SmokeRun
from switchyard.operator.view import INDEX, CatalogView, indexer
from tests.catalog.factories import provider, row, smoke_run

NS = "t"


class Indices:
    """kopf's indices as the handlers read them: index name -> key -> the values stored there.
    Filled by the real index handlers, one body at a time."""

    def __init__(self) -> None:
        self.kinds: dict[str, dict[Any, list[Any]]] = {n: defaultdict(list) for n in INDEX.values()}

    async def add(self, cls: type[Resource], body: dict[str, Any]) -> None:
        for key, value in (await indexer(cls)(body=body, namespace=NS)).items():
            self.kinds[INDEX[cls]][key].append(value)

    def view(self) -> CatalogView:
        return CatalogView.of(NS, {n: dict(v) for n, v in self.kinds.items()})


def body(obj: Resource, version: str = "1", **meta: Any) -> dict[str, Any]:
    out = obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    out["metadata"] |= {"resourceVersion": version, **meta}
    return out


def group(name: str, *providers: str) -> ModelGroup:
    targets = [{"provider": p, "model": "m", "weight": 1} for p in providers]
    return ModelGroup.model_validate(
        {
            "kind": "ModelGroup",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"strategy": "static", "targets": targets},
        }
    )


async def test_invalid_and_deleting_objects_are_named_but_never_returned() -> None:
    idx = Indices()
    await idx.add(Provider, body(provider("good")))
    await idx.add(Provider, body(provider("going"), deletionTimestamp="2026-11-20T10:00:00Z"))
    broken = body(provider("broken"))
    broken["spec"]["dialect"] = "no-such-dialect"
    await idx.add(Provider, broken)
    view = idx.view()
    assert [p.name for p in view.all(Provider)] == ["good"]
    assert view.names(Provider) == {"good", "going", "broken"}
    assert view.all(ModelGroup) == []


async def test_runs_for_finds_direct_and_router_evidence_of_each_provider_once() -> None:
    idx = Indices()
    await idx.add(SmokeRun, body(smoke_run("direct-a", [row("text")], provider="a")))
    await idx.add(SmokeRun, body(smoke_run("direct-b", [row("text")], provider="b")))
    routed = smoke_run(
        "through",
        [row("text", layer="router", selectedUpstream="a/m"), row("usage", selectedUpstream="c/m")],
        group="g",
    )
    await idx.add(SmokeRun, body(routed))
    view = idx.view()
    assert sorted(r.name for r in view.runs_for(["a"])) == ["direct-a", "through"]
    assert sorted(r.name for r in view.runs_for(["a", "c"])) == ["direct-a", "through"]
    assert [r.name for r in view.runs_for(["b"])] == ["direct-b"]
    assert view.runs_for(["nobody"]) == []
    assert len(view.all(SmokeRun)) == 3


class Api:
    """The one API read the view makes (Kube.get_custom), answered from a dict."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.objects = objects
        self.reads: list[str] = []

    async def get_custom(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        self.reads.append(f"{plural}/{name}")
        return self.objects.get((plural, name))


async def test_resolve_reads_only_names_the_view_has_never_seen() -> None:
    idx = Indices()
    await idx.add(Provider, body(provider("known")))
    going = body(provider("going"), deletionTimestamp="2026-11-20T10:00:00Z")
    await idx.add(Provider, going)
    api = Api({("providers", "new"): body(provider("new"))})
    found = await idx.view().resolve(api, Provider, ["known", "new", "missing", "going"])  # type: ignore[arg-type]
    assert sorted(found) == ["known", "new"]
    assert api.reads == ["providers/missing", "providers/new"]


async def test_the_fingerprint_follows_every_version() -> None:
    idx = Indices()
    await idx.add(Provider, body(provider("p"), "1"))
    await idx.add(ModelGroup, body(group("g", "p"), "5"))
    before = idx.view().fingerprint()
    assert idx.view().fingerprint() == before
    idx.kinds[INDEX[ModelGroup]].clear()
    await idx.add(ModelGroup, body(group("g", "p"), "6"))
    assert idx.view().fingerprint() != before
