"""Loading a RouterConfig file and the Secrets it names into an immutable, ready-to-route view.

Everything is validated before a LoadedConfig exists, so a swap is all or nothing. Secret
values live only in memory here (provider keys as prepared headers, callers as SHA-256
digests); error messages name files and fields, never values.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import orjson
from pydantic import ValidationError

from switchyard.catalog import (
    CLOUD_SCHEMES,
    DefaultAccess,
    Eligibility,
    PackedConfigError,
    RequestNeeds,
    RouterConfig,
    RouterGroup,
    RouterModel,
    RouterProvider,
    RouterTarget,
    SwitchyardError,
    check,
    is_packed,
    unpack,
)
from switchyard.catalog.manifests import CatalogError
from switchyard.catalog.platform import ENVIRONMENT_SCHEMES
from switchyard.catalog.yamltext import load_documents as load_yaml
from switchyard.cloud import CloudAuth, CloudAuthError, cloud_auth
from switchyard.wire import provider_headers


class ConfigError(SwitchyardError, ValueError):
    """A config (or a Secret it needs) that cannot be served; the message is safe to log."""


@dataclass(frozen=True)
class TargetView:
    """One group target resolved against its provider and model."""

    target: RouterTarget
    provider: RouterProvider
    model: RouterModel

    @cached_property
    def key(self) -> str:
        return f"{self.provider.name}/{self.model.name}"

    @cached_property
    def prices(self) -> tuple[Decimal, Decimal] | None:
        """USD per million input and output tokens (parsed once, not per request)."""
        p = self.model.pricing
        if p is None:
            return None
        return Decimal(p.input_per_million_usd), Decimal(p.output_per_million_usd)


Candidate = tuple[TargetView, Eligibility]
# Distinct needs remembered per group and config revision; hosted tool names come from callers,
# so the set of needs is open-ended and the memory must not be.
MAX_REMEMBERED_NEEDS = 256


@dataclass(frozen=True)
class Eligible:
    """Targets that may serve one kind of request, and why the others may not."""

    candidates: tuple[Candidate, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class GroupView:
    group: RouterGroup
    targets: tuple[TargetView, ...]
    _eligible: dict[RequestNeeds, Eligible] = field(default_factory=dict, compare=False, repr=False)

    def eligible(self, needs: RequestNeeds) -> Eligible:
        """The verdicts depend only on the needs and this immutable view, so each distinct
        needs is judged once per loaded config (a reload builds new views)."""
        found = self._eligible.get(needs)
        if found is None:
            found = self._judge(needs)
            if len(self._eligible) < MAX_REMEMBERED_NEEDS:
                self._eligible[needs] = found
        return found

    def pinned(self, key: str, needs: RequestNeeds) -> Eligible:
        """Only target ``key`` (provider/model), for an operator's router-level smoke: judged
        as in a restricted group, whatever its weight, since direct evidence is all a target
        has before its router-level proof (the very request this is)."""
        smoke = self.group.model_copy(update={"restricted": True})
        for t in self.targets:
            if t.key == key:
                verdict = check(needs, t.provider, t.model, t.target, smoke)
                if verdict:
                    return Eligible(((t, verdict),), ())
                return Eligible((), (verdict.reason or "not eligible",))
        return Eligible((), ("the pinned target is not in this group",))

    def _judge(self, needs: RequestNeeds) -> Eligible:
        out: list[Candidate] = []
        reasons: list[str] = []
        for t in self.targets:
            if t.target.weight <= 0:
                reasons.append("no routing weight")
                continue
            verdict = check(needs, t.provider, t.model, t.target, self.group)
            if verdict:
                out.append((t, verdict))
            elif verdict.reason:
                reasons.append(verdict.reason)
        return Eligible(tuple(out), tuple(reasons))


# What the config file and each Secret it names looked like on disk (router/reload.py): one
# (real path, stat) entry per source; equal fingerprints mean nothing to reload.
Fingerprint = tuple[tuple[str, tuple[object, ...]], ...]


@dataclass(frozen=True)
class LoadedConfig:
    config: RouterConfig
    groups: dict[str, GroupView]
    upstream_headers: dict[str, dict[str, str]]  # provider -> auth + configured headers
    callers: dict[str, frozenset[bytes]]  # caller Secret name -> token digests
    fingerprint: Fingerprint = field(default=())
    # provider -> per-request credentials (SigV4 signer, OAuth tokens) of cloud platforms
    cloud: dict[str, CloudAuth] = field(default_factory=dict)

    @cached_property
    def operator_digest(self) -> bytes | None:
        """The digest of the operator's own caller token (settings.operatorTokenDigest), if any;
        decoded once per loaded config, not per request."""
        text = self.config.settings.operator_token_digest
        return bytes.fromhex(text) if text else None

    @property
    def revision(self) -> str:
        return self.config.revision


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _parse(path: Path) -> RouterConfig:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    if is_packed(raw):  # the operator gzips a large config (catalog/config_file.py)
        try:
            raw = unpack(raw)
        except PackedConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # YAML with the catalog's limits (encoding, depth, alias expansion, size): a
        # hand-written file must not crash the reload with a RecursionError
        try:
            docs = load_yaml(raw, str(path))
        except CatalogError as exc:
            raise ConfigError(f"neither JSON nor YAML: {exc.problems[0]}") from None
        if len(docs) != 1:
            raise ConfigError(f"{path}: expected one document, found {len(docs)}") from None
        data = docs[0].doc
    try:
        config = RouterConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)[:10]
        ]
        raise ConfigError(f"{path}: invalid RouterConfig: " + "; ".join(problems)) from None
    return config if config.revision else config.with_revision()


def _secret_dir(secrets_dir: Path, name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"secret name {name!r} is not a valid Secret name")
    return secrets_dir / name


def read_secret(secrets_dir: Path, name: str, key: str) -> str:
    if "/" in key or key.startswith(".."):
        raise ConfigError(f"secret {name}: key {key!r} is not a valid key")
    path = _secret_dir(secrets_dir, name) / key
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"secret {name}/{key}: not readable under {secrets_dir}") from None
    if not value:
        raise ConfigError(f"secret {name}/{key}: empty")
    return value


def read_callers(secrets_dir: Path, name: str) -> frozenset[bytes]:
    """Every key of a caller Secret is one accepted token (kubelet's ..data entries skipped)."""
    directory = _secret_dir(secrets_dir, name)
    try:
        keys = sorted(k for k in os.listdir(directory) if not k.startswith("."))
    except OSError:
        raise ConfigError(f"caller secret {name}: not readable under {secrets_dir}") from None
    return frozenset(token_digest(read_secret(secrets_dir, name, k)) for k in keys)


def _provider_headers(p: RouterProvider, secrets_dir: Path) -> dict[str, str]:
    """What every request to ``p`` carries (``wire.provider_headers``, shared with the probes)."""
    key = None
    if p.auth_scheme not in ENVIRONMENT_SCHEMES:
        if p.secret is None:
            raise ConfigError(f"provider {p.name}: auth {p.auth_scheme.value} needs a secret")
        key = read_secret(secrets_dir, p.secret.name, p.secret.key)
    configured = [(h.name, h.value) for h in p.headers]
    return provider_headers(p.dialect, p.auth_scheme, key, configured)


def _groups(config: RouterConfig) -> dict[str, GroupView]:
    providers = {p.name: p for p in config.providers}
    problems: list[str] = []
    views: dict[str, GroupView] = {}
    for g in config.groups:
        if g.name in views:
            problems.append(f"groups: duplicate group {g.name!r}")
        targets = []
        for i, t in enumerate(g.targets):
            provider = providers.get(t.provider)
            model = provider.model(t.model) if provider else None
            if provider is None or model is None:
                problems.append(f"groups.{g.name}.targets[{i}]: unknown {t.provider}/{t.model}")
                continue
            targets.append(TargetView(t, provider, model))
        if g.restricted and not g.caller_secret:
            problems.append(f"groups.{g.name}: restricted without a caller secret")
        views[g.name] = GroupView(g, tuple(targets))
    if problems:
        raise ConfigError("invalid RouterConfig: " + "; ".join(problems[:10]))
    return views


def load_config(path: Path, secrets_dir: Path, fingerprint: Fingerprint = ()) -> LoadedConfig:
    """Parse, validate and resolve; raises ConfigError and changes nothing on any problem."""
    config = _parse(path)
    groups = _groups(config)
    used = {t.provider.name for g in groups.values() for t in g.targets}
    headers = {
        p.name: _provider_headers(p, secrets_dir) for p in config.providers if p.name in used
    }
    names = {g.group.caller_secret for g in groups.values() if g.group.caller_secret}
    settings = config.settings
    if settings.default_access is DefaultAccess.CALLERS:
        if not settings.default_caller_secret:
            raise ConfigError("settings.defaultAccess callers needs settings.defaultCallerSecret")
        names.add(settings.default_caller_secret)
    callers = {n: read_callers(secrets_dir, n) for n in sorted(n for n in names if n)}
    cloud = {}
    for p in config.providers:
        if p.name in used and p.auth_scheme in CLOUD_SCHEMES:
            text = read_secret(secrets_dir, p.secret.name, p.secret.key) if p.secret else None
            try:
                auth = cloud_auth(p.auth_scheme, p.region, text)
            except CloudAuthError as exc:
                raise ConfigError(f"provider {p.name}: {exc}") from None
            if auth is not None:
                cloud[p.name] = auth
    return LoadedConfig(config, groups, headers, callers, fingerprint, cloud)


def secret_names(config: RouterConfig) -> set[str]:
    names = {p.secret.name for p in config.providers if p.secret is not None}
    names |= {g.caller_secret for g in config.groups if g.caller_secret}
    if config.settings.default_caller_secret:
        names.add(config.settings.default_caller_secret)
    return names
