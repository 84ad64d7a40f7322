"""Upstream replies longer than the router takes (SWITCHYARD_ROUTER_MAX_REPLY_BYTES): a whole
JSON reply, and one stream event that has not ended. Either is a BadResponse: the healthy
fallback target answers while nothing reached the caller, a stream already under way ends with
the caller's error event, and the usage row says so. The router never holds more than the limit
of one reply (an upstream could otherwise make it buffer without bound)."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from switchyard.wire import SSEParser

from .harness import (
    PROVIDER_KEY,
    G,
    Mock,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_router,
)

LIMIT = 65_536
HUGE = "x" * (1024 * 1024)  # one word: one 1 MiB stream event, a reply of more than 1 MiB
MSG = [{"role": "user", "content": "hi"}]


def _config(mock: Mock):  # type: ignore[no-untyped-def]
    a = provider("a", mock.url + "/v1", models={"m": "huge-model"})
    b = provider("b", mock.url + "/v1", models={"m": "fine-model"})
    groups = [G("alone", [T("a")]), G("fallback", [T("a", weight=10_000), T("b", weight=1)])]
    return build([a, b], groups, [evidence(a), evidence(b)])


def _stream_events(body: bytes) -> list[dict[str, object]]:
    parser = SSEParser()
    events = parser.feed(body) + parser.flush()
    return [orjson.loads(e.data) for e in events if not e.done]


def test_a_reply_or_an_event_past_the_limit_is_a_bad_response(tmp_path: Path, mock: Mock) -> None:
    mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                   "models": {"huge-model": {"reply": HUGE}}})  # fmt: skip
    env = {"SWITCHYARD_ROUTER_MAX_REPLY_BYTES": str(LIMIT)}
    with run_router(tmp_path, _config(mock), provider_keys("a", "b"), **env) as router:
        url = router.v1 + "/chat/completions"
        ids = []
        with httpx.Client(timeout=60) as client:
            whole = client.post(
                url, json={"model": "alone", "messages": MSG}, headers={"x-request-id": "r0"}
            )
            assert whole.status_code == 502, whole.text
            assert "(BadResponse)" in whole.json()["error"]["message"]
            ids.append("r0")

            ask = {"model": "alone", "messages": MSG, "stream": True}
            # the head went out with the first event
            streamed = client.post(url, json=ask, headers={"x-request-id": "r1"})
            assert streamed.status_code == 200
            events = _stream_events(streamed.content)
            last = events[-1]
            assert "error" in last and "(BadResponse)" in str(last["error"]), last
            assert len(streamed.content) < LIMIT  # the huge event was never passed on
            ids.append("r1")

            for n, stream in enumerate((False, True) * 3):  # the healthy target instead
                ask = {"model": "fallback", "messages": MSG, "stream": stream}
                reply = client.post(url, json=ask, headers={"x-request-id": f"f{n}"})
                assert reply.status_code == 200 and b"OK" in reply.content, reply.text[:300]
                assert reply.headers["x-switchyard-upstream"] == "b/m"
                ids.append(f"f{n}")
        rows = {r["request_id"]: r for r in router.wait_usage_rows(len(ids))}
        assert (rows[ids[0]]["status"], rows[ids[0]]["error_class"]) == (502, "BadResponse")
        assert (rows[ids[1]]["status"], rows[ids[1]]["error_class"]) == (200, "BadResponse")
        for rid in ids[2:]:
            row = rows[rid]
            assert row["error_class"] is None and row["model"] == "m" and row["provider"] == "b"
        assert any(rows[rid]["fallback"] for rid in ids[2:])
        assert "Traceback" not in router.logs()
