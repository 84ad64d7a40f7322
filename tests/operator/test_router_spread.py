"""Router pods spread over zones and nodes (soft), selected by the label the chart's
PodDisruptionBudget and PodMonitor use."""

from __future__ import annotations

from switchyard.operator.routerres import NAME, RouterSettings, pod_template


def test_router_pods_spread_softly_over_zones_and_nodes() -> None:
    tpl = pod_template(["key"], RouterSettings(image="img"))
    spread = tpl["spec"]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == [
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    ]
    for c in spread:
        assert c["whenUnsatisfiable"] == "ScheduleAnyway"  # never leaves a pod Pending
        assert c["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": NAME}
    assert tpl["metadata"]["labels"]["app.kubernetes.io/name"] == NAME == "switchyard-router"
