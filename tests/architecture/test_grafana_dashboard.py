"""docs/grafana/dashboard.json queries only metrics that the service exports
(app.observability.metrics), and every metric the service exports is on the dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from app.observability import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "dashboard.json"
_SERIES = re.compile(r"\b(support_[a-z_]+)\b")


def exported_series() -> dict[str, str]:
    """Every series name the service can export -> the metric that exports it."""
    series: dict[str, str] = {}
    for value in vars(metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        name, kind = value._name, value._type
        if kind == "counter":
            names = [f"{name}_total"]
        elif kind == "histogram":
            names = [f"{name}_bucket", f"{name}_count", f"{name}_sum"]
        else:
            names = [name]
        for each in names:
            series[each] = name
    return series


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_every_queried_metric_exists() -> None:
    exported = exported_series()
    queried = {name for expr in dashboard_queries() for name in _SERIES.findall(expr)}
    assert queried, "the dashboard queries nothing"
    assert queried <= set(exported), sorted(queried - set(exported))


def test_every_metric_is_on_the_dashboard() -> None:
    exported = exported_series()
    queried = {name for expr in dashboard_queries() for name in _SERIES.findall(expr)}
    shown = {exported[name] for name in queried if name in exported}
    assert shown == set(exported.values()), sorted(set(exported.values()) - shown)
