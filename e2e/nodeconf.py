"""The real node's configuration files and process command lines (see e2e/node.py and
/work/shared/REAL_NODE.md for why each setting is what it is)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e import build
from e2e.localcluster import SERVICE_CIDR, ClusterError

BRIDGE = "sybr0"
NODE_NAME = "switchyard-node"
GATEWAY = "10.244.0.1"
POD_CIDR = "10.244.0.0/24"
DNS_IP = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
NFT_TABLE = "switchyard_node"
PAUSE_TAG = build.KUBERNETES_VERSION
PAUSE_IMAGE = f"switchyard.local/pause:{PAUSE_TAG}"
KUBELET_PORT = 10250
# Every image pull would go here and fail at once: nothing is ever fetched from a registry.
NO_REGISTRY_PROXY = "http://127.0.0.1:9"

__all__ = ["SERVICE_CIDR"]


def nft_guard() -> str:
    """Forward only within the pod subnet (ip_forward is on while the node runs)."""
    return (
        f"table inet {NFT_TABLE}\ndelete table inet {NFT_TABLE}\n"
        f"table inet {NFT_TABLE} {{\n  chain forward {{\n"
        "    type filter hook forward priority filter; policy accept;\n"
        f"    ip saddr != {POD_CIDR} drop\n    ip daddr != {POD_CIDR} drop\n  }}\n}}\n"
    )


def proxy_env(root: Path) -> dict[str, str]:
    """kube-proxy sees `nft` but no `iptables`, so it never touches the host's iptables."""
    tools = root / "bin-proxy"
    tools.mkdir(parents=True, exist_ok=True)
    link = tools / "nft"
    if not link.exists():
        link.symlink_to("/usr/sbin/nft")
    return {"PATH": f"{tools}:/usr/bin", "HOME": str(root)}


def node_rbac() -> str:
    return f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: switchyard-local-nodes}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes}}
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:node:{NODE_NAME}}}
"""


COREFILE = f""".:53 {{
    errors
    health {{
        lameduck 2s
    }}
    ready
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
    loop
    reload
    loadbalance
}}
"""


def dns_manifest(coredns_image: str) -> str:
    """CoreDNS in kube-system, Service kube-dns at DNS_IP; no forward plugin (nothing leaves)."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "coredns", "namespace": "kube-system"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "switchyard-local-coredns"},
         "rules": [
             {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
              "verbs": ["list", "watch"]},
             {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
              "verbs": ["list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "switchyard-local-coredns"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "switchyard-local-coredns"},
         "subjects": [{"kind": "ServiceAccount", "name": "coredns",
                       "namespace": "kube-system"}]},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": COREFILE}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "coredns", "namespace": "kube-system",
                      "labels": {"k8s-app": "kube-dns"}},
         "spec": {
             "replicas": 1,
             "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
             "template": {
                 "metadata": {"labels": {"k8s-app": "kube-dns"}},
                 "spec": {
                     "serviceAccountName": "coredns",
                     "dnsPolicy": "Default",
                     "securityContext": {
                         "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                         "seccompProfile": {"type": "RuntimeDefault"},
                         # Port 53 without any capability, inside the pod's own netns only.
                         "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start",
                                      "value": "0"}]},
                     "containers": [{
                         "name": "coredns", "image": coredns_image,
                         "imagePullPolicy": "IfNotPresent",
                         "args": ["-conf", "/etc/coredns/Corefile"],
                         "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                   {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}],
                         "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181},
                                            "periodSeconds": 2},
                         "livenessProbe": {"httpGet": {"path": "/health", "port": 8080},
                                           "periodSeconds": 10},
                         "resources": {"requests": {"cpu": "20m", "memory": "32Mi"},
                                       "limits": {"memory": "128Mi"}},
                         "securityContext": {"allowPrivilegeEscalation": False,
                                             "readOnlyRootFilesystem": True,
                                             "capabilities": {"drop": ["ALL"]}},
                         "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}]}],
                     "volumes": [{"name": "config", "configMap": {"name": "coredns"}}]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kube-dns", "namespace": "kube-system",
                      "labels": {"k8s-app": "kube-dns"}},
         "spec": {"clusterIP": DNS_IP, "selector": {"k8s-app": "kube-dns"},
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}},
    ]  # fmt: skip
    return "\n---\n".join(json.dumps(d) for d in docs)


def _kubeconfig(server: str, pki: Path, user: str) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "local", "cluster": {
            "server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {
            "client-certificate": str(pki / f"{user}.crt"),
            "client-key": str(pki / f"{user}.key")}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user}}],
        "current-context": "local",
    })  # fmt: skip


