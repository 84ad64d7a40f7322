"""The host check behind `e2e/cluster down`: stable on an unchanged host, and naming each kind
of leftover it exists to catch."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e import hoststate  # noqa: E402


def test_an_unchanged_host_shows_no_difference() -> None:
    assert hoststate.diff(hoststate.snapshot(), hoststate.snapshot()) == []


def test_every_kind_of_leftover_is_named() -> None:
    added = {
        "mounts": "/var/lib/kubelet/pods/x/volumes/secret",
        "links": "sybr0",
        "nftTables": "table ip kube-proxy",
        "cgroups": "memory/kubepods",
        "paths": "/run/containerd",
        "processes": "4242 containerd-shim-runc-v2",
    }
    # This host's own state, without the leftovers the test adds (a node may have left them).
    before = {k: (dict(v) if isinstance(v, dict) else [x for x in v if x != added.get(k)])
              for k, v in hoststate.snapshot().items()}  # fmt: skip
    after = {k: (dict(v) if isinstance(v, dict) else [*v, added[k]] if k in added else list(v))
             for k, v in before.items()}  # fmt: skip
    key = next(iter(sorted(before["sysctls"])))
    after["sysctls"][key] = "changed"
    problems = hoststate.diff(before, after)
    assert f"sysctl {key}: {before['sysctls'][key]!r} -> 'changed'" in problems
    for expected in (
        "mounts: added /var/lib/kubelet/pods/x/volumes/secret",
        "links: added sybr0",
        "nftTables: added table ip kube-proxy",
        "cgroups: added memory/kubepods",
        "paths: added /run/containerd",
        "processes: added 4242 containerd-shim-runc-v2",
    ):
        assert expected in problems
    assert len(problems) == 7


def test_a_saved_snapshot_round_trips(tmp_path: Path) -> None:
    state = hoststate.snapshot()
    hoststate.save(tmp_path / "s.json", state)
    assert hoststate.diff(state, hoststate.load(tmp_path / "s.json") or {}) == []
    assert hoststate.load(tmp_path / "missing.json") is None
