"""Caller access (restricted groups, default policy) and a planted key that must never leak."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from switchyard.catalog import DefaultAccess, Dialect, RouterSettings

from .harness import PROVIDER_KEY, G, Mock, T, build, evidence, provider, provider_keys, run_router

GOOD, OTHER = "smoke-caller-1", "ordinary-caller-2"
MSG = [{"role": "user", "content": "hi"}]


def _config(mock: Mock, settings: RouterSettings | None = None):  # type: ignore[no-untyped-def]
    chat = provider("chat", mock.url + "/v1", models={"m": "model-chat"})
    msgs = provider(
        "anth", mock.url, Dialect.ANTHROPIC, models={"m": "model-anth"}, auth="x-api-key"
    )
    groups = [
        G("smoke", [T("chat")], restricted=True),
        G("open", [T("chat")]),
        G("msg", [T("anth")]),
    ]
    return build([chat, msgs], groups, [evidence(chat), evidence(msgs)], settings)


def _secrets() -> dict[str, dict[str, str]]:
    return {
        **provider_keys("chat", "anth"),
        "smoke-callers": {"alice": GOOD},
        "default-callers": {"bob": OTHER},
    }


def test_restricted_group_accepts_only_its_callers(tmp_path: Path, mock: Mock) -> None:
    with run_router(tmp_path, _config(mock), _secrets()) as router:
        ok = openai.OpenAI(base_url=router.v1, api_key=GOOD, max_retries=0)
        assert (
            ok.chat.completions.create(model="smoke", messages=MSG).choices[0].message.content
            == "OK"
        )  # type: ignore[arg-type]
        with pytest.raises(openai.PermissionDeniedError):
            openai.OpenAI(base_url=router.v1, api_key=OTHER, max_retries=0).chat.completions.create(
                model="smoke",
                messages=MSG,  # type: ignore[arg-type]
            )
        missing = httpx.post(
            f"{router.v1}/chat/completions", json={"model": "smoke", "messages": MSG}
        )
        assert missing.status_code == 401
        # default policy `open`: any caller may use unrestricted groups
        anyone = openai.OpenAI(base_url=router.v1, api_key="whoever", max_retries=0)
        assert (
            anyone.chat.completions.create(model="open", messages=MSG).choices[0].message.content
            == "OK"
        )  # type: ignore[arg-type]
        assert mock.count("model-chat") == 2
        sent = mock.requests("model-chat")
        assert all(r["headers"]["authorization"] == f"Bearer {PROVIDER_KEY}" for r in sent)


def test_default_policy_callers(tmp_path: Path, mock: Mock) -> None:
    settings = RouterSettings(
        default_access=DefaultAccess.CALLERS, default_caller_secret="default-callers"
    )
    with run_router(tmp_path, _config(mock, settings), _secrets()) as router:
        claude = anthropic.Anthropic(base_url=router.url, api_key=OTHER, max_retries=0)
        assert (
            claude.messages.create(model="msg", max_tokens=8, messages=MSG).content[0].text == "OK"
        )  # type: ignore[arg-type, union-attr]
        with pytest.raises(anthropic.PermissionDeniedError) as err:
            anthropic.Anthropic(
                base_url=router.url, api_key="stranger", max_retries=0
            ).messages.create(
                model="msg",
                max_tokens=8,
                messages=MSG,  # type: ignore[arg-type]
            )
        assert err.value.body["error"]["type"] == "permission_error"  # type: ignore[index]
        assert mock.requests("model-anth")[-1]["headers"]["x-api-key"] == PROVIDER_KEY


def test_planted_key_never_leaks(tmp_path: Path, mock: Mock) -> None:
    """Provoke every failure class we can; the key appears in no log, metric, row or error."""
    mock.scenario(
        {
            "defaults": {"apiKey": PROVIDER_KEY},
            "models": {
                "model-chat": {"failure": {"kind": "entitlement"}},
                "model-anth": {"midStream": {"afterEvents": 2}},
            },
        }
    )
    with run_router(
        tmp_path, _config(mock), _secrets(), SWITCHYARD_ROUTER_LOG_LEVEL="DEBUG"
    ) as router:
        texts: list[str] = []
        for group in ("open", "smoke"):
            r = httpx.post(f"{router.v1}/chat/completions", json={"model": group, "messages": MSG},
                           headers={"Authorization": f"Bearer {GOOD}"})  # fmt: skip
            texts.append(r.text + str(r.headers))
        assert '"Entitlement"' in texts[0]
        stream = httpx.post(
            f"{router.v1}/messages",
            json={"model": "msg", "max_tokens": 8, "messages": MSG, "stream": True},
        )
        texts.append(stream.text)
        assert "event: error" in stream.text
        # a bad config naming a missing secret: the error names the file, not a value
        router.config.write_text(
            router.config.read_text().replace("provider-keys", "no-such-secret")
        )
        texts.append(str(router.wait_reload_error()))
        texts += [router.metrics(), router.logs(), router.usage_file.read_text()]
        blob = "\n".join(texts)
        assert PROVIDER_KEY not in blob and GOOD not in blob
        assert not re.search(r"sk-planted", blob)
        assert "Entitlement" in router.metrics()


def test_confirmation_token_serves_only_confirmation_requests(tmp_path: Path, mock: Mock) -> None:
    """The operator's token (settings.operatorTokenDigest) reaches every group, restricted ones
    and a `callers` default alike, but buys only one short, unstreamed, tool-less answer."""
    token = "operator-confirm-token-0123456789"
    settings = RouterSettings(
        default_access=DefaultAccess.CALLERS,
        default_caller_secret="default-callers",
        operator_token_digest=hashlib.sha256(token.encode()).hexdigest(),
    )
    auth = {"Authorization": f"Bearer {token}"}
    short = {"messages": MSG, "max_tokens": 16}
    with run_router(tmp_path, _config(mock, settings), _secrets()) as router:
        for group in ("smoke", "open"):
            r = httpx.post(f"{router.v1}/chat/completions", json={"model": group, **short},
                           headers=auth)  # fmt: skip
            assert r.status_code == 200, r.text
            assert r.headers["x-switchyard-upstream"] == "chat/m"
        msg = httpx.post(f"{router.v1}/messages", json={"model": "msg", **short},
                         headers={"x-api-key": token})  # fmt: skip
        assert msg.status_code == 200, msg.text
        refused = {
            "no cap": {"messages": MSG},
            "cap too large": {"messages": MSG, "max_tokens": 17},
            "stream": {**short, "stream": True},
            "tools": {**short, "tools": [{"type": "function", "function": {"name": "f"}}]},
        }
        for why, body in refused.items():
            r = httpx.post(f"{router.v1}/chat/completions", json={"model": "smoke", **body},
                           headers=auth)  # fmt: skip
            assert r.status_code == 403, why
            assert r.json()["error"]["message"].startswith("the confirmation token"), why
        assert mock.count("model-chat") == 2  # the refused ones never went upstream
        # a near miss of the token is an ordinary stranger
        r = httpx.post(f"{router.v1}/chat/completions", json={"model": "smoke", **short},
                       headers={"Authorization": f"Bearer {token}x"})  # fmt: skip
        assert r.status_code == 403
        assert token not in router.logs()
