"""Each caller skin through the router with the official SDKs, streaming and not."""

from __future__ import annotations

from pathlib import Path

import anthropic
import httpx
import openai

from switchyard.catalog import Dialect

from .harness import PROVIDER_KEY, G, Mock, T, build, evidence, provider, provider_keys, run_router

CALLER = "caller-token-not-for-upstream"


def _config(mock: Mock):  # type: ignore[no-untyped-def]
    chat = provider("chat-a", mock.url + "/v1", models={"m": "model-a"})
    resp = provider("resp", mock.url + "/v1", Dialect.OPENAI_RESPONSES, models={"m": "model-r"})
    msgs = provider("anth", mock.url, Dialect.ANTHROPIC, models={"m": "model-x"}, auth="x-api-key")
    bridged = provider(
        "bridged", mock.url + "/v1", models={"m": "model-b"}, bridges=["responsesToChat"]
    )
    groups = [
        G("chat", [T("chat-a")]),
        G("resp", [T("resp")]),
        G("msg", [T("anth")]),
        G("bridge-smoke", [T("bridged")], restricted=True),
    ]
    runs = [
        evidence(chat),
        evidence(resp),
        evidence(msgs, reasoning="anthropic-budget"),
        evidence(bridged),
    ]
    return build([chat, resp, msgs, bridged], groups, runs)


def test_every_skin_streaming_and_not(tmp_path: Path, mock: Mock) -> None:
    secrets = {
        **provider_keys("chat-a", "resp", "anth", "bridged"),
        "bridge-smoke-callers": {"c": CALLER},
    }
    with run_router(tmp_path, _config(mock), secrets) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key=CALLER, max_retries=0)
        msg = [{"role": "user", "content": "hi"}]

        chat = oai.chat.completions.create(model="chat", messages=msg)  # type: ignore[arg-type]
        assert chat.choices[0].message.content == "OK"
        assert chat.usage is not None and chat.usage.completion_tokens == 1
        chunks = list(oai.chat.completions.create(model="chat", messages=msg, stream=True))  # type: ignore[arg-type]
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "OK"
        upstream = mock.requests("model-a")[-1]
        # usage was asked for on the caller's behalf, with the provider's key, not the caller's
        assert upstream["body"]["stream_options"] == {"include_usage": True}
        assert upstream["headers"]["authorization"] == f"Bearer {PROVIDER_KEY}"
        assert CALLER not in str(upstream["headers"])

        assert oai.responses.create(model="resp", input="hi").output_text == "OK"
        with oai.responses.stream(model="resp", input="hi") as stream:
            final = stream.get_final_response()
        assert final.output_text == "OK" and final.usage is not None

        claude = anthropic.Anthropic(base_url=router.url, api_key=CALLER, max_retries=0)
        m = claude.messages.create(model="msg", max_tokens=32, messages=msg)  # type: ignore[arg-type]
        assert m.content[0].type == "text" and m.content[0].text == "OK"
        with claude.messages.stream(model="msg", max_tokens=32, messages=msg) as s:  # type: ignore[arg-type]
            final_m = s.get_final_message()
        assert final_m.content[0].type == "text" and final_m.content[0].text == "OK"
        assert final_m.usage.output_tokens == 1
        anth = mock.requests("model-x")[-1]["headers"]
        assert anth["x-api-key"] == PROVIDER_KEY and "authorization" not in anth

        # a restricted smoke group reaches an openai-chat target through responsesToChat
        bridged = oai.responses.create(model="bridge-smoke", input="hi")
        assert bridged.output_text == "OK"
        assert mock.requests("model-b")[-1]["path"] == "/v1/chat/completions"

        # streams close their books after the last byte, so wait for all seven rows
        rows = router.wait_usage_rows(7)
        assert len(rows) == 7
        assert {r["inbound_skin"] for r in rows} == {"openai-chat", "openai-responses", "anthropic"}
        assert all(r["status"] == 200 and r["input_tokens"] and r["cost_usd"] for r in rows)
        # rows are appended as requests finish, which need not be the order they were sent in
        assert sorted(r["stream"] for r in rows if r["group"] == "chat") == [False, True]
        (bridged_row,) = [r for r in rows if r["group"] == "bridge-smoke"]
        assert bridged_row["bridge_direction"] == "responsesToChat"
        assert bridged_row["target_skin"] == "openai-chat"
        metrics = router.metrics()
        assert (
            'switchyard_requests_total{group="chat",inbound="openai-chat",model="m",outcome="ok",provider="chat-a"} 2.0'
            in metrics
        )
        assert (
            'switchyard_tokens_total{direction="output",group="msg",model="m",provider="anth"} 2.0'
            in metrics
        )


def test_models_readyz_and_unknown_group(tmp_path: Path, mock: Mock) -> None:
    secrets = {
        **provider_keys("chat-a", "resp", "anth", "bridged"),
        "bridge-smoke-callers": {"c": CALLER},
    }
    config = _config(mock)
    with run_router(tmp_path, config, secrets) as router:
        ready = router.readyz()
        assert ready["status"] == "ready" and ready["revision"] == config.revision
        listed = httpx.get(f"{router.v1}/models").json()["data"]
        assert {m["id"] for m in listed} == {"chat", "resp", "msg"}  # restricted group hidden
        with_token = httpx.get(f"{router.v1}/models", headers={"Authorization": f"Bearer {CALLER}"})
        assert "bridge-smoke" in {m["id"] for m in with_token.json()["data"]}
        oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
        try:
            oai.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
            raise AssertionError("unknown group served")
        except openai.NotFoundError as exc:
            assert "nope" in str(exc)
        claude = anthropic.Anthropic(base_url=router.url, api_key="x", max_retries=0)
        try:
            claude.messages.create(
                model="nope", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )
            raise AssertionError("unknown group served")
        except anthropic.NotFoundError as exc:
            assert exc.body["error"]["type"] == "not_found_error"  # type: ignore[index]
