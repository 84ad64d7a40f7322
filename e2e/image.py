"""OCI images without Docker or a registry: the project image, CoreDNS and pause, as docker-archives.

Why: the real node (`e2e/node.py`) runs containerd, which imports image archives directly
(`ctr images import`), and this machine has no container engine to build them with. So the
project image is assembled by hand with the same layout as the `Dockerfile`:

- layer 1, the base: `debootstrap --variant=minbase bookworm` plus python3, python3-venv and
  ca-certificates, the non-root user 65532 (the uid the chart, router pods and smoke Jobs run
  as), without docs or apt lists. Cached by its package list.
- layer 2, the app: a venv at /opt/switchyard holding the project wheel and its dependencies,
  installed offline (`pip install --no-index`) inside the base with chroot. Cached by the content
  of the package source (pyproject.toml, README.md, switchyard/**): the tag is that hash.
- config: `User 65532:65532`, `Entrypoint ["switchyard"]`, PATH starting with /opt/switchyard/bin.

CoreDNS and pause are one-layer images of their static binaries (built by e2e/nodebuild.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from e2e import build

REPO_ROOT = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Debian's python3 is 3.11.2; redis needs async-timeout below 3.11.3.
EXTRA_WHEELS = ("async-timeout",)
UID = 65532
VENV = "/opt/switchyard"
PATH_ENV = f"PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REPO_PREFIX = "switchyard.local"
APP_REPO = f"{REPO_PREFIX}/switchyard"
SLIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "var/cache/apt", "var/lib/apt/lists")


class ImageError(RuntimeError):
    """Building or importing an image failed; the message carries the command output."""


def image_root() -> Path:
    return build.cache_root().parent / "image"


def _run(cmd: Sequence[str], *, log: Path, cwd: Path | None = None) -> str:
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)} (rc={proc.returncode})\n{proc.stdout}\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        raise ImageError(f"{' '.join(cmd)} failed ({proc.returncode}); log {log}:\n{tail}")
    return proc.stdout


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def source_files(root: Path = REPO_ROOT) -> list[Path]:
    """What goes into the wheel: the package tree plus the build metadata."""
    files = [root / "pyproject.toml", root / "README.md"]
    for path in sorted((root / "switchyard").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append(path)
    return files


def content_key(root: Path = REPO_ROOT) -> str:
    """Hash of the package's content (paths and bytes), plus the base and wheel recipe."""
    h = hashlib.sha256()
    h.update(base_key().encode())
    h.update(json.dumps([*EXTRA_WHEELS, VENV, UID, PATH_ENV]).encode())
    for path in source_files(root):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def base_key() -> str:
    recipe = {"suite": SUITE, "mirror": MIRROR, "packages": BASE_PACKAGES, "uid": UID,
              "slim": SLIM}  # fmt: skip
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


# --- layers -----------------------------------------------------------------------------------


def _layer_from_dir(rootfs: Path, out: Path, members: Iterable[str] = (".",)) -> None:
    """An uncompressed layer tar of `rootfs` (numeric owners kept; /dev, /proc, /sys empty)."""
    tmp = out.with_suffix(".tmp")
    excludes = [f"--exclude=./{d}/*" for d in ("dev", "proc", "sys", "run", "tmp")]
    cmd = ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), *excludes, "-cf", str(tmp)]
    _run([*cmd, *members], log=out.parent / "tar.log")
    tmp.replace(out)


def _layer_from_files(files: dict[str, tuple[bytes, int]], out: Path) -> None:
    """A layer of a few files (path -> (content, mode)), owned by root."""
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for name in sorted(files):
            parts = name.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    info = tarfile.TarInfo(d)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    dirs.add(d)
            data, mode = files[name]
            info = tarfile.TarInfo(name.strip("/"))
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(out)


def ensure_base(log: Path) -> tuple[Path, Path]:
    """The debootstrapped rootfs directory and its layer tar (cached by package list)."""
    root = image_root() / f"base-{base_key()}"
    rootfs, layer = root / "rootfs", root / "layer.tar"
    if layer.is_file() and (root / "done").is_file():
        return rootfs, layer
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed (apt-get install debootstrap)")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
          SUITE, str(rootfs), MIRROR], log=log)  # fmt: skip
    _run(["chroot", str(rootfs), "groupadd", "--gid", str(UID), "switchyard"], log=log)
    _run(["chroot", str(rootfs), "useradd", "--uid", str(UID), "--gid", str(UID),
          "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
          "switchyard"], log=log)  # fmt: skip
    for rel in SLIM:
        target = rootfs / rel
        if target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    _layer_from_dir(rootfs, layer)
    (root / "done").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    return rootfs, layer


def _dependencies() -> list[str]:
    """The project's runtime requirements, as declared in pyproject.toml."""
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return [str(d) for d in data["project"]["dependencies"]] + list(EXTRA_WHEELS)


def _dependency_wheels(log: Path) -> Path:
    """Every dependency as a wheel, built on the host (same cp311 ABI), cached by the list of
    requirements: a change of the package alone never downloads them again."""
    deps = _dependencies()
    key = hashlib.sha256(json.dumps([deps, sys.version_info[:2]]).encode()).hexdigest()[:16]
    wheels = image_root() / "deps" / key
    if (wheels / "done").is_file():
        return wheels
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    _run([sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(wheels), *deps], log=log)
    (wheels / "done").write_text("ok\n")
    return wheels


