"""The alert and recording rules, checked and unit-tested by Prometheus' own promtool."""

from __future__ import annotations

import re

import yaml

from .tools import REPO, RULE_TESTS, RULES, alerts, promtool, rules


def test_promtool_checks_the_rules() -> None:
    proc = promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(rules())} rules found" in proc.stdout


def test_promtool_unit_tests_pass() -> None:
    proc = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout + proc.stderr


def test_every_alert_fires_in_a_unit_test_with_its_annotations() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {
        t["alertname"]
        for group in tests
        for t in group.get("alert_rule_test", [])
        if t.get("exp_alerts") and all("exp_annotations" in a for a in t["exp_alerts"])
    }
    assert fired == {a["alert"] for a in alerts()}


def test_every_alert_has_severity_summary_and_a_runbook_line() -> None:
    docs = (REPO / "docs" / "operating.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", docs, re.M)
    }
    for a in alerts():
        assert a["labels"]["severity"] in {"critical", "warning", "info"}, a["alert"]
        ann = a["annotations"]
        assert ann["summary"] and ann["description"] and ann["runbook"], a["alert"]
        assert ann["runbook_url"].endswith("#" + a["alert"].lower()), a["alert"]
        assert a["alert"].lower() in anchors, f"docs/operating.md has no section {a['alert']}"
