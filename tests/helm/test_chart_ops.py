"""The chart's operations side: metrics Services, monitors, rules, dashboard, disruption budgets,
NOTES and the values schema, rendered by the real helm for every value that changes output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e import build

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "switchyard"
MONITORING = "monitoring.coreos.com/v1"

# helm is built with the local control plane (cached), hence the cluster marker.
pytestmark = pytest.mark.cluster


def helm(
    *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    binary = build.paths().binary("helm")
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, check=check, timeout=120,
        input=stdin,
    )  # fmt: skip


def template(
    *sets: str, api: tuple[str, ...] = (), values: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    args = [f"--set={s}" for s in sets] + [f"--api-versions={a}" for a in api]
    stdin = None
    if values is not None:
        args, stdin = [*args, "--values", "-"], yaml.safe_dump(values)
    out = helm("template", "sy", str(CHART), "--namespace", "switchyard-system", *args,
               stdin=stdin)  # fmt: skip
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def kinds(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_helm_lint_strict_is_clean_with_every_option_on() -> None:
    for sets in ([], ["serviceMonitor.enabled=true", "podMonitor.enabled=true",
                      "prometheusRule.enabled=true", "grafanaDashboard.enabled=true"]):  # fmt: skip
        proc = helm("lint", "--strict", str(CHART), *[f"--set={s}" for s in sets], check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout, proc.stdout


def test_chart_files_are_the_deploy_assets() -> None:
    rules = REPO / "deploy" / "prometheus" / "switchyard.rules.yaml"
    dashboard = REPO / "deploy" / "grafana" / "switchyard.json"
    assert (CHART / "files" / "switchyard.rules.yaml").read_text() == rules.read_text()
    assert (CHART / "files" / "switchyard.json").read_text() == dashboard.read_text()


def test_defaults_add_nothing_to_the_release() -> None:
    """Everything of the operations side is opt-in: the default release stays what it was."""
    kinds_rendered = sorted({d["kind"] for d in template()})
    assert kinds_rendered == ["ClusterRole", "Deployment", "RoleBinding", "ServiceAccount"]


def test_metrics_services_and_router_pdb() -> None:
    docs = template("metrics.operatorService.enabled=true", "metrics.routerServices.enabled=true",
                    "routers.podDisruptionBudget.enabled=true")  # fmt: skip
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s
                for s in kinds(docs, "Service")}  # fmt: skip
    op = services[("switchyard-system", "sy-switchyard-operator-metrics")]
    assert op["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    (dep,) = kinds(docs, "Deployment")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels[k] == v for k, v in op["spec"]["selector"].items())
    router = services[("llm", "switchyard-router-metrics")]
    assert router["spec"]["selector"] == {"app.kubernetes.io/name": "switchyard-router"}
    assert router["spec"]["ports"][0]["targetPort"] == "http"
    (pdb,) = kinds(docs, "PodDisruptionBudget")
    assert pdb["metadata"]["namespace"] == "llm"
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]
    assert pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "switchyard-router"}


def test_router_namespaces_and_switches() -> None:
    pdb = "routers.podDisruptionBudget.enabled=true"
    docs = template(pdb, "operator.namespaces={a,b}")
    assert sorted(p["metadata"]["namespace"] for p in kinds(docs, "PodDisruptionBudget")) == [
        "a",
        "b",
    ]
    docs = template(pdb, "operator.allNamespaces=true")
    assert not kinds(docs, "PodDisruptionBudget")  # no namespaces known
    docs = template(pdb, "operator.allNamespaces=true", "routers.namespaces={x}")
    assert [p["metadata"]["namespace"] for p in kinds(docs, "PodDisruptionBudget")] == ["x"]
    # a ServiceMonitor brings the Services it selects
    docs = template("serviceMonitor.enabled=true")
    assert len(kinds(docs, "Service")) == 2
    docs = template("serviceMonitor.enabled=true", "serviceMonitor.routers=false")
    assert [s["metadata"]["name"] for s in kinds(docs, "Service")] == [
        "sy-switchyard-operator-metrics"
    ]
    docs = template("operator.metricsPort=0", "serviceMonitor.enabled=true")
    names = [s["metadata"]["name"] for s in kinds(docs, "Service")]
    assert names == ["switchyard-router-metrics"]
    assert [m["metadata"]["name"] for m in kinds(docs, "ServiceMonitor")] == [
        "sy-switchyard-routers"
    ]


def test_pdb_min_available_and_off() -> None:
    (pdb,) = kinds(template("routers.podDisruptionBudget.enabled=true",
                            "routers.podDisruptionBudget.minAvailable=50%"), "PodDisruptionBudget")  # fmt: skip
    assert pdb["spec"]["minAvailable"] == "50%" and "maxUnavailable" not in pdb["spec"]
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert not kinds(template(), "PodDisruptionBudget")


def test_service_monitors_set_the_job_names_the_alerts_use() -> None:
    docs = template("serviceMonitor.enabled=true", "serviceMonitor.labels.release=kps",
                    "serviceMonitor.interval=15s")  # fmt: skip
    monitors = {m["metadata"]["name"]: m for m in kinds(docs, "ServiceMonitor")}
    op, routers = monitors["sy-switchyard-operator"], monitors["sy-switchyard-routers"]
    services = kinds(docs, "Service")
    for monitor, job in ((op, "switchyard-operator"), (routers, "switchyard-router")):
        assert monitor["metadata"]["labels"]["release"] == "kps"
        assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/name"
        assert monitor["spec"]["endpoints"][0]["interval"] == "15s"
        selected = [s for s in services if all(
            s["metadata"]["labels"].get(k) == v
            for k, v in monitor["spec"]["selector"]["matchLabels"].items())]  # fmt: skip
        assert selected, monitor["metadata"]["name"]
        assert {s["metadata"]["labels"]["app.kubernetes.io/name"] for s in selected} == {job}
    assert op["spec"]["endpoints"][0]["honorLabels"] is True  # the catalog namespace label
    assert routers["spec"]["namespaceSelector"] == {"matchNames": ["llm"]}
    docs = template("serviceMonitor.enabled=true", "serviceMonitor.routers=false")
    assert [m["metadata"]["name"] for m in kinds(docs, "ServiceMonitor")] == [
        "sy-switchyard-operator"
    ]
    docs = template("serviceMonitor.enabled=true", "operator.allNamespaces=true")
    routers = next(
        m for m in kinds(docs, "ServiceMonitor") if m["metadata"]["name"].endswith("routers")
    )
    assert routers["spec"]["namespaceSelector"] == {"any": True}


def test_autodetect_renders_only_when_the_cluster_serves_the_api() -> None:
    sets = ("serviceMonitor.autodetect=true", "podMonitor.autodetect=true",
            "prometheusRule.autodetect=true")  # fmt: skip
    docs = template(*sets)
    assert not [d for d in docs if d["apiVersion"] == MONITORING]
    api = tuple(f"{MONITORING}/{k}" for k in ("ServiceMonitor", "PodMonitor", "PrometheusRule"))
    docs = template(*sets, api=api)
    assert sorted(d["kind"] for d in docs if d["apiVersion"] == MONITORING) == [
        "PodMonitor", "PrometheusRule", "ServiceMonitor", "ServiceMonitor"]  # fmt: skip


def test_pod_monitor_selects_router_pods() -> None:
    (pm,) = kinds(template("podMonitor.enabled=true", "podMonitor.labels.team=llm"), "PodMonitor")
    assert pm["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "switchyard-router"}
    assert pm["spec"]["podMetricsEndpoints"][0]["port"] == "http"
    assert pm["spec"]["jobLabel"] == "app.kubernetes.io/name"
    assert pm["metadata"]["labels"]["team"] == "llm"


def test_prometheus_rule_carries_the_shipped_rules() -> None:
    shipped = yaml.safe_load((REPO / "deploy" / "prometheus" / "switchyard.rules.yaml").read_text())
    (rule,) = kinds(template("prometheusRule.enabled=true", "prometheusRule.labels.release=kps"),
                    "PrometheusRule")  # fmt: skip
    assert rule["spec"]["groups"] == shipped["groups"]
    assert rule["metadata"]["labels"]["release"] == "kps"
    (rule,) = kinds(template("prometheusRule.enabled=true",
                             "prometheusRule.disabledAlerts={SwitchyardEvidenceStale}"),
                    "PrometheusRule")  # fmt: skip
    names = [r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]]
    assert "SwitchyardEvidenceStale" not in names and "SwitchyardOperatorDown" in names
    wiki = "https://wiki.example.org/llm/switchyard"
    (rule,) = kinds(template("prometheusRule.enabled=true", f"prometheusRule.runbookBaseUrl={wiki}"),
                    "PrometheusRule")  # fmt: skip
    urls = [r["annotations"]["runbook_url"] for g in rule["spec"]["groups"] for r in g["rules"]
            if "alert" in r]  # fmt: skip
    assert urls and all(u.startswith(wiki + "#switchyard") for u in urls)


def test_grafana_dashboard_config_map_for_the_sidecar() -> None:
    (cm,) = kinds(template("grafanaDashboard.enabled=true"), "ConfigMap")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "annotations" not in cm["metadata"]
    shipped = json.loads((REPO / "deploy" / "grafana" / "switchyard.json").read_text())
    assert json.loads(cm["data"]["switchyard.json"]) == shipped
    (cm,) = kinds(template("grafanaDashboard.enabled=true", "grafanaDashboard.namespace=monitoring",
                           "grafanaDashboard.folder=LLM", "grafanaDashboard.label=dash",
                           "grafanaDashboard.labelValue=yes"), "ConfigMap")  # fmt: skip
    assert cm["metadata"]["namespace"] == "monitoring"
    assert cm["metadata"]["labels"]["dash"] == "yes"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "LLM"}


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ("bogus=1", "additional properties 'bogus' not allowed"),
        ("serviceMonitor.intervall=1s", "additional properties 'intervall' not allowed"),
        ("operator.smokeExecutor=pod", "/operator/smokeExecutor"),
        (
            "routers.podDisruptionBudget.unhealthyPodEvictionPolicy=Never",
            "unhealthyPodEvictionPolicy",
        ),
        ("prometheusRule.disabledAlerts={NotOurs}", "/prometheusRule/disabledAlerts/0"),
        ("operator.routerReplicas=0", "/operator/routerReplicas"),
        ("operator.routerWorkers=0", "/operator/routerWorkers"),
    ],
)
def test_the_schema_refuses_bad_values_clearly(sets: str, message: str) -> None:
    proc = helm("template", "sy", str(CHART), f"--set={sets}", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_every_schema_property_is_documented() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(node: dict[str, Any], path: str) -> None:
        for name, prop in node.get("properties", {}).items():
            if prop.get("type") == "object" and "properties" in prop:
                assert prop.get("additionalProperties") is False, f"{path}{name}"
                walk(prop, f"{path}{name}.")
            else:
                assert prop.get("description"), f"{path}{name} has no description"

    walk(schema, "")
    values_text = (CHART / "values.yaml").read_text()
    for section in ("routers", "metrics", "serviceMonitor", "podMonitor", "prometheusRule",
                    "grafanaDashboard"):  # fmt: skip
        assert f"\n{section}:" in values_text


def test_notes_say_what_was_installed_and_what_was_skipped() -> None:
    proc = helm("install", "sy", str(CHART), "--dry-run=client", "--namespace", "switchyard-system",
                "--set", "serviceMonitor.autodetect=true", "--set", "podMonitor.enabled=true",
                "--set", "serviceMonitor.enabled=false")  # fmt: skip
    notes = proc.stdout.split("NOTES:", 1)[1]
    assert "watches llm." in notes
    assert "rollout status deploy/sy-switchyard-operator" in notes
    assert "operator on port 9090" in notes
    assert "ServiceMonitor not rendered" in notes
    assert "docs/operating.md" in notes


def test_the_argocd_application_values_are_valid_chart_values() -> None:
    apps = yaml.safe_load_all((REPO / "deploy" / "argocd" / "application.yaml").read_text())
    app = next(a for a in apps if a["metadata"]["name"] == "switchyard-operator")
    assert app["spec"]["source"]["path"] == "helm/switchyard"
    docs = template(values=app["spec"]["source"]["helm"]["valuesObject"])
    assert kinds(docs, "ServiceMonitor") and kinds(docs, "PrometheusRule")
