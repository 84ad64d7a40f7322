"""A caller that goes away while the router waits on the upstream or streams to it: one INFO line
and a metric, the usage row still written, no traceback, the router still serving."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from tests.router.harness import (
    PROVIDER_KEY,
    G,
    T,
    build,
    evidence,
    provider,
    provider_keys,
    run_mock,
    run_router,
)


def test_an_abort_while_waiting_for_the_upstream_is_one_line(tmp_path: Path) -> None:
    with run_mock() as mock:
        mock.scenario({"defaults": {"apiKey": PROVIDER_KEY},
                       "models": {"slow-model": {"latencyMs": 1500}}})  # fmt: skip
        p = provider("p", mock.url + "/v1", models={"m": "slow-model"})
        config = build([p], [G("g", [T("p")])], [evidence(p)])
        with run_router(tmp_path, config, provider_keys("p")) as router:
            body = json.dumps({"model": "g", "stream": True,
                               "messages": [{"role": "user", "content": "hi"}]}).encode()  # fmt: skip
            head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
            with socket.create_connection(("127.0.0.1", router.port), timeout=20) as s:
                s.sendall(head.encode() + body)
            # the router answers into a closed socket once the upstream replies
            router.wait_metric(r'switchyard_client_aborts_total\{stage="response"\} 1\.0')
            rows = router.wait_usage_rows(1)
            assert rows[-1]["status"] == 499, rows[-1]
            r = httpx.post(router.v1 + "/chat/completions", timeout=20,
                           json={"model": "g", "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
            assert r.status_code == 200
            logs = router.logs()
    assert "Traceback" not in logs and " ERROR " not in logs, logs[-3000:]
    assert logs.count("went away during the response") == 1