@dataclass
class NodeConf:
    """Paths, files and command lines of one node; saved as conf.json for the runner."""

    root: Path
    pki: Path
    bin_dir: Path
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd.sock"

    @property
    def logs(self) -> Path:
        return self.root.parent / "logs"

    @classmethod
    def load(cls, root: Path) -> NodeConf:
        data = json.loads((root / "conf.json").read_text())
        return cls(root, Path(data["pki"]), Path(data["binDir"]), dict(data["ports"]))

    def write(self, cluster_state: dict[str, Any], ports: dict[str, int]) -> None:
        self.ports = ports
        server = f"https://{cluster_state['apiserverHost']}:{cluster_state['apiserverPort']}"
        r = self.root
        for sub in ("cni/net.d", "cni/ipam", "containerd/root", "containerd/state",
                    "kubelet", "bin-containerd"):  # fmt: skip
            (r / sub).mkdir(parents=True, exist_ok=True)
        runc = r / "bin-containerd" / "runc"
        if not runc.exists():
            runc.symlink_to("/usr/sbin/runc")
        (r / "cni/net.d/10-switchyard.conflist").write_text(json.dumps({
            "cniVersion": "1.0.0", "name": "switchyard",
            "plugins": [{
                "type": "bridge", "bridge": BRIDGE, "isGateway": False,
                "isDefaultGateway": False, "ipMasq": False, "hairpinMode": True,
                "ipam": {"type": "host-local", "dataDir": str(r / "cni/ipam"),
                         "ranges": [[{"subnet": POD_CIDR, "gateway": GATEWAY}]],
                         # No default route: a pod reaches its subnet and the Services only.
                         "routes": [{"dst": SERVICE_CIDR, "gw": GATEWAY}]}}],
        }))  # fmt: skip
        (r / "containerd.toml").write_text(self._containerd_toml())
        (r / "kubelet.kubeconfig").write_text(_kubeconfig(server, self.pki, "kubelet"))
        (r / "kube-proxy.kubeconfig").write_text(_kubeconfig(server, self.pki, "kube-proxy"))
        (r / "kubelet.yaml").write_text(json.dumps(self._kubelet_config()))
        (r / "kube-proxy.yaml").write_text(json.dumps(self._proxy_config()))
        (r / "conf.json").write_text(json.dumps(
            {"pki": str(self.pki), "binDir": str(self.bin_dir), "ports": ports}))  # fmt: skip

    def _containerd_toml(self) -> str:
        r = self.root
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        return f"""version = 2
root = "{r / "containerd/root"}"
state = "{r / "containerd/state"}"
# Plugins this node never uses (the opt plugin would create /opt/containerd).
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
oom_score = 0

[grpc]
  address = "{self.containerd_socket}"

[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  # This VM withholds CAP_SYS_RESOURCE: without it every sandbox fails to start.
  restrict_oom_score_adj = true
  enable_selinux = false
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [{cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{r / "cni/net.d"}"
"""

    def _kubelet_config(self) -> dict[str, Any]:
        return {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": False},
                               "x509": {"clientCAFile": str(self.pki / "ca.crt")}},
            "authorization": {"mode": "AlwaysAllow"},
            "address": GATEWAY,
            "port": KUBELET_PORT,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": self.ports["kubeletHealthz"],
            "containerRuntimeEndpoint": f"unix://{self.containerd_socket}",
            "cgroupDriver": "cgroupfs",
            "failCgroupV1": False,  # 1.36 refuses cgroup v1 otherwise; this host is v1
            "failSwapOn": False,
            "oomScoreAdj": 0,  # no CAP_SYS_RESOURCE here
            "imageGCHighThresholdPercent": 100,  # imported images can never be pulled back
            "imageGCLowThresholdPercent": 99,
            "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%",
                             "imagefs.available": "1%"},
            "resolvConf": "",  # no host resolver in pods: no DNS query leaves the machine
            "clusterDNS": [DNS_IP],
            "clusterDomain": CLUSTER_DOMAIN,
            # ConfigMap volumes (router config hot reload) follow within seconds, not a minute.
            "syncFrequency": "5s",
            "nodeStatusUpdateFrequency": "5s",
            "serializeImagePulls": False,
            "maxPods": 110,
            "rotateCertificates": False,
            "serverTLSBootstrap": False,
        }  # fmt: skip

    def _proxy_config(self) -> dict[str, Any]:
        return {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "mode": "nftables",
            "clientConnection": {"kubeconfig": str(self.root / "kube-proxy.kubeconfig")},
            "hostnameOverride": NODE_NAME,
            "bindAddress": GATEWAY,
            "clusterCIDR": POD_CIDR,
            "nodePortAddresses": [f"{GATEWAY}/32"],
            "healthzBindAddress": f"127.0.0.1:{self.ports['proxyHealthz']}",
            "metricsBindAddress": f"127.0.0.1:{self.ports['proxyMetrics']}",
            # 0: leave the host's conntrack sysctls exactly as they are.
            "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s",
                          "tcpCloseWaitTimeout": "0s"},
        }  # fmt: skip

    def argv_env(self, name: str) -> tuple[list[str], dict[str, str]]:
        r = self.root
        if name == "containerd":
            env = {"PATH": f"{r / 'bin-containerd'}:/usr/bin", "HOME": str(r),
                   "HTTP_PROXY": NO_REGISTRY_PROXY, "HTTPS_PROXY": NO_REGISTRY_PROXY}  # fmt: skip
            return ["containerd", "--config", str(r / "containerd.toml")], env
        if name == "kubelet":
            # No /usr/sbin on PATH: the kubelet finds no iptables and leaves netfilter alone.
            return [
                str(self.bin_dir / "kubelet"),
                f"--config={r / 'kubelet.yaml'}",
                f"--kubeconfig={r / 'kubelet.kubeconfig'}",
                f"--root-dir={r / 'kubelet'}",
                f"--node-ip={GATEWAY}",
                f"--hostname-override={NODE_NAME}",
                "--v=1",
            ], {"PATH": "/usr/bin", "HOME": str(r)}
        if name == "kube-proxy":
            return [
                str(self.bin_dir / "kube-proxy"),
                f"--config={r / 'kube-proxy.yaml'}",
                "--v=1",
            ], proxy_env(r)
        raise ValueError(name)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        argv, env = self.argv_env(name)
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, cwd=self.root)  # fmt: skip

    def wait_socket(self, child: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise ClusterError(f"containerd exited ({child.returncode}); see {self.logs}")
            if self.containerd_socket.exists():
                with socket.socket(socket.AF_UNIX) as s:
                    try:
                        s.connect(str(self.containerd_socket))
                        return
                    except OSError:
                        pass
            time.sleep(0.2)
        raise ClusterError(f"containerd socket not ready after {timeout:.0f}s")
