"""A real router process in front of the real fake upstream, with traffic, for the Prometheus
tests: the metric families a scrape really has, and a target for a real Prometheus."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.router.harness import (
    PROVIDER_KEY,
    G,
    Mock,
    Router,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_mock,
    run_router,
)

GROUP = "chat"

# What the exposition format adds to a family's name, per type (OpenMetrics/Prometheus text).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "unknown": ("",),
}


def series_names(text: str) -> set[str]:
    """Every sample name a scrape can carry: from each family's TYPE (families without children
    yet still have HELP/TYPE lines) and from the samples present."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + s for s in SUFFIXES[family.type])
        names.update(sample.name for sample in family.samples)
    return names


@contextlib.contextmanager
def router_stack(tmp: Path) -> Iterator[tuple[Router, Mock]]:
    """Two providers behind one weighted group, every capability proven, prices set."""
    with run_mock() as mock:
        mock.scenario({"defaults": {"apiKey": PROVIDER_KEY}})
        a = provider("a", mock.url + "/v1")
        b = provider("b", mock.url + "/v1")
        config = build([a, b], [G(GROUP, [T("a"), T("b")])], [evidence(a), evidence(b)])
        with run_router(tmp, config, provider_keys("a", "b")) as router:
            yield router, mock


def chat(router: Router, n: int, stream: bool = False) -> list[int]:
    """`n` chat completions through the router; their HTTP statuses."""
    statuses = []
    with httpx.Client(base_url=router.url, timeout=30) as client:
        for _ in range(n):
            r = client.post(
                "/v1/chat/completions",
                json={
                    "model": GROUP,
                    "messages": [{"role": "user", "content": "hi"}],
                    "stream": stream,
                },
            )
            statuses.append(r.status_code)
    return statuses