def _project_wheel(key: str, log: Path) -> Path:
    """The wheel of the working tree's package (from a copy, so the tree gets no build dirs)."""
    wheels = image_root() / "wheels" / key[:16]
    if (wheels / "done").is_file():
        return wheels
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="switchyard-src-") as tmp:
        src = Path(tmp)
        for path in source_files():
            dest = src / path.relative_to(REPO_ROOT)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels),
              str(src)], log=log)  # fmt: skip
    (wheels / "done").write_text("ok\n")
    return wheels


def _app_layer(key: str, base_rootfs: Path, log: Path) -> Path:
    out = image_root() / "app" / key[:16] / "layer.tar"
    if out.is_file():
        return out
    deps = _dependency_wheels(log)
    wheels = _project_wheel(key, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="switchyard-rootfs-", dir=out.parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(["cp", "-a", str(base_rootfs), str(rootfs)], log=log)
        shutil.copytree(wheels, rootfs / "tmp" / "wheels")
        shutil.copytree(deps, rootfs / "tmp" / "deps")
        _run(["chroot", str(rootfs), "python3", "-m", "venv", VENV], log=log)
        _run(["chroot", str(rootfs), f"{VENV}/bin/pip", "install", "--no-cache-dir",
              "--no-index", "--find-links", "/tmp/wheels", "--find-links", "/tmp/deps",
              "switchyard", *EXTRA_WHEELS],
             log=log)  # fmt: skip
        _run(["chroot", str(rootfs), f"{VENV}/bin/switchyard", "--help"], log=log)
        _layer_from_dir(rootfs, out, ["./opt"])
    return out


# --- archives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    ref: str
    archive: Path


def _archive(ref: str, layers: Sequence[Path], config: dict[str, object], out: Path) -> Image:
    """A docker-archive (manifest.json + config + layer tars) that `ctr images import` reads."""
    diff_ids = [f"sha256:{_sha256_file(layer)}" for layer in layers]
    config = {**config, "architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}  # fmt: skip
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    names = [f"{d.removeprefix('sha256:')}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": names}]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in ((config_name, config_bytes),
                           ("manifest.json", json.dumps(manifest).encode())):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, layer in zip(names, layers, strict=True):
            tar.add(str(layer), arcname=name)
    tmp.replace(out)
    return Image(ref, out)


def app_image(log: Path | None = None) -> Image:
    """The project image of the working tree (built, or reused when its content is cached)."""
    key = content_key()
    ref = f"{APP_REPO}:{key[:12]}"
    out = image_root() / "app" / key[:16] / "image.tar"
    log = log or image_root() / "logs" / "app.log"
    if out.is_file():
        return Image(ref, out)
    rootfs, base = ensure_base(log)
    app = _app_layer(key, rootfs, log)
    config = {"config": {"User": f"{UID}:{UID}", "Entrypoint": ["switchyard"],
                         "Cmd": ["--help"], "Env": [PATH_ENV, "PYTHONUNBUFFERED=1"],
                         "WorkingDir": "/", "Labels": {"dev.switchyard.content": key}}}  # fmt: skip
    image = _archive(ref, [base, app], config, out)
    _prune(keep=3)
    return image


def _prune(keep: int) -> None:
    """Keep the newest `keep` project images and wheels: every package change makes new ones."""
    for kind in ("app", "wheels"):
        dirs = sorted((image_root() / kind).glob("*"), key=lambda d: d.stat().st_mtime)
        for old in dirs[:-keep]:
            shutil.rmtree(old, ignore_errors=True)


def binary_image(name: str, binary: Path, tag: str, args: Sequence[str] = ()) -> Image:
    """A one-layer image of a static binary at /<name>."""
    ref = f"{REPO_PREFIX}/{name}:{tag}"
    key = hashlib.sha256(f"{_sha256_file(binary)}{tag}{args}".encode()).hexdigest()[:16]
    out = image_root() / name / key / "image.tar"
    if out.is_file():
        return Image(ref, out)
    layer = out.parent / "layer.tar"
    out.parent.mkdir(parents=True, exist_ok=True)
    _layer_from_files({name: (binary.read_bytes(), 0o755)}, layer)
    config = {"config": {"Entrypoint": [f"/{name}"], "Cmd": list(args), "WorkingDir": "/",
                         "Env": ["PATH=/"]}}  # fmt: skip
    return _archive(ref, [layer], config, out)


def imported(ctr: Sequence[str], ref: str) -> bool:
    proc = subprocess.run([*ctr, "-n", "k8s.io", "images", "ls", "-q"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    return ref in proc.stdout.split()


def import_image(ctr: Sequence[str], image: Image, log: Path) -> None:
    """Import into containerd's CRI namespace (unpacked for the default snapshotter)."""
    if not imported(ctr, image.ref):
        _run([*ctr, "-n", "k8s.io", "images", "import", str(image.archive)],
             log=log)  # fmt: skip


def size_mib(path: Path) -> float:
    return os.path.getsize(path) / (1 << 20)
