"""The dashboard's structure, as Grafana reads it: unique ids, panels on the grid without
overlap, every query on the datasource variable, every row of the issue present."""

from __future__ import annotations

import json
from typing import Any

from .tools import DASHBOARD


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return found


def test_ids_are_unique_and_panels_do_not_overlap() -> None:
    ids = [p["id"] for p in panels()]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for p in panels():
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_every_query_uses_the_datasource_variable_and_has_a_ref_id() -> None:
    dash = json.loads(DASHBOARD.read_text())
    names = [v["name"] for v in dash["templating"]["list"]]
    assert names == ["datasource", "namespace", "group"]
    for p in panels():
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs)), p["title"]


def test_the_rows_a_platform_team_expects() -> None:
    rows = [p["title"] for p in panels() if p["type"] == "row"]
    assert rows == [
        "Traffic and errors",
        "Latency",
        "Tokens and cost",
        "Fallbacks and ejections",
        "Promotion",
        "Router config, rollouts and the operator",
    ]
    titles = " ".join(p["title"] for p in panels())
    for word in ("Time to first byte", "Cost", "Effective and desired weight", "stage", "reloads"):
        assert word in titles, word
