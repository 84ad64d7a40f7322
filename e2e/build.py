"""Build the local Kubernetes control plane from Go modules and cache it outside the work tree.

Why this exists: the project's machines have no container engine and no internet apart from
package registries, so neither kind nor the release tarballs are available. What *is* reachable
is the Go module proxy, so etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
and helm are compiled from their modules (see /work/shared/LOCAL_CLUSTER.md for the research).

The binaries land in ``~/.cache/switchyard/k8s/v<kubernetes>/bin`` (``$SWITCHYARD_K8S_CACHE``
overrides the root), keyed by version, so a second run on the same machine costs nothing and a
version bump builds a fresh directory. A ``versions.json`` stamp per directory records which pin
produced each binary; a binary whose stamp does not match the pin is rebuilt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# One pinned release of each component. Kubernetes 1.36 declares `go 1.26.0`, which matches the
# machine's toolchain; kubeadm pairs 1.36 with etcd 3.6.x.
KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
HELM_VERSION = "v4.3.1"

K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
# Listed as tools of the wrapper module too (so `go mod tidy` keeps their dependencies), but
# built only for the real node by e2e/nodebuild.py.
K8S_NODE_COMMANDS = ("kubelet", "kube-proxy")
ALL_BINARIES = ("etcd", *K8S_COMMANDS, "helm")


class BuildError(RuntimeError):
    """A build command failed; the message carries the command and its output."""


@dataclass(frozen=True)
class Paths:
    """Where one pinned version's sources, logs and binaries live."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def stamp(self) -> Path:
        return self.root / "versions.json"

    def binary(self, name: str) -> Path:
        return self.bin / name


