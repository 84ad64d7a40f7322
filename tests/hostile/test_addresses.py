"""Names and base URLs: link-local and cloud-metadata destinations refused in every spelling,
by the catalog (render), the router's config loader, the probe CLI and (cluster tier) the CRD.

Nothing here dials any of these addresses: every check refuses before a connection is made.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from switchyard.catalog import RouterConfig
from switchyard.catalog.addresses import base_url_problem, group_name_problem
from switchyard.router.config import ConfigError, load_config
from switchyard.smoke import cli as probe_cli

ROOT = Path(__file__).resolve().parents[2]

METADATA = [
    "http://169.254.169.254/latest/meta-data",
    "http://169.254.169.254.:80/",
    "http://0xA9FEA9FE/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://169.16689662/",
    "http://[fe80::1]/",
    "http://[FE80::a9fe:a9fe]:8080/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fd00:ec2:0::254]/",
    "http://169.254.170.2/v2/credentials",
    "http://100.100.100.200/latest/meta-data",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://METADATA.google.internal./",
    "http://metadata/",
]
MALFORMED = [
    "file:///etc/passwd",
    "ftp://api.example.com/v1",
    "gopher://127.0.0.1:6379/",
    "http://user:pass@api.example.com/v1",
    "http://api.example.com@169.254.169.254/",
    "http://api.example.com\\@169.254.169.254/",
    "http://[fe80::1%25eth0]/",
    "http://%31%36%39.254.169.254/",
    "http://256.1.1.1/",
    "http://1.2.3.4.5/",
    "http://0/",
    "http://[::]/",
    "http://api.example.com:0/",
    "http://api.example.com:99999/",
    "http:///v1",
    "http://exa mple.com/",
    "http://api.example.com/v1\n",
]
ALLOWED = [
    "https://api.openai.com/v1",
    "HTTPS://API.EXAMPLE.COM/v1",
    "http://127.0.0.1:11434/v1",
    "http://127.1:8000/v1",
    "http://localhost:11434/v1",
    "http://[::1]:8000/v1",
    "http://10.0.0.7:8000/v1",
    "http://192.168.1.20/v1",
    "http://[fd12:3456::1]:8000/v1",
    "http://vllm.llm.svc.cluster.local:8000/v1",
]


@pytest.mark.parametrize("url", METADATA + MALFORMED)
def test_refused_urls(url: str) -> None:
    assert base_url_problem(url) is not None


@pytest.mark.parametrize("url", ALLOWED)
def test_private_loopback_and_public_urls_stay_allowed(url: str) -> None:
    assert base_url_problem(url) is None


@pytest.mark.parametrize("url", METADATA)
def test_the_opt_in_allows_link_local_and_metadata_but_nothing_malformed(url: str) -> None:
    embedded = any(p in url.lower() for p in ("::ffff:", "64:ff9b", "[2002:"))
    assert (base_url_problem(url, allow_link_local=True) is None) != embedded
    for bad in MALFORMED:
        assert base_url_problem(bad, allow_link_local=True) is not None


@pytest.mark.parametrize(
    "name", ["gpt-4o", "meta-llama/Llama-3.3-70B-Instruct", "llama3.1:8b",
             "@cf/meta/llama-3-8b-instruct", "anthropic.claude-3-5-sonnet-20241022-v2:0"],
)  # fmt: skip
def test_group_names_may_look_like_model_ids(name: str) -> None:
    assert group_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["", " ", "a\nb", "../x", "a/../b", "a//b", "/abs", "x/", ".", "..", "a b", "é", "a" * 257],
)
def test_group_names_refuse_path_tricks_and_blanks(name: str) -> None:
    assert group_name_problem(name) is not None


def provider_doc(name: str, url: str, allow: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "baseUrl": url,
        "dialect": "openai-chat",
        "auth": {"scheme": "none"},
        "models": [{"name": "m", "model": "up/m"}],
    }
    if allow:
        spec["allowLinkLocal"] = True
    return {"apiVersion": "switchyard.dev/v1alpha1", "kind": "Provider",
            "metadata": {"name": name, "namespace": "t"}, "spec": spec}  # fmt: skip


def render(tmp_path: Path, docs: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    return subprocess.run(
        [sys.executable, "-m", "switchyard.cli", "render", "-f", str(manifest)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


def test_render_refuses_every_spelling_naming_object_and_field(tmp_path: Path) -> None:
    bad = METADATA + MALFORMED
    docs = [provider_doc(f"p{i}", url) for i, url in enumerate(bad)]
    result = render(tmp_path, docs)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for i in range(len(bad)):
        assert any(f"Provider/t/p{i}: spec" in line for line in lines), (i, bad[i], lines)
    assert all(line.startswith("error: ") for line in lines)


def test_render_keeps_the_opt_in_and_the_names(tmp_path: Path) -> None:
    docs = [provider_doc("meta", "http://169.254.169.254/v1", allow=True),
            provider_doc("local", "http://127.0.0.1:11434/v1")]  # fmt: skip
    docs.append({"apiVersion": "switchyard.dev/v1alpha1", "kind": "ModelGroup",
                 "metadata": {"name": "meta-llama/Llama-3:8b", "namespace": "t"},
                 "spec": {"targets": [{"provider": "local", "model": "m"}]}})  # fmt: skip
    result = render(tmp_path, docs)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    by_name = {p["name"]: p for p in config["providers"]}
    assert by_name["meta"]["allowLinkLocal"] is True
    assert "allowLinkLocal" not in by_name["local"]
    assert [g["name"] for g in config["groups"]] == ["meta-llama/Llama-3:8b"]


@pytest.mark.parametrize(
    ("kind", "name"),
    [("Provider", "Upper"), ("Provider", "a.b"), ("Provider", "x" * 64), ("Provider", ""),
     ("SmokeRun", "-x"), ("SmokeRun", "a_b"), ("ModelGroup", "../etc"), ("ModelGroup", "a\nb"),
     ("ModelGroup", "")],
)  # fmt: skip
def test_render_refuses_bad_object_names(tmp_path: Path, kind: str, name: str) -> None:
    if kind == "Provider":
        doc = provider_doc(name, "http://127.0.0.1/v1")
    elif kind == "SmokeRun":
        doc = {"apiVersion": "switchyard.dev/v1alpha1", "kind": "SmokeRun",
               "metadata": {"name": name}, "spec": {"target": {"modelGroup": "g"},
                                                    "layer": "router"}}  # fmt: skip
    else:
        doc = {
            "apiVersion": "switchyard.dev/v1alpha1",
            "kind": "ModelGroup",
            "metadata": {"name": name},
            "spec": {"targets": [{"provider": "p", "model": "m"}]},
        }
    result = render(tmp_path, [doc])
    assert result.returncode == 1, result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "metadata" in line and "name" in line, line


def _config_file(tmp_path: Path, provider: dict[str, Any], group: str = "g") -> Path:
    doc = {
        "apiVersion": "switchyard.dev/v1alpha1",
        "kind": "RouterConfig",
        "providers": [{"dialect": "openai-chat", "authScheme": "none", "models": [
            {"name": "m", "model": "m", "verified": ["text"]}], **provider}],
        "groups": [{"name": group, "targets": [{"provider": provider["name"], "model": "m",
                                                "weight": 1, "stage": "Active"}]}],
    }  # fmt: skip
    path = tmp_path / "router.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("url", METADATA + MALFORMED)
def test_the_router_config_loader_refuses_a_hand_written_file(tmp_path: Path, url: str) -> None:
    path = _config_file(tmp_path, {"name": "p", "baseUrl": url})
    with pytest.raises(ConfigError, match="baseUrl"):
        load_config(path, tmp_path)


def test_the_router_config_loader_takes_the_opt_in_and_model_id_group_names(tmp_path: Path) -> None:
    path = _config_file(tmp_path, {"name": "p", "baseUrl": "http://169.254.169.254/v1",
                                   "allowLinkLocal": True}, group="org/model:tag")  # fmt: skip
    loaded = load_config(path, tmp_path)
    assert "org/model:tag" in loaded.groups
    for group in ("../x", "", "a\nb"):
        path = _config_file(tmp_path, {"name": "p", "baseUrl": "http://127.0.0.1/v1"}, group)
        with pytest.raises(ConfigError, match="name"):
            load_config(path, tmp_path)


def test_the_router_config_loader_survives_hostile_yaml(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    for text in ("[" * 100_000 + "]" * 100_000, "a: b: c", "\x00\x01", "- 1\n---\n- 2"):
        path.write_bytes(text.encode())
        with pytest.raises(ConfigError):
            load_config(path, tmp_path)
    assert RouterConfig().providers == []


@pytest.mark.parametrize("url", [*METADATA[:8], *MALFORMED[:6]])
def test_the_probe_refuses_before_sending_anything(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def never(*_: object, **__: object) -> None:
        raise AssertionError("the probe sent requests to a refused address")

    monkeypatch.setattr(probe_cli, "run_probes", never)
    parser = argparse.ArgumentParser()
    probe_cli.configure(parser)
    code = probe_cli.run(parser.parse_args(["--base-url", url, "--model", "m"]))
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("switchyard probe: --base-url: ") and err.count("\n") == 1, err


@pytest.mark.cluster
@pytest.mark.parametrize("url", METADATA + MALFORMED[:10])
def test_the_crd_refuses_every_spelling(kubectl: Any, namespace: str, url: str) -> None:
    doc = provider_doc("p", url)
    doc["metadata"]["namespace"] = namespace
    proc = kubectl("create", "-f", "-", input=yaml.safe_dump(doc), check=False)
    assert proc.returncode != 0, f"accepted {url}: {proc.stdout}"
    assert "spec.baseUrl" in proc.stderr, proc.stderr


# The CRD is stricter than the pure check in spelling only: a lowercase scheme and, for an
# IPv4 host, the canonical dotted form (CEL's ip() takes nothing else).
CRD_ALLOWED = [
    u for u in ALLOWED if u not in ("HTTPS://API.EXAMPLE.COM/v1", "http://127.1:8000/v1")
]
CRD_OPT_IN = [
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/latest/meta-data",
    "http://metadata.google.internal/computeMetadata/v1",
]


@pytest.mark.cluster
def test_the_crd_accepts_private_loopback_and_the_opt_in(kubectl: Any, namespace: str) -> None:
    docs = [provider_doc(f"ok{i}", url) for i, url in enumerate(CRD_ALLOWED)]
    docs += [provider_doc(f"meta{i}", url, allow=True) for i, url in enumerate(CRD_OPT_IN)]
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
    proc = kubectl("create", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(docs),
                   check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.cluster
def test_the_crd_keeps_the_opt_in_to_link_local_and_metadata_only(
    kubectl: Any, namespace: str
) -> None:
    for url in (
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0/",
        "http://[2002:a9fe:a9fe::]/",
    ):
        doc = provider_doc("p", url, allow=True)
        doc["metadata"]["namespace"] = namespace
        proc = kubectl("create", "-f", "-", input=yaml.safe_dump(doc), check=False)
        assert proc.returncode != 0, f"accepted {url}"
