"""Weights, sticky sessions, fallback, Retry-After, timeouts, ejection and mid-stream failure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from .harness import G, Mock, Router, T, build, evidence, provider, provider_keys, run_router

MSG = [{"role": "user", "content": "hi"}]
NAMES = ("a", "b", "c", "d", "e")


def _config(mock: Mock, groups: list[G]):  # type: ignore[no-untyped-def]
    providers = [provider(n, mock.url + "/v1", models={"m": f"model-{n}"}) for n in NAMES]
    return build(providers, groups, [evidence(p) for p in providers])


GROUPS = [
    G("weighted", [T("a", weight=75), T("b", weight=25)]),
    G("sticky", [T("a", weight=50), T("b", weight=50)], sessions={"header": "X-Session-Id"}),
    G("prefer-a", [T("a", weight=10000), T("b", weight=1)]),
    G("alone", [T("c")], max_attempts=3),
    G("pair", [T("c", weight=50), T("d", weight=50)], max_attempts=2),
    G("prefer-d", [T("d", weight=10000), T("c", weight=1)]),
    # its own target: the Retry-After cooldown it earns must not reach other tests' targets
    G("alone-e", [T("e")]),
]


def _router(tmp: Path, mock: Mock, eject_after: int) -> Any:
    env = {
        "SWITCHYARD_ROUTER_READ_TIMEOUT": "2",  # far above any healthy answer on a busy machine
        "SWITCHYARD_ROUTER_EJECT_AFTER_FAILURES": str(eject_after),
        # longer than any test: the return after cooling is shown with a stepped clock
        # (tests/router/test_health.py), never by sleeping through the period
        "SWITCHYARD_ROUTER_EJECT_SECONDS": "3600",
    }
    return run_router(tmp, _config(mock, GROUPS), provider_keys(*NAMES), **env)


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, mock_process: Mock) -> Iterator[Router]:
    """Failures never eject here, so each test sees every target."""
    with _router(tmp_path_factory.mktemp("sel"), mock_process, 1000) as r:
        yield r


@pytest.fixture
def ejecting(tmp_path: Path, mock_process: Mock) -> Iterator[Router]:
    """Two consecutive failures eject a target (for an hour: no test outlives it)."""
    with _router(tmp_path, mock_process, 2) as r:
        yield r


def _post(
    router: Router, group: str, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    body = {"model": group, "messages": MSG, **extra}
    return httpx.post(f"{router.v1}/chat/completions", json=body, headers=headers, timeout=10)


def _row(router: Router) -> dict[str, Any]:
    return router.usage_rows()[-1]


def test_weights_hold_within_tolerance(router: Router, mock: Mock) -> None:
    served = Counter(_post(router, "weighted").headers["x-switchyard-upstream"] for _ in range(400))
    assert 0.67 <= served["a/m"] / 400 <= 0.83, served
    assert served["a/m"] + served["b/m"] == 400


def test_sticky_sessions_keep_their_target(router: Router, mock: Mock) -> None:
    seen: dict[str, set[str]] = {}
    for session in (f"s{i}" for i in range(8)):
        for _ in range(6):
            r = _post(router, "sticky", {"X-Session-Id": session})
            seen.setdefault(session, set()).add(r.headers["x-switchyard-upstream"])
    assert all(len(targets) == 1 for targets in seen.values()), seen
    assert set().union(*seen.values()) == {"a/m", "b/m"}  # sessions spread over both


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        ({"failure": {"kind": "server"}}, "UpstreamError"),
        ({"failure": {"kind": "overloaded", "status": 503}}, "UpstreamError"),
        ({"latencyMs": 4000}, "Timeout"),  # twice the read timeout
    ],
)
def test_fallback_on_5xx_and_timeout(
    router: Router, mock: Mock, failure: dict[str, Any], error_class: str
) -> None:
    mock.scenario({"models": {"model-a": failure}})
    r = _post(router, "prefer-a")
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "OK"
    assert r.headers["x-switchyard-upstream"] == "b/m"
    row = _row(router)
    assert row["fallback"] is True and row["attempts"] == 2 and row["selected_upstream"] == "b/m"
    metrics = router.metrics()
    assert 'switchyard_fallbacks_total{group="prefer-a",model="m",provider="a"}' in metrics
    assert f'error_class="{error_class}",group="prefer-a",model="m",provider="a"' in metrics


def test_429_falls_back_and_respects_retry_after(router: Router, mock: Mock) -> None:
    mock.scenario({"models": {"model-a": {"failure": {"kind": "rate_limit", "retryAfter": 30}}}})
    for _ in range(5):
        r = _post(router, "prefer-a")
        assert r.status_code == 200 and r.headers["x-switchyard-upstream"] == "b/m"
    assert mock.count("model-a") == 1  # cooled down for Retry-After, not asked again


def test_last_target_429_reaches_caller_with_retry_after(router: Router, mock: Mock) -> None:
    mock.scenario({"models": {"model-e": {"failure": {"kind": "rate_limit", "retryAfter": 7}}}})
    oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
    with pytest.raises(openai.RateLimitError) as err:
        oai.chat.completions.create(model="alone-e", messages=MSG)  # type: ignore[arg-type]
    assert err.value.response.headers["retry-after"] == "7"
    again = _post(router, "alone-e")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    assert mock.count("model-e") == 1


def test_client_errors_do_not_fall_back(router: Router, mock: Mock) -> None:
    mock.scenario({"models": {"model-d": {"failure": {"kind": "bad_request"}}}})
    r = _post(router, "prefer-d")
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
    assert mock.count("model-d") == 1 and mock.count("model-c") == 0


def test_ejection_keeps_a_failing_target_out(ejecting: Router, mock: Mock) -> None:
    router = ejecting
    mock.scenario({"models": {"model-c": {"failure": {"kind": "server"}}}})
    for _ in range(12):
        assert _post(router, "pair").status_code == 200  # c fails, d serves
    assert 'switchyard_ejections_total{group="pair",model="m",provider="c"}' in router.metrics()
    assert mock.count("model-c") >= 2
    mock.scenario({})  # healed (counts start again), but the ejection period is not over
    for _ in range(10):
        assert _post(router, "pair").headers["x-switchyard-upstream"] == "d/m"
    assert mock.count("model-c") == 0  # ejected: not tried


def test_last_target_is_never_ejected(ejecting: Router, mock: Mock) -> None:
    router = ejecting
    mock.scenario({"models": {"model-c": {"failure": {"kind": "server", "times": 6}}}})
    for _ in range(3):
        assert _post(router, "alone").status_code == 502
    assert mock.count("model-c") == 3  # no other target: still tried every time
    assert 'switchyard_ejections_total{group="alone"' not in router.metrics()
    for _ in range(3):
        _post(router, "alone")
    assert _post(router, "alone").status_code == 200


@pytest.mark.parametrize("mode", ["disconnect", "error"])
def test_mid_stream_failure_ends_with_error_event(router: Router, mock: Mock, mode: str) -> None:
    mock.scenario({"models": {"model-c": {"reply": "one two three four five six seven",
                                          "midStream": {"afterEvents": 2, "mode": mode}}}})  # fmt: skip
    oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
    seen = len(router.usage_rows())
    got: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in oai.chat.completions.create(model="alone", messages=MSG, stream=True):  # type: ignore[arg-type]
            got.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(got) == "one two three "  # what arrived before the break was relayed
    assert mock.count("model-c") == 1  # no fallback once bytes reached the caller
    row = router.wait_usage_rows(seen + 1)[seen]  # a stream's row follows its last byte
    assert row["status"] == 200 and row["error_class"] in ("UpstreamError", "BadResponse")
    assert row["fallback"] is False and row["stream"] is True
    router.wait_metric(f'error_class="{row["error_class"]}",group="alone"')
