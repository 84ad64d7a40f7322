"""Hot reload: symlink swaps, concurrent load with zero failures, bad configs rejected."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from pathlib import Path
from typing import Any

import openai
import pytest

from switchyard.catalog import MAX_INFLATED_BYTES, pack
from switchyard.router import reload
from switchyard.router.app import create_app
from switchyard.router.config import LoadedConfig, load_config
from switchyard.router.runtime import RUNTIME
from switchyard.router.settings import Settings

from .harness import (
    G,
    Mock,
    T,
    build,
    evidence,
    kubelet_swap,
    provider,
    provider_keys,
    run_router,
    write_secrets,
)

MSG = [{"role": "user", "content": "hi"}]


def _config(mock: Mock, target: str):  # type: ignore[no-untyped-def]
    providers = [provider(n, mock.url + "/v1", models={"m": f"model-{n}"}) for n in ("a", "b")]
    return build(providers, [G("g", [T(target)])], [evidence(p) for p in providers])


def _swap(directory: Path, version: int, text: str) -> None:
    """What the kubelet does: write a new timestamped dir, then atomically repoint ..data."""
    new = directory / f"..v{version}"
    new.mkdir()
    (new / "router.json").write_text(text)
    tmp_link = directory / "..data_tmp"
    tmp_link.symlink_to(new.name)
    os.replace(tmp_link, directory / "..data")


async def test_reload_under_load_has_no_failed_requests(tmp_path: Path, mock: Mock) -> None:
    first, second = _config(mock, "a"), _config(mock, "b")
    with run_router(tmp_path, first, provider_keys("a", "b")) as router:
        mounted = tmp_path / "configmap"
        mounted.mkdir()
        _swap(mounted, 1, first.to_json())
        (mounted / "router.json").symlink_to("..data/router.json")
        router.config.unlink()
        router.config.symlink_to(mounted / "router.json")

        client = openai.AsyncOpenAI(base_url=router.v1, api_key="x", max_retries=0)
        stop = asyncio.Event()
        served: list[str] = []

        async def worker() -> None:
            while not stop.is_set():
                raw = await client.chat.completions.with_raw_response.create(
                    model="g", messages=MSG
                )  # type: ignore[arg-type]
                assert raw.parse().choices[0].message.content == "OK"
                served.append(raw.headers["x-switchyard-upstream"])

        tasks = [asyncio.create_task(worker()) for _ in range(8)]
        await asyncio.sleep(0.5)
        _swap(mounted, 2, second.to_json())
        await asyncio.to_thread(router.wait_revision, second.revision)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*tasks)  # any failed request raises here
        assert served[0] == "a/m" and served[-1] == "b/m"
        rows = router.usage_rows()
        assert rows and all(r["status"] == 200 for r in rows)
        reloads = re.search(
            r'switchyard_config_reloads_total\{result="success"\} (\d+)', router.metrics()
        )
        assert reloads is not None and int(reloads.group(1)) >= 2


def test_bad_config_is_rejected_and_last_good_keeps_serving(tmp_path: Path, mock: Mock) -> None:
    good = _config(mock, "a")
    with run_router(tmp_path, good, provider_keys("a", "b")) as router:
        oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
        broken_configs = ('{"kind": "RouterConfig", "groups": [{"name": 3}]}', "{not json")
        for failures, broken in enumerate(broken_configs, start=1):
            router.write_config(broken)
            # wait for this file's rejection, not the previous one's (the error stays set)
            router.wait_metric(
                rf'switchyard_config_reloads_total\{{result="failure"\}} {failures}\.0'
            )
            ready = router.readyz()
            assert ready["status"] == "ready" and ready["revision"] == good.revision
            assert ready["lastReloadError"]
            reply = oai.chat.completions.create(model="g", messages=MSG)  # type: ignore[arg-type]
            assert reply.choices[0].message.content == "OK"  # the last good config serves
        assert (
            "invalid RouterConfig" in router.readyz()["lastReloadError"]
            or "JSON" in router.readyz()["lastReloadError"]
        )
        assert 'switchyard_config_reloads_total{result="failure"} 2.0' in router.metrics()
        assert f'switchyard_config_info{{revision="{good.revision}"}} 1.0' in router.metrics()
        fixed = _config(mock, "b")
        router.write_config(fixed.to_json())
        router.wait_revision(fixed.revision)
        assert router.readyz()["lastReloadError"] is None


def test_a_packed_config_is_read_and_a_broken_one_rejected(tmp_path: Path, mock: Mock) -> None:
    """The operator gzips a large config into the ConfigMap's binaryData: the router reads it
    like the JSON, and a packed file it cannot read whole keeps the last good config."""
    good, packed = _config(mock, "a"), _config(mock, "b")
    with run_router(tmp_path, good, provider_keys("a", "b")) as router:
        router.write_config(pack(packed.to_json()))
        router.wait_revision(packed.revision)
        oai = openai.OpenAI(base_url=router.v1, api_key="x", max_retries=0)
        reply = oai.chat.completions.with_raw_response.create(model="g", messages=MSG)  # type: ignore[arg-type]
        assert reply.headers["x-switchyard-upstream"] == "b/m"
        whole = pack(good.to_json())
        broken = {
            "cut short": whole[: len(whole) // 2],
            "corrupt": whole[:12] + bytes(b ^ 0xFF for b in whole[12:40]) + whole[40:],
            "bytes follow the gzip data": whole + b"{}",
            "inflates to more than": pack(" " * (MAX_INFLATED_BYTES + 1)),
        }
        for failures, (why, raw) in enumerate(broken.items(), start=1):
            router.write_config(raw)
            router.wait_metric(
                rf'switchyard_config_reloads_total\{{result="failure"\}} {failures}\.0'
            )
            ready = router.readyz()
            assert ready["status"] == "ready" and ready["revision"] == packed.revision
            error = ready["lastReloadError"]
            assert "gzip data" in error and (why in error or why == "corrupt"), (why, error)


def test_not_ready_without_a_valid_config(tmp_path: Path, mock: Mock) -> None:
    good = _config(mock, "a")
    with run_router(tmp_path, good, {}) as router:  # the provider key Secret is missing
        ready = router.readyz()
        assert ready["status"] == "not-ready" and "provider-keys" in ready["lastReloadError"]
        threading.Event().wait(0.2)
        (router.secrets / "provider-keys").mkdir(parents=True)
        for name in ("a", "b"):
            (router.secrets / "provider-keys" / name).write_text("k")
        router.wait_revision(good.revision)  # the Secret appearing is picked up by itself


async def test_a_swap_racing_the_load_is_loaded_next_not_vouched_for(
    tmp_path: Path, mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kubelet may swap `..data` after the router read the file and before it took the
    fingerprint it stores: the stored one must not describe the newer file (it did, and the
    newer config stayed unloaded until some later change)."""
    first, second = _config(mock, "a"), _config(mock, "b")
    mounted = tmp_path / "configmap"
    kubelet_swap(mounted, 1, {"router.json": first.to_json()})
    secrets = tmp_path / "secrets"
    write_secrets(secrets, provider_keys("a", "b"))
    runtime = create_app(Settings(config=mounted / "router.json", secrets_dir=secrets))[RUNTIME]

    def load_then_swap(*args: Any) -> LoadedConfig:
        loaded = load_config(*args)
        kubelet_swap(mounted, 2, {"router.json": second.to_json()})
        return loaded

    monkeypatch.setattr(reload, "load_config", load_then_swap)
    assert await reload.reload_once(runtime) is True
    assert runtime.state.current is not None
    assert runtime.state.current.revision == first.revision
    monkeypatch.setattr(reload, "load_config", load_config)
    assert await reload.reload_once(runtime) is True  # the next check sees the change
    assert runtime.state.current.revision == second.revision
    assert await reload.reload_once(runtime) is None