def cache_root() -> Path:
    """The cache root: ``$SWITCHYARD_K8S_CACHE`` or ``~/.cache/switchyard/k8s``."""
    env = os.environ.get("SWITCHYARD_K8S_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "switchyard" / "k8s"


def paths(version: str = KUBERNETES_VERSION) -> Paths:
    """Paths for one Kubernetes pin (etcd and helm pins are tracked in the stamp file)."""
    return Paths(cache_root() / version)


def pins() -> dict[str, str]:
    """The version each binary must have been built from."""
    wanted = {name: KUBERNETES_VERSION for name in K8S_COMMANDS}
    wanted["etcd"] = ETCD_VERSION
    wanted["helm"] = HELM_VERSION
    return wanted


def _read_stamp(p: Paths) -> dict[str, str]:
    try:
        data = json.loads(p.stamp.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_stamp(p: Paths, built: dict[str, str]) -> None:
    stamp = _read_stamp(p)
    stamp.update(built)
    tmp = p.stamp.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    tmp.replace(p.stamp)


def missing(p: Paths | None = None) -> list[str]:
    """Binaries that are absent or were built from another pin."""
    p = p or paths()
    stamp = _read_stamp(p)
    return [
        name
        for name, version in pins().items()
        if stamp.get(name) != version or not os.access(p.binary(name), os.X_OK)
    ]


def go_env(p: Paths) -> dict[str, str]:
    """Environment for every go command.

    Static, reproducible binaries (CGO off, -trimpath) that need nothing from the host; two
    parallel compile/link jobs, because one link of kube-apiserver takes about 2 GiB and the
    machines have two cores. The toolchain must be the local one: auto-switching would try to
    download a newer Go when a module's go.mod names a newer `toolchain`.
    """
    env = dict(os.environ)
    env.update(
        CGO_ENABLED="0",
        GOFLAGS="-trimpath -p=2 -mod=mod",
        GOTOOLCHAIN="local",
        GOWORK="off",
        GOMAXPROCS=env.get("GOMAXPROCS", "2"),
        # Keep the module cache where developers expect it; only the build cache is pinned so
        # that `go clean -cache` elsewhere doesn't silently force a cold rebuild here.
        GOCACHE=env.get("GOCACHE", str(cache_root() / "gocache")),
    )
    return env


def run(cmd: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path) -> str:
    """Run one command, keep its full output in ``log`` and raise with that output on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"  $ {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}  (cwd={cwd}, rc={proc.returncode})\n{proc.stdout}\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-200:])
        raise BuildError(
            f"command failed with exit code {proc.returncode} after "
            f"{time.monotonic() - started:.0f}s: {' '.join(cmd)}\n"
            f"cwd: {cwd}\nfull log: {log}\n--- output (last 200 lines) ---\n{tail}"
        )
    return proc.stdout


def _staging_modules(kubernetes_gomod: Path) -> list[str]:
    """Modules that k8s.io/kubernetes replaces with ./staging paths (they can't resolve here)."""
    modules: list[str] = []
    for raw in kubernetes_gomod.read_text().splitlines():
        line = raw.strip().removeprefix("replace").strip()
        if "=> ./staging/" in line:
            modules.append(line.split("=>")[0].strip())
    if not modules:
        raise BuildError(f"no staging replace directives found in {kubernetes_gomod}")
    return modules


def _download_gomod(
    module: str, version: str, *, cwd: Path, env: dict[str, str], log: Path
) -> Path:
    out = run(["go", "mod", "download", "-json", f"{module}@{version}"], cwd=cwd, env=env, log=log)
    info = json.loads(out[out.index("{") :])
    if info.get("Error"):
        raise BuildError(f"go mod download {module}@{version}: {info['Error']}")
    return Path(info["GoMod"])


def _write_module(directory: Path, gomod: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "go.mod"
    if not target.exists() or target.read_text() != gomod:
        target.write_text(gomod)
        (directory / "go.sum").unlink(missing_ok=True)


def build_etcd(p: Paths, env: dict[str, str]) -> None:
    """etcd in its own wrapper module, so its dependency versions can't shift Kubernetes'."""
    mod = p.src / "etcd"
    log = p.logs / "etcd.log"
    _write_module(
        mod,
        "module switchyard.local/etcd-build\n\ngo 1.26.0\n\n"
        f"require go.etcd.io/etcd/server/v3 {ETCD_VERSION}\n\n"
        "tool go.etcd.io/etcd/server/v3\n",
    )
    run(["go", "mod", "tidy"], cwd=mod, env=env, log=log)
    run(
        ["go", "build", "-ldflags=-s -w", "-o", str(p.binary("etcd")), "go.etcd.io/etcd/server/v3"],
        cwd=mod,
        env=env,
        log=log,
    )


def _k8s_ldflags() -> str:
    """Version variables, without which /version reports v0.0.0 and version checks misbehave."""
    major, minor = KUBERNETES_VERSION.removeprefix("v").split(".")[:2]
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {
        "gitVersion": KUBERNETES_VERSION,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
        "gitCommit": "0000000000000000000000000000000000000000",
        "buildDate": date,
    }
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {pkg}.{key}={value}" for key, value in values.items()]
    return " ".join(flags)


def build_kubernetes(p: Paths, env: dict[str, str], names: Sequence[str]) -> None:
    """The wrapper-module workaround: require k8s.io/kubernetes, replace each staging module."""
    mod = p.src / "kubernetes"
    log = p.logs / "kubernetes.log"
    mod.mkdir(parents=True, exist_ok=True)
    upstream_gomod = _download_gomod(
        "k8s.io/kubernetes", KUBERNETES_VERSION, cwd=mod, env=env, log=log
    )
    staging_version = "v0." + KUBERNETES_VERSION.removeprefix("v").split(".", 1)[1]
    replaces = "\n".join(
        f"\t{m} => {m} {staging_version}" for m in _staging_modules(upstream_gomod)
    )
    tools = "\n".join(f"\tk8s.io/kubernetes/cmd/{c}" for c in (*K8S_COMMANDS, *K8S_NODE_COMMANDS))
    _write_module(
        mod,
        "module switchyard.local/kubernetes-build\n\ngo 1.26.0\n\n"
        f"require k8s.io/kubernetes {KUBERNETES_VERSION}\n\n"
        f"tool (\n{tools}\n)\n\nreplace (\n{replaces}\n)\n",
    )
    run(["go", "mod", "tidy"], cwd=mod, env=env, log=log)
    p.bin.mkdir(parents=True, exist_ok=True)
    run(
        [
            "go",
            "build",
            f"-ldflags={_k8s_ldflags()}",
            "-o",
            str(p.bin) + "/",
            *(f"k8s.io/kubernetes/cmd/{c}" for c in names),
        ],
        cwd=mod,
        env=env,
        log=log,
    )


def build_helm(p: Paths, env: dict[str, str]) -> None:
    """helm v4 has no replace lines, so plain `go install module@version` works."""
    log = p.logs / "helm.log"
    env = dict(env, GOBIN=str(p.bin), GOFLAGS="-trimpath -p=2")
    # Helm only knows "v4.3" unless told its patch release; its default Kubernetes version comes
    # from the client-go version in the build info, which `go install mod@version` records.
    pkg = "helm.sh/helm/v4/internal/version"
    ldflags = f"-s -w -X {pkg}.version={HELM_VERSION} -X {pkg}.gitTreeState=clean"
    p.bin.mkdir(parents=True, exist_ok=True)
    run(
        ["go", "install", f"-ldflags={ldflags}", f"helm.sh/helm/v4/cmd/helm@{HELM_VERSION}"],
        cwd=p.root,
        env=env,
        log=log,
    )


def report_versions(p: Paths) -> dict[str, str]:
    """Ask each cached binary for its version, proving it runs (not only that it exists)."""
    probes: dict[str, list[str]] = {
        "etcd": ["--version"],
        "kube-apiserver": ["--version"],
        "kube-controller-manager": ["--version"],
        "kube-scheduler": ["--version"],
        "kubectl": ["version", "--client"],
        "helm": ["version", "--short"],
    }
    out: dict[str, str] = {}
    for name, args in probes.items():
        proc = subprocess.run(
            [str(p.binary(name)), *args], capture_output=True, text=True, check=False
        )
        text = (proc.stdout or proc.stderr).strip().splitlines()
        out[name] = text[0] if text else f"exit {proc.returncode}"
    return out


def ensure_built(*, force: bool = False, quiet: bool = False) -> Paths:
    """Build whatever is missing (or everything with ``force``); return the cache paths."""
    p = paths()
    todo = list(ALL_BINARIES) if force else missing(p)

    def say(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    if not todo:
        say(f"cached: all binaries present in {p.bin}")
        return p
    if shutil.which("go") is None:
        raise BuildError("the `go` command is not on PATH; Go 1.26 is needed to build")
    p.root.mkdir(parents=True, exist_ok=True)
    # Two test sessions on one machine must not build into the same directories at once: the
    # second waits, then finds the binaries and builds nothing.
    with (p.root / "build.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another build holds {p.root / 'build.lock'}; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        todo = list(ALL_BINARIES) if force else missing(p)
        if todo:
            _build(p, todo, say)
        else:
            say(f"cached: all binaries present in {p.bin}")
    return p


def _build(p: Paths, todo: list[str], say: Callable[[str], None]) -> None:
    env = go_env(p)
    total = time.monotonic()
    say(f"building {', '.join(todo)} into {p.bin}")
    steps: list[tuple[str, list[str]]] = [
        ("etcd " + ETCD_VERSION, [n for n in todo if n == "etcd"]),
        ("kubernetes " + KUBERNETES_VERSION, [n for n in todo if n in K8S_COMMANDS]),
        ("helm " + HELM_VERSION, [n for n in todo if n == "helm"]),
    ]
    for label, names in steps:
        if not names:
            continue
        started = time.monotonic()
        say(f"- {label}: {', '.join(names)}")
        if names == ["etcd"]:
            build_etcd(p, env)
        elif names == ["helm"]:
            build_helm(p, env)
        else:
            build_kubernetes(p, env, names)
        _write_stamp(p, {n: pins()[n] for n in names})
        say(f"  built {label} in {time.monotonic() - started:.0f}s")
    say(f"built {len(todo)} binaries in {time.monotonic() - total:.0f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="e2e/cluster build", description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        p = ensure_built(force=args.force)
    except BuildError as exc:
        print(f"BUILD FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    for name, version in report_versions(p).items():
        print(f"  {name:<24} {version}")
    print(f"done in {time.monotonic() - started:.1f}s; binaries in {p.bin}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
