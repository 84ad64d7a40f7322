"""The Provider's auth.keyId names the key in usage rows and metrics; the key never appears."""

from __future__ import annotations

from pathlib import Path

import openai

from .harness import PROVIDER_KEY, G, Mock, T, build, evidence, provider, provider_keys, run_router


def test_key_id_in_usage_rows_and_metrics(tmp_path: Path, mock: Mock) -> None:
    p = provider("kp", mock.url + "/v1", models={"m": "model-k"}, key_id="prod-2026-11")
    config = build([p], [G("g", [T("kp")])], [evidence(p)])
    with run_router(tmp_path, config, provider_keys("kp")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="caller", max_retries=0)
        oai.chat.completions.create(model="g", messages=[{"role": "user", "content": "hi"}])
        (row,) = router.wait_usage_rows(1)
        metrics = router.metrics()
        logs = router.logs()
    assert row["key_id"] == "prod-2026-11"
    assert 'switchyard_provider_key_info{key_id="prod-2026-11",provider="kp"} 1.0' in metrics
    assert PROVIDER_KEY not in metrics + str(row) + logs
