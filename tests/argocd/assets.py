"""The Argo CD assets under deploy/argocd and how the argocd-cm snippet is made from them.

The Lua files are the source (laid out like Argo CD's own resource_customizations/, so they can
be contributed upstream); argocd-cm.yaml is what users paste, and a test keeps the two equal.
Regenerate with `python3 -m tests.argocd.assets`.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARGOCD = REPO / "deploy" / "argocd"
GROUP = "switchyard.dev"
KINDS = ("Provider", "ModelGroup", "SmokeRun")
CM = ARGOCD / "argocd-cm.yaml"

HEADER = """\
# Argo CD health checks for Switchyard's custom resources.
# Merge these keys into the argocd-cm ConfigMap of your Argo CD installation (for example with
# `kubectl -n argocd patch configmap argocd-cm --patch-file deploy/argocd/argocd-cm.yaml`), or
# into the `configs.cm` values of the argo-cd Helm chart.
# Generated from deploy/argocd/health/switchyard.dev/<Kind>/health.lua by
# `python3 -m tests.argocd.assets`; tests/argocd checks each script with Argo CD's own Lua code.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
"""


def script(kind: str) -> str:
    return (ARGOCD / "health" / GROUP / kind / "health.lua").read_text()


def key(kind: str) -> str:
    """argocd-cm key of a health script: resource.customizations.health.<group>_<kind>."""
    return f"resource.customizations.health.{GROUP}_{kind}"


def render_cm() -> str:
    lines = [HEADER.rstrip("\n")]
    for kind in KINDS:
        lines.append(f"  {key(kind)}: |")
        lines.extend(f"    {line}" if line else "" for line in script(kind).splitlines())
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    CM.write_text(render_cm())
    print(f"wrote {CM.relative_to(REPO)}")
