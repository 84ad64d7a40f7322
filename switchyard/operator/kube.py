"""The one module that talks to the Kubernetes API (kubernetes_asyncio), in plain dicts.

Everything else in the operator works on catalog models and manifests; API errors leave this
module only as our own exception classes, so handlers never see an ApiException or a raw
response body.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config import ConfigException

from switchyard.catalog import Resource, SwitchyardError

GROUP = Resource.GROUP
VERSION = Resource.VERSION
MERGE_PATCH = "application/merge-patch+json"
# GET an object's metadata alone (PartialObjectMetadata): the router ConfigMap's annotations
# without its config, which is close to 1 MB for a thousand Providers
METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


class KubeError(SwitchyardError, RuntimeError):
    """The API refused or failed a call; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(KubeError):
    pass


class ConflictError(KubeError):
    pass


class ForbiddenError(KubeError):
    pass


class InvalidError(KubeError):
    pass


_BY_STATUS: dict[int, type[KubeError]] = {
    404: NotFoundError,
    409: ConflictError,
    403: ForbiddenError,
    422: InvalidError,
}


def _error(exc: ApiException, what: str) -> KubeError:
    # The reason phrase only: bodies may echo object content back.
    status = int(exc.status or 0)
    return _BY_STATUS.get(status, KubeError)(f"{what}: HTTP {status} {exc.reason}", status)


class Kube:
    """Typed calls the operator needs, no more (that list is what deploy/rbac.yaml grants)."""

    def __init__(self, api: client.ApiClient) -> None:
        self.api = api
        # Typed as Any: bodies are plain dicts and merge patches need `_content_type`, which the
        # generated stubs do not describe.
        self.core: Any = client.CoreV1Api(api)
        self.apps: Any = client.AppsV1Api(api)
        self.batch: Any = client.BatchV1Api(api)
        self.custom: Any = client.CustomObjectsApi(api)

    @classmethod
    async def connect(cls) -> Kube:
        """$KUBECONFIG when set (as kubectl does), else the in-cluster service account, else
        ~/.kube/config. The variable is read now: the library reads it once at import."""
        cfg = client.Configuration()
        path = os.environ.get("KUBECONFIG")
        if path:
            await config.load_kube_config(config_file=path, client_configuration=cfg)
        else:
            try:
                config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            except ConfigException:
                await config.load_kube_config(client_configuration=cfg)
        return cls(client.ApiClient(configuration=cfg))

    async def close(self) -> None:
        await self.api.close()

    async def _call(self, what: str, call: Awaitable[Any]) -> Any:
        try:
            resp = await call
        except ApiException as exc:
            raise _error(exc, what) from None
        if resp is None:
            return None
        # With _preload_content=False the client does not check the status itself.
        body = await resp.read()
        status = int(resp.status)
        if not 200 <= status <= 299:
            raise _BY_STATUS.get(status, KubeError)(f"{what}: HTTP {status} {resp.reason}", status)
        return json.loads(body) if body else None

    async def _maybe(self, what: str, call: Awaitable[Any]) -> Any:
        try:
            return await self._call(what, call)
        except NotFoundError:
            return None

    async def _read(
        self, kind: str, read: Callable[..., Awaitable[Any]], namespace: str, name: str
    ) -> dict[str, Any] | None:
        """The named object, or None when there is none."""
        result: dict[str, Any] | None = await self._maybe(
            f"get {kind} {name}", read(name, namespace, _preload_content=False)
        )
        return result

    async def _create(
        self, kind: str, create: Callable[..., Awaitable[Any]], body: dict[str, Any]
    ) -> None:
        meta = body["metadata"]
        await self._call(
            f"create {kind} {meta['name']}",
            create(meta["namespace"], body, _preload_content=False),
        )

    # --- Switchyard objects ------------------------------------------------------------------

    async def get_custom(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = await self._maybe(
            f"get {plural} {name}",
            self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, _preload_content=False
            ),
        )
        return result

    async def create_custom(self, namespace: str, plural: str, body: dict[str, Any]) -> None:
        await self._call(
            f"create {plural}",
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, body, _preload_content=False
            ),
        )

    async def patch_custom_status(
        self, namespace: str, plural: str, name: str, status: dict[str, Any]
    ) -> None:
        await self._call(
            f"patch {plural}/{name} status",
            self.custom.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                {"status": status},
                _content_type=MERGE_PATCH,
                _preload_content=False,
            ),
        )

    # --- Secrets (values leave only for the inline executor; keys are names) ------------------

    async def secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's decoded data (None: there is none)."""
        body = await self._read("secret", self.core.read_namespaced_secret, namespace, name)
        if body is None:
            return None
        return {k: base64.b64decode(v).decode() for k, v in (body.get("data") or {}).items()}

    async def secret_keys(
        self, namespace: str, name: str
    ) -> tuple[frozenset[str] | None, str | None]:
        """The Secret's key names (None: no such Secret) and its resourceVersion (a rotation
        changes it); no value is decoded or kept."""
        body = await self._read("secret", self.core.read_namespaced_secret, namespace, name)
        if body is None:
            return None, None
        version = (body.get("metadata") or {}).get("resourceVersion")
        return frozenset(body.get("data") or {}), str(version) if version else None

    # --- Jobs and pods --------------------------------------------------------------------

    async def create_job(self, namespace: str, body: dict[str, Any]) -> None:
        await self._call(
            "create job",
            self.batch.create_namespaced_job(namespace, body, _preload_content=False),
        )

    async def get_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._read("job", self.batch.read_namespaced_job, namespace, name)

    async def pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        body = await self._call(
            "list pods",
            self.core.list_namespaced_pod(
                namespace, label_selector=selector, _preload_content=False
            ),
        )
        return list(body.get("items") or [])

    # --- router objects -------------------------------------------------------------------

    async def get_config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._read("configmap", self.core.read_namespaced_config_map, namespace, name)

    async def config_map_metadata(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The ConfigMap's metadata alone ({"metadata": ...}), or None when there is none."""
        result: dict[str, Any] | None = await self._maybe(
            f"get configmap {name} metadata",
            self.api.call_api(
                "/api/v1/namespaces/{namespace}/configmaps/{name}",
                "GET",
                {"namespace": namespace, "name": name},
                [],
                {"Accept": METADATA_ONLY},
                auth_settings=["BearerToken"],
                response_types_map={},
                _preload_content=False,
            ),
        )
        return result

    async def put_config_map(self, body: dict[str, Any]) -> None:
        """Create, or replace whole (data and annotations are ours alone)."""
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            await self._create("configmap", self.core.create_namespaced_config_map, body)
        except ConflictError:
            await self._call(
                f"replace configmap {name}",
                self.core.replace_namespaced_config_map(name, ns, body, _preload_content=False),
            )

    async def patch_config_map(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        await self._call(
            f"patch configmap {name}",
            self.core.patch_namespaced_config_map(
                name, namespace, patch, _content_type=MERGE_PATCH, _preload_content=False
            ),
        )

    async def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._read("deployment", self.apps.read_namespaced_deployment, namespace, name)

    async def put_deployment(self, body: dict[str, Any]) -> None:
        """Create, or replace the spec and ownership (status and other metadata are kept)."""
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        current = await self.get_deployment(ns, name)
        if current is None:
            await self._create("deployment", self.apps.create_namespaced_deployment, body)
            return
        current["spec"] = body["spec"]
        meta = current["metadata"]
        meta["labels"] = {**(meta.get("labels") or {}), **body["metadata"].get("labels", {})}
        meta["ownerReferences"] = body["metadata"].get("ownerReferences", [])
        await self._call(
            f"replace deployment {name}",
            self.apps.replace_namespaced_deployment(name, ns, current, _preload_content=False),
        )

    async def put_service(self, body: dict[str, Any]) -> None:
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            await self._create("service", self.core.create_namespaced_service, body)
        except ConflictError:
            patch = {"metadata": body["metadata"], "spec": body["spec"]}
            await self._call(
                f"patch service {name}",
                self.core.patch_namespaced_service(
                    name, ns, patch, _content_type=MERGE_PATCH, _preload_content=False
                ),
            )

    async def delete_router(self, namespace: str, names: tuple[str, ...]) -> None:
        """Remove the router objects of a namespace that has no ModelGroup left."""
        for name in names:
            await self._maybe(
                f"delete configmap {name}",
                self.core.delete_namespaced_config_map(name, namespace, _preload_content=False),
            )
        base = names[0]
        await self._maybe(
            f"delete deployment {base}",
            self.apps.delete_namespaced_deployment(base, namespace, _preload_content=False),
        )
        await self._maybe(
            f"delete service {base}",
            self.core.delete_namespaced_service(base, namespace, _preload_content=False),
        )
